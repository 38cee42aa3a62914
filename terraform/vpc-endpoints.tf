################################################################################
# VPC endpoints (private_tasks)
#
# Tasks in private subnets with no route out reach the AWS APIs they need at
# start-up through endpoints in the VPC:
#   - ecr.api (authorisation token, image manifest) and ecr.dkr (the registry);
#   - s3: ECR serves image layers from S3, through a gateway endpoint (free) on
#     the private route table;
#   - logs: the awslogs driver, and the service's own log shipping with
#     self_shipping_log_group_name;
#   - secretsmanager: API_KEYS, read by ECS at task start, and the database
#     roles' secrets, read by the service and the db-roles task themselves.
# Fargate (platform 1.4.0 and later) makes these calls from the task's own
# network interface, so the endpoints sit in the tasks' subnets, one network
# interface per subnet (AZ). Interface endpoints are billed per hour and AZ:
# see README.md for the cost against a NAT gateway.
################################################################################

locals {
  interface_endpoint_services = ["ecr.api", "ecr.dkr", "logs", "secretsmanager"]

  # ECR's layer bucket in this Region, as AWS documents for ECR behind an S3
  # gateway endpoint.
  ecr_layer_bucket_arn = "arn:${local.partition}:s3:::prod-${local.region}-starport-layer-bucket"
}

resource "aws_security_group" "endpoints" {
  count = var.private_tasks ? 1 : 0

  name_prefix = "${local.name}-endpoints-"
  description = "TaskOverflow VPC endpoints: HTTPS from the tasks only"
  vpc_id      = local.vpc_id

  tags = { Name = "${local.name}-endpoints" }

  lifecycle {
    create_before_destroy = true
  }
}

# The endpoints only answer: no egress rule.
resource "aws_vpc_security_group_ingress_rule" "endpoints_from_service" {
  count = var.private_tasks ? 1 : 0

  security_group_id            = aws_security_group.endpoints[0].id
  description                  = "HTTPS from the tasks"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.service.id
}

# Callers must belong to this account: credentials of another account, brought
# into a compromised task, cannot use the endpoints to write elsewhere (e.g.
# logs into a log group of the attacker's account). The callers' own IAM
# policies still decide what they may do.
data "aws_iam_policy_document" "interface_endpoints" {
  count = var.private_tasks ? 1 : 0

  statement {
    sid       = "ThisAccountOnly"
    actions   = ["ecr:*", "logs:*", "secretsmanager:*"]
    resources = ["*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_vpc_endpoint" "interface" {
  for_each = var.private_tasks ? toset(local.interface_endpoint_services) : toset([])

  vpc_id              = local.vpc_id
  service_name        = "com.amazonaws.${local.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = local.service_subnet_ids
  security_group_ids  = [aws_security_group.endpoints[0].id]
  private_dns_enabled = true
  policy              = data.aws_iam_policy_document.interface_endpoints[0].json

  tags = { Name = "${local.name}-${each.key}" }
}

# ECR's layer bucket only, read only: the tasks cannot reach any other bucket,
# so none to upload data to.
data "aws_iam_policy_document" "s3_endpoint" {
  count = var.private_tasks ? 1 : 0

  statement {
    sid       = "EcrImageLayersOnly"
    actions   = ["s3:GetObject"]
    resources = ["${local.ecr_layer_bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }
}

resource "aws_vpc_endpoint" "s3" {
  count = var.private_tasks ? 1 : 0

  vpc_id            = local.vpc_id
  service_name      = "com.amazonaws.${local.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.private.id]
  policy            = data.aws_iam_policy_document.s3_endpoint[0].json

  tags = { Name = "${local.name}-s3" }
}
