################################################################################
# RDS for PostgreSQL
#
# Private (no public address, in subnets with no route to the internet),
# encrypted at rest (with var.kms_key_arn when set), TLS required
# (rds.force_ssl), reachable on 5432 only from the tasks' security group
# (network.tf). The master password is generated, stored and rotatable in
# Secrets Manager by RDS itself (manage_master_user_password): Terraform never
# sees it, and only the db-roles task reads it, to create the service's own
# roles (secrets.tf, ecs.tf); the service never logs in as the master user.
################################################################################

resource "aws_db_subnet_group" "this" {
  name       = local.name
  subnet_ids = local.db_subnet_ids

  tags = { Name = local.name }
}

resource "aws_db_parameter_group" "this" {
  # A new major version needs a new family, so a new group: name_prefix and
  # create_before_destroy let the instance switch over before the old one goes.
  name_prefix = "${local.name}-${local.db_parameter_family}-"
  family      = local.db_parameter_family
  description = "TaskOverflow ${local.db_parameter_family}: slow statement logging, TLS only"

  # Statements slower than this reach the postgresql log, exported to
  # CloudWatch Logs (rds_log_group_name output), with the service's
  # /*request_id='...'*/ comment at their start: the request is found from the
  # slow SQL, and the SQL from the request's own log lines.
  parameter {
    name         = "log_min_duration_statement"
    value        = tostring(var.log_min_duration_statement_ms)
    apply_method = "immediate"
  }

  # Refuse unencrypted connections; the service connects with DB_SSL=true and
  # verifies the server against the RDS CA bundle.
  parameter {
    name         = "rds.force_ssl"
    value        = "1"
    apply_method = "pending-reboot"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_db_instance" "this" {
  #checkov:skip=CKV_AWS_157:Multi-AZ is var.db_multi_az: it doubles the instance cost, so it is a choice per deployment. Backups (var.backup_retention_days, at least 1 day) and deletion protection guard the data either way.
  #checkov:skip=CKV_AWS_118:Enhanced Monitoring needs an IAM role for RDS to assume, which AWS Academy (iam:CreateRole denied) cannot create. Performance Insights and the RDS CloudWatch metrics on the dashboard cover database load.
  #checkov:skip=CKV_AWS_161:The service authenticates as its own roles with passwords in Secrets Manager, rotated by the db-roles task and re-read by the service on a refusal; IAM authentication would need it to sign a new token every 15 minutes, a change to the service, not to its infrastructure.
  #checkov:skip=CKV_AWS_354:Performance Insights data is encrypted at rest with the aws/rds key in any case; a customer managed key is optional (var.kms_key_arn).
  identifier     = local.db_identifier
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.db_instance_class

  allocated_storage     = var.db_allocated_storage
  max_allocated_storage = var.db_max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  db_name  = var.db_name
  username = var.db_username
  port     = 5432

  manage_master_user_password   = true
  master_user_secret_kms_key_id = var.kms_key_arn

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.db.id]
  publicly_accessible    = false
  multi_az               = var.db_multi_az
  parameter_group_name   = aws_db_parameter_group.this.name

  auto_minor_version_upgrade = true
  apply_immediately          = var.db_apply_immediately

  backup_retention_period   = var.backup_retention_days
  copy_tags_to_snapshot     = true
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = var.skip_final_snapshot
  final_snapshot_identifier = var.skip_final_snapshot ? null : coalesce(var.final_snapshot_identifier, "${local.db_identifier}-final")

  enabled_cloudwatch_logs_exports = ["postgresql"]

  performance_insights_enabled          = var.performance_insights_enabled
  performance_insights_retention_period = var.performance_insights_enabled ? 7 : null
  performance_insights_kms_key_id       = var.performance_insights_enabled ? var.kms_key_arn : null

  # RDS creates the export's log group on first write, with no expiry; creating
  # it first (cloudwatch.tf) gives it log_retention_days.
  depends_on = [aws_cloudwatch_log_group.rds_postgresql]

  lifecycle {
    precondition {
      condition     = var.db_max_allocated_storage == 0 || var.db_max_allocated_storage >= var.db_allocated_storage
      error_message = "db_max_allocated_storage (${var.db_max_allocated_storage}) must be 0 (no storage autoscaling) or at least db_allocated_storage (${var.db_allocated_storage})."
    }

    # Three distinct roles: one shared with the master user would hand the
    # service the master's privileges (and the db-roles task would change the
    # master's password behind RDS's back). The service's role names are
    # lower case (validated); the master's is compared ignoring case, as
    # PostgreSQL folds unquoted names to lower case.
    precondition {
      condition     = var.db_app_username != lower(var.db_username) && var.db_migrations_username != lower(var.db_username) && var.db_app_username != var.db_migrations_username
      error_message = "db_app_username (${var.db_app_username}), db_migrations_username (${var.db_migrations_username}) and db_username (${var.db_username}, the master user) must be three different names, ignoring case."
    }
  }
}

locals {
  # RDS for PostgreSQL's default max_connections is
  # LEAST(DBInstanceClassMemory / 9531392, 5000), here computed from each
  # class's nominal memory. DBInstanceClassMemory is somewhat below the nominal
  # memory, so the real value (SHOW max_connections) is a little lower.
  nominal_max_connections = {
    "db.t4g.micro"  = 112
    "db.t4g.small"  = 225
    "db.t4g.medium" = 450
    "db.t4g.large"  = 901
    "db.t3.micro"   = 112
    "db.t3.small"   = 225
    "db.t3.medium"  = 450
    "db.t3.large"   = 901
  }

  # A task's processes share db_pool_size connections, one at least each; a
  # rolling deployment runs up to twice the tasks (deployment_maximum_percent = 200).
  peak_db_connections = max(var.db_pool_size, var.web_concurrency) * var.max_tasks * 2
}

check "database_connection_budget" {
  assert {
    condition     = local.peak_db_connections <= lookup(local.nominal_max_connections, var.db_instance_class, 5000) - 15
    error_message = "max(db_pool_size (${var.db_pool_size}), web_concurrency (${var.web_concurrency})) x max_tasks (${var.max_tasks}) x 2 during deployments = ${local.peak_db_connections} connections, more than ${var.db_instance_class} allows (about ${lookup(local.nominal_max_connections, var.db_instance_class, 5000)} minus reserved ones). Lower db_pool_size or max_tasks, or use a larger db_instance_class."
  }
}
