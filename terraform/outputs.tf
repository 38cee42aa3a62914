output "endpoint_url" {
  description = "Base URL of the service (the ALB's DNS name); the API is under /api/v1, e.g. <endpoint_url>/api/v1/todos. With certificate_arn, point your domain at alb_dns_name and use https://<domain>. Set k6's ENDPOINT to this."
  value       = "${local.https ? "https" : "http"}://${aws_lb.this.dns_name}"
}

output "alb_dns_name" {
  description = "DNS name of the load balancer (for a CNAME or Route 53 alias)."
  value       = aws_lb.this.dns_name
}

output "service_deployed" {
  description = "false until image_tag is set: the infrastructure exists but no task definition or service runs yet (endpoint_url answers 503)."
  value       = local.deploy_service
}

output "image" {
  description = "Image the service runs (repository URL and image_tag), or null before image_tag is set."
  value       = local.deploy_service ? local.image : null
}

output "ecr_repository_url" {
  description = "ECR repository to push the image to; scripts/push-image.sh reads it."
  value       = aws_ecr_repository.this.repository_url
}

output "aws_region" {
  description = "Region everything is deployed in; scripts/push-image.sh reads it."
  value       = local.region
}

output "ecs_cluster_name" {
  description = "ECS cluster name (aws ecs list-tasks --cluster ...)."
  value       = aws_ecs_cluster.this.name
}

output "ecs_service_name" {
  description = "ECS service name (aws ecs describe-services --cluster <ecs_cluster_name> --services ...)."
  value       = local.service_name
}

output "task_definition" {
  description = "Task definition family:revision the service runs, or null before image_tag is set."
  value       = local.deploy_service ? "${aws_ecs_task_definition.this[0].family}:${aws_ecs_task_definition.this[0].revision}" : null
}

output "log_group_name" {
  description = "CloudWatch Logs group with the service's JSON log lines (Logs Insights: select this group)."
  value       = aws_cloudwatch_log_group.service.name
}

output "rds_log_group_name" {
  description = "CloudWatch Logs group with PostgreSQL's log: statements slower than log_min_duration_statement_ms, each with its /*request_id='...'*/ comment."
  value       = aws_cloudwatch_log_group.rds_postgresql.name
}

output "saved_query_names" {
  description = "Logs Insights saved queries (CloudWatch > Logs Insights > Saved queries)."
  value = [
    aws_cloudwatch_query_definition.request_trace.name,
    aws_cloudwatch_query_definition.slowest_routes.name,
    aws_cloudwatch_query_definition.sql_of_one_request.name,
    aws_cloudwatch_query_definition.errors_by_status.name,
    aws_cloudwatch_query_definition.sql_time_by_request.name,
    aws_cloudwatch_query_definition.slow_sql_in_postgres.name,
  ]
}

output "dashboard_name" {
  description = "CloudWatch dashboard name."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "dashboard_url" {
  description = "Console URL of the CloudWatch dashboard (ALB traffic, latency percentiles, 5XX, task CPU and memory, RDS CPU and connections)."
  value       = "https://${local.region}.console.aws.amazon.com/cloudwatch/home?region=${local.region}#dashboards/dashboard/${aws_cloudwatch_dashboard.this.dashboard_name}"
}

output "alarm_names" {
  description = "CloudWatch alarms: target 5XX rate, p99 latency, unhealthy targets."
  value = [
    aws_cloudwatch_metric_alarm.target_5xx_rate.alarm_name,
    aws_cloudwatch_metric_alarm.p99_latency.alarm_name,
    aws_cloudwatch_metric_alarm.unhealthy_hosts.alarm_name,
  ]
}

output "db_address" {
  description = "Hostname of the database (private: resolvable and reachable only from inside the VPC, and only from the tasks' security group)."
  value       = aws_db_instance.this.address
}

output "db_port" {
  description = "Port of the database."
  value       = aws_db_instance.this.port
}

output "db_name" {
  description = "Name of the service's database."
  value       = aws_db_instance.this.db_name
}

output "db_deletion_protection" {
  description = "Whether the database has deletion protection (var.deletion_protection): while true, terraform destroy fails on it."
  value       = aws_db_instance.this.deletion_protection
}

output "db_backup_retention_days" {
  description = "Days of automated backups kept, i.e. how far back point-in-time recovery reaches (var.backup_retention_days)."
  value       = aws_db_instance.this.backup_retention_period
}

output "db_instance_identifier" {
  description = "RDS instance identifier (metrics, Performance Insights, aws rds describe-db-instances)."
  value       = aws_db_instance.this.identifier
}

output "vpc_id" {
  description = "VPC everything runs in (the default VPC unless create_vpc = true)."
  value       = local.vpc_id
}
