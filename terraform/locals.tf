# Names and values shared across files. Every resource name derives from
# var.name so two deployments (e.g. name = "taskoverflow-a" and "-b") can live
# in one account.
locals {
  name = var.name

  region     = data.aws_region.current.region
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  cluster_name        = local.name
  service_name        = local.name
  container_name      = local.name
  container_port      = 6400
  log_group_name      = "/ecs/${local.name}"
  db_identifier       = local.name
  db_log_group_name   = "/aws/rds/instance/${local.db_identifier}/postgresql"
  alb_name            = "${local.name}-alb"
  target_group_name   = "${local.name}-tg"
  dashboard_name      = local.name
  readiness_path      = "/api/v1/health/ready"
  deploy_service      = var.image_tag != null
  https               = var.certificate_arn != null
  self_shipping_logs  = var.self_shipping_log_group_name != null
  query_name_prefix   = "${local.name}/"
  postgres_major      = split(".", var.engine_version)[0]
  db_parameter_family = "postgres${local.postgres_major}"
}
