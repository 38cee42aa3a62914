################################################################################
# Network
#
# create_vpc = false (default): the account's default VPC. The ALB uses its
# default subnets (one public subnet per Availability Zone). The database does
# not share those subnets: this module adds private subnets to the default VPC
# (/20 slices 8 and up of the VPC's CIDR, 172.31.128.0/20 onwards, clear of the
# default subnets at 172.31.0.0-95.255), on a route table of its own.
#
# create_vpc = true: a new VPC with one public and one private subnet per AZ.
# The ALB is in the public subnets, the database in the private ones.
#
# In either VPC the tasks reach ECR, Secrets Manager and CloudWatch Logs one
# of three ways (local.tasks_network_mode):
#   - "public-ip" (default, no gateway to pay for): public subnets with public
#     IPs; their security group admits only the ALB;
#   - "nat" (enable_nat_gateway): the private subnets without public IPs,
#     through one NAT gateway (about 33 USD a month plus data; one gateway, not
#     one per AZ, to keep cost down at the price of an AZ dependency);
#   - "vpc-endpoints" (private_tasks): the private subnets without public IPs
#     and without any route out: AWS APIs through interface endpoints in those
#     subnets and an S3 gateway endpoint (vpc-endpoints.tf).
# The two private modes are exclusive (a precondition refuses both).
#
# Either way the database is in subnets without a route to an internet
# gateway, publicly_accessible = false (no public address), behind a security
# group that admits only the tasks: three independent locks.
################################################################################

data "aws_vpc" "default" {
  count = var.create_vpc ? 0 : 1

  default = true
}

data "aws_subnets" "default" {
  count = var.create_vpc ? 0 : 1

  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.default[0].id]
  }

  filter {
    name   = "default-for-az"
    values = ["true"]
  }
}

data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:Only the first az_count zones are used (local.azs), never the whole set: a zone AWS adds later, named with a later letter, cannot widen it. Pinning zone names or ids would tie the module to one Region and account.
  state = "available"
}

locals {
  azs = slice(data.aws_availability_zones.available.names, 0, var.az_count)

  vpc_id             = var.create_vpc ? aws_vpc.this[0].id : data.aws_vpc.default[0].id
  vpc_cidr           = var.create_vpc ? aws_vpc.this[0].cidr_block : data.aws_vpc.default[0].cidr_block
  public_subnet_ids  = var.create_vpc ? aws_subnet.public[*].id : data.aws_subnets.default[0].ids
  private_subnet_ids = aws_subnet.private[*].id

  # The two private-subnet modes; the service's security group refuses both at
  # once (a precondition).
  create_nat_gateway       = var.enable_nat_gateway
  tasks_in_private_subnets = var.enable_nat_gateway || var.private_tasks
  tasks_network_mode       = var.private_tasks ? "vpc-endpoints" : var.enable_nat_gateway ? "nat" : "public-ip"
  service_subnet_ids       = local.tasks_in_private_subnets ? local.private_subnet_ids : local.public_subnet_ids
  assign_public_ip         = !local.tasks_in_private_subnets
  db_subnet_ids            = local.private_subnet_ids

  # The NAT gateway needs a public subnet: the first created one, or in the
  # default VPC the first default subnet (sorted, so that the choice does not
  # move between plans).
  nat_subnet_id = var.create_vpc ? aws_subnet.public[0].id : sort(data.aws_subnets.default[0].ids)[0]
}

resource "aws_vpc" "this" {
  #checkov:skip=CKV2_AWS_11:Flow logs need a delivery IAM role (not creatable in AWS Academy, where iam:CreateRole is denied) or an S3 bucket, and the default VPC (create_vpc = false) is not managed here at all. Security groups admit only internet -> ALB -> tasks -> database, and the service logs every request it receives.
  count = var.create_vpc ? 1 : 0

  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = { Name = local.name }
}

# A new VPC's default security group admits all traffic from its own members
# and allows all egress. Nothing here uses it; managing it without rules strips
# them, so nothing launched into the VPC later inherits them by accident.
resource "aws_default_security_group" "this" {
  count = var.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id

  tags = { Name = "${local.name}-default-unused" }
}

resource "aws_internet_gateway" "this" {
  count = var.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id

  tags = { Name = local.name }
}

resource "aws_subnet" "public" {
  count = var.create_vpc ? var.az_count : 0

  vpc_id            = aws_vpc.this[0].id
  availability_zone = local.azs[count.index]
  cidr_block        = cidrsubnet(var.vpc_cidr, 4, count.index)

  # Tasks get a public IP from the service's network configuration
  # (assign_public_ip), not from the subnet.
  map_public_ip_on_launch = false

  tags = { Name = "${local.name}-public-${local.azs[count.index]}" }
}

# In the created VPC or, with create_vpc = false, added to the default VPC.
resource "aws_subnet" "private" {
  count = var.az_count

  vpc_id                  = local.vpc_id
  availability_zone       = local.azs[count.index]
  cidr_block              = cidrsubnet(local.vpc_cidr, 4, count.index + 8)
  map_public_ip_on_launch = false

  tags = { Name = "${local.name}-private-${local.azs[count.index]}" }
}

resource "aws_route_table" "public" {
  count = var.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id

  tags = { Name = "${local.name}-public" }
}

resource "aws_route" "public_internet" {
  count = var.create_vpc ? 1 : 0

  route_table_id         = aws_route_table.public[0].id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this[0].id
}

resource "aws_route_table_association" "public" {
  count = var.create_vpc ? var.az_count : 0

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public[0].id
}

resource "aws_eip" "nat" {
  count = local.create_nat_gateway ? 1 : 0

  domain = "vpc"

  tags = { Name = "${local.name}-nat" }
}

resource "aws_nat_gateway" "this" {
  count = local.create_nat_gateway ? 1 : 0

  allocation_id = aws_eip.nat[0].id
  subnet_id     = local.nat_subnet_id

  tags = { Name = local.name }

  depends_on = [aws_internet_gateway.this]
}

# Explicitly associated: a subnet without an association would use the VPC's
# main route table, which in the default VPC routes to the internet gateway.
resource "aws_route_table" "private" {
  vpc_id = local.vpc_id

  tags = { Name = "${local.name}-private" }
}

# Without a NAT gateway the private subnets have no route out at all: the
# database needs none, and tasks with private_tasks reach AWS only through the
# VPC endpoints (the S3 gateway endpoint adds a route to S3's prefix list).
resource "aws_route" "private_nat" {
  count = local.create_nat_gateway ? 1 : 0

  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[0].id
}

resource "aws_route_table_association" "private" {
  count = var.az_count

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}

################################################################################
# Security groups: internet -> ALB (80/443; CloudFront only with
# enable_cloudfront) -> tasks (6400) -> database (5432).
# Rules are separate aws_vpc_security_group_*_rule resources; a security group
# without inline rules loses AWS's default allow-all egress, so every flow out
# is listed here too. No rule anywhere opens port 22: there is no SSH.
# Groups use name_prefix with create_before_destroy, so a replacement (e.g.
# switching create_vpc) creates the new group before the old one, still
# attached to the ALB, tasks or database, is deleted.
################################################################################

resource "aws_security_group" "alb" {
  name_prefix = "${local.name}-alb-"
  description = "TaskOverflow load balancer: HTTP/HTTPS from anywhere, out to the tasks only"
  vpc_id      = local.vpc_id

  tags = { Name = "${local.name}-alb" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "alb_http_ipv4" {
  #checkov:skip=CKV_AWS_260:The public load balancer's HTTP listener, open to the internet on purpose: it serves the API, or only redirects to HTTPS when certificate_arn is set. Only the ALB's group has a rule from 0.0.0.0/0 (tested).
  count = var.enable_cloudfront ? 0 : 1

  security_group_id = aws_security_group.alb.id
  description       = "HTTP from the internet (redirected to HTTPS when a certificate is set)"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "alb_http_ipv6" {
  count = var.enable_cloudfront ? 0 : 1

  security_group_id = aws_security_group.alb.id
  description       = "HTTP from the internet over IPv6"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv6         = "::/0"
}

# With enable_cloudfront, port 80 admits CloudFront only (cloudfront.tf), so
# clients cannot bypass its HTTPS. The prefix list counts as about 55 rules
# against the group's quota of 60 inbound rules; the group has no other.
resource "aws_vpc_security_group_ingress_rule" "alb_http_from_cloudfront" {
  count = var.enable_cloudfront ? 1 : 0

  security_group_id = aws_security_group.alb.id
  description       = "HTTP from CloudFront's origin-facing servers only"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  prefix_list_id    = data.aws_ec2_managed_prefix_list.cloudfront[0].id
}

moved {
  from = aws_vpc_security_group_ingress_rule.alb_http_ipv4
  to   = aws_vpc_security_group_ingress_rule.alb_http_ipv4[0]
}

moved {
  from = aws_vpc_security_group_ingress_rule.alb_http_ipv6
  to   = aws_vpc_security_group_ingress_rule.alb_http_ipv6[0]
}

resource "aws_vpc_security_group_ingress_rule" "alb_https_ipv4" {
  count = local.https ? 1 : 0

  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from the internet"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "alb_https_ipv6" {
  count = local.https ? 1 : 0

  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from the internet over IPv6"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv6         = "::/0"
}

resource "aws_vpc_security_group_egress_rule" "alb_to_service" {
  security_group_id            = aws_security_group.alb.id
  description                  = "Requests and health checks to the tasks"
  ip_protocol                  = "tcp"
  from_port                    = local.container_port
  to_port                      = local.container_port
  referenced_security_group_id = aws_security_group.service.id
}

resource "aws_security_group" "service" {
  name_prefix = "${local.name}-service-"
  description = "TaskOverflow tasks: port 6400 from the load balancer only"
  vpc_id      = local.vpc_id

  tags = { Name = "${local.name}-service" }

  lifecycle {
    create_before_destroy = true

    # With the endpoints' security-group rules the NAT gateway would carry
    # nothing but cost: one private-subnet mode at a time.
    precondition {
      condition     = !(var.private_tasks && var.enable_nat_gateway)
      error_message = "private_tasks and enable_nat_gateway are two ways for tasks in private subnets to reach AWS; choose one: private_tasks = true (VPC endpoints only, no internet path) or enable_nat_gateway = true (through one NAT gateway)."
    }

    # Interface endpoints answer under the services' usual names only with
    # private DNS, which needs both VPC attributes (a created VPC has them; the
    # default VPC has them unless someone turned them off).
    precondition {
      condition     = var.private_tasks && !var.create_vpc ? data.aws_vpc.default[0].enable_dns_support && data.aws_vpc.default[0].enable_dns_hostnames : true
      error_message = "private_tasks needs DNS resolution and DNS hostnames enabled on the default VPC (for the VPC endpoints' private DNS): enable both (aws ec2 modify-vpc-attribute), or set create_vpc = true."
    }
  }
}

resource "aws_vpc_security_group_ingress_rule" "service_from_alb" {
  security_group_id            = aws_security_group.service.id
  description                  = "HTTP from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = local.container_port
  to_port                      = local.container_port
  referenced_security_group_id = aws_security_group.alb.id
}

resource "aws_vpc_security_group_egress_rule" "service_to_db" {
  security_group_id            = aws_security_group.service.id
  description                  = "PostgreSQL"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.db.id
}

# ECR (and the S3 bucket behind its layers), Secrets Manager and CloudWatch Logs
# are HTTPS endpoints with public addresses: reached through the public IP or
# the NAT gateway. DNS goes to the VPC resolver, which security groups do not
# filter.
resource "aws_vpc_security_group_egress_rule" "service_https" {
  count = var.private_tasks ? 0 : 1

  security_group_id = aws_security_group.service.id
  description       = "HTTPS to AWS APIs: ECR image pulls, Secrets Manager, CloudWatch Logs"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

moved {
  from = aws_vpc_security_group_egress_rule.service_https
  to   = aws_vpc_security_group_egress_rule.service_https[0]
}

# With private_tasks, HTTPS only to the interface endpoints and to S3 through
# its gateway endpoint (S3's address ranges in the Region, as a prefix list):
# no other address is reachable.
resource "aws_vpc_security_group_egress_rule" "service_to_endpoints" {
  count = var.private_tasks ? 1 : 0

  security_group_id            = aws_security_group.service.id
  description                  = "HTTPS to the interface endpoints: ECR, CloudWatch Logs, Secrets Manager"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.endpoints[0].id
}

resource "aws_vpc_security_group_egress_rule" "service_to_s3" {
  count = var.private_tasks ? 1 : 0

  security_group_id = aws_security_group.service.id
  description       = "HTTPS to S3 through the gateway endpoint: ECR image layers"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = aws_vpc_endpoint.s3[0].prefix_list_id
}

resource "aws_security_group" "db" {
  name_prefix = "${local.name}-db-"
  description = "TaskOverflow database: PostgreSQL from the tasks only"
  vpc_id      = local.vpc_id

  tags = { Name = "${local.name}-db" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "db_from_service" {
  security_group_id            = aws_security_group.db.id
  description                  = "PostgreSQL from the tasks"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.service.id
}
