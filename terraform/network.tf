################################################################################
# Network
#
# create_vpc = false (default), as in the practical: the account's default VPC
# and its default subnets (one public subnet per Availability Zone). The ALB and
# the tasks use them; tasks get public IPs to reach ECR, Secrets Manager and
# CloudWatch without a NAT gateway, but their security group admits only the
# ALB. The database sits in the same subnets with publicly_accessible = false
# (no public address) and a security group admitting only the tasks.
#
# create_vpc = true: a new VPC with one public and one private subnet per AZ.
# The ALB is in the public subnets, the database in the private ones (no route
# to the internet at all). Tasks:
#   - enable_nat_gateway = false (default, cheapest): public subnets with public
#     IPs, admitted only from the ALB, as above;
#   - enable_nat_gateway = true: private subnets without public IPs, reaching
#     AWS APIs through one NAT gateway (about 32 USD a month plus data; one
#     gateway, not one per AZ, to keep cost down at the price of an AZ
#     dependency).
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
  count = var.create_vpc ? 1 : 0

  state = "available"
}

locals {
  azs = var.create_vpc ? slice(data.aws_availability_zones.available[0].names, 0, var.az_count) : []

  vpc_id             = var.create_vpc ? aws_vpc.this[0].id : data.aws_vpc.default[0].id
  public_subnet_ids  = var.create_vpc ? aws_subnet.public[*].id : data.aws_subnets.default[0].ids
  private_subnet_ids = var.create_vpc ? aws_subnet.private[*].id : data.aws_subnets.default[0].ids

  tasks_in_private_subnets = var.create_vpc && var.enable_nat_gateway
  service_subnet_ids       = local.tasks_in_private_subnets ? local.private_subnet_ids : local.public_subnet_ids
  assign_public_ip         = !local.tasks_in_private_subnets
  db_subnet_ids            = local.private_subnet_ids
}

resource "aws_vpc" "this" {
  count = var.create_vpc ? 1 : 0

  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = { Name = local.name }
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

resource "aws_subnet" "private" {
  count = var.create_vpc ? var.az_count : 0

  vpc_id            = aws_vpc.this[0].id
  availability_zone = local.azs[count.index]
  cidr_block        = cidrsubnet(var.vpc_cidr, 4, count.index + 8)

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
  count = local.tasks_in_private_subnets ? 1 : 0

  domain = "vpc"

  tags = { Name = "${local.name}-nat" }
}

resource "aws_nat_gateway" "this" {
  count = local.tasks_in_private_subnets ? 1 : 0

  allocation_id = aws_eip.nat[0].id
  subnet_id     = aws_subnet.public[0].id

  tags = { Name = local.name }

  depends_on = [aws_internet_gateway.this]
}

resource "aws_route_table" "private" {
  count = var.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id

  tags = { Name = "${local.name}-private" }
}

# Without a NAT gateway the private subnets have no route out at all: only the
# database lives there, and it needs none.
resource "aws_route" "private_nat" {
  count = local.tasks_in_private_subnets ? 1 : 0

  route_table_id         = aws_route_table.private[0].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[0].id
}

resource "aws_route_table_association" "private" {
  count = var.create_vpc ? var.az_count : 0

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[0].id
}

################################################################################
# Security groups: internet -> ALB (80/443) -> tasks (6400) -> database (5432).
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
  security_group_id = aws_security_group.alb.id
  description       = "HTTP from the internet (redirected to HTTPS when a certificate is set)"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "alb_http_ipv6" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTP from the internet over IPv6"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv6         = "::/0"
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
# are HTTPS endpoints with public addresses. DNS goes to the VPC resolver,
# which security groups do not filter.
resource "aws_vpc_security_group_egress_rule" "service_https" {
  security_group_id = aws_security_group.service.id
  description       = "HTTPS to AWS APIs: ECR image pulls, Secrets Manager, CloudWatch Logs"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
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
