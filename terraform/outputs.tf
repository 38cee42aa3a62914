output "endpoint_url" {
  description = "Base URL clients use; the API is under /api/v1, e.g. <endpoint_url>/api/v1/todos. With enable_cloudfront, https://<id>.cloudfront.net; otherwise the ALB's DNS name (with certificate_arn, point your domain at alb_dns_name and use https://<domain>). Set k6's ENDPOINT to this."
  value       = var.enable_cloudfront ? "https://${aws_cloudfront_distribution.this[0].domain_name}" : "${local.https ? "https" : "http"}://${aws_lb.this.dns_name}"
}

output "cloudfront_url" {
  description = "With enable_cloudfront: https://<id>.cloudfront.net, the HTTPS URL in front of the ALB (the ALB itself then answers CloudFront only). null without."
  value       = var.enable_cloudfront ? "https://${aws_cloudfront_distribution.this[0].domain_name}" : null
}

output "api_keys_secret_arn" {
  description = "ARN of the Secrets Manager secret holding API_KEYS (its value is never in Terraform), or null with enable_api_keys = false."
  value       = one(aws_secretsmanager_secret.api_keys[*].arn)
}

output "api_keys_secret_name" {
  description = "Name of the Secrets Manager secret holding API_KEYS, or null with enable_api_keys = false."
  value       = one(aws_secretsmanager_secret.api_keys[*].name)
}

output "api_keys_set_command" {
  description = "Sets the API keys to the shell variable API_KEYS: one key, or \"old,new\" while rotating (each at least 32 characters, e.g. openssl rand -hex 32). Running tasks keep the keys they started with: run rollout_command after each change. null with enable_api_keys = false."
  value       = var.enable_api_keys ? "aws secretsmanager put-secret-value --region ${local.region} --secret-id ${aws_secretsmanager_secret.api_keys[0].arn} --secret-string \"$API_KEYS\"" : null
}

output "rollout_command" {
  description = "Replaces the running tasks (rolling, no downtime) with a forced new deployment: after api_keys_set_command (tasks read the API keys at start), and after the first db_roles_command (a deployment that started before the database roles existed may have given up)."
  value       = "aws ecs update-service --region ${local.region} --cluster ${aws_ecs_cluster.this.name} --service ${local.service_name} --force-new-deployment"
}

output "db_app_secret_arn" {
  description = "ARN of the Secrets Manager secret holding the credentials of db_app_username, the database role the service's requests run as (written by the db-roles task, never by Terraform)."
  value       = aws_secretsmanager_secret.db_app.arn
}

output "db_migrations_secret_arn" {
  description = "ARN of the Secrets Manager secret holding the credentials of db_migrations_username, the database role the service's migrations run as (written by the db-roles task, never by Terraform)."
  value       = aws_secretsmanager_secret.db_migrations.arn
}

output "db_roles_task_definition" {
  description = "Task definition family:revision of the db-roles task, which creates the service's database roles and sets their passwords, or null before image_tag is set."
  value       = local.deploy_service ? "${aws_ecs_task_definition.db_roles[0].family}:${aws_ecs_task_definition.db_roles[0].revision}" : null
}

output "db_roles_command" {
  description = "Runs the db-roles task once with the service's subnets, security group and public IP setting, waits for it to stop, prints its exit code and exits with it (0: the roles exist with new passwords). Run it as terraform output -raw db_roles_command | sh once after the first apply with image_tag (the service's tasks cannot log in before), and again to rotate the two roles' passwords: running tasks read the new ones without a restart. Its log is in log_group_name, in the streams named db-roles/*. null before image_tag is set."
  value = local.deploy_service ? join(" && ", [
    "task=\"$(aws ecs run-task ${local.ecs_cli_cluster} --launch-type FARGATE --task-definition ${aws_ecs_task_definition.db_roles[0].family}:${aws_ecs_task_definition.db_roles[0].revision} --network-configuration 'awsvpcConfiguration={subnets=[${join(",", local.service_subnet_ids)}],securityGroups=[${aws_security_group.service.id}],assignPublicIp=${local.assign_public_ip ? "ENABLED" : "DISABLED"}}' --query 'tasks[0].taskArn' --output text)\"",
    "echo \"db-roles task: $task\"",
    "aws ecs wait tasks-stopped ${local.ecs_cli_cluster} --tasks \"$task\"",
    "code=\"$(aws ecs describe-tasks ${local.ecs_cli_cluster} --tasks \"$task\" --query 'tasks[0].containers[0].exitCode' --output text)\"",
    "echo \"db-roles exit code: $code\"",
    "[ \"$code\" = 0 ]",
  ]) : null
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
  description = "CloudWatch alarms: target 5XX rate, p99 latency, unhealthy targets, database free storage, and from the service's log 401s, 429s and successful DELETEs."
  value = concat(
    [
      aws_cloudwatch_metric_alarm.target_5xx_rate.alarm_name,
      aws_cloudwatch_metric_alarm.p99_latency.alarm_name,
      aws_cloudwatch_metric_alarm.unhealthy_hosts.alarm_name,
      aws_cloudwatch_metric_alarm.db_free_storage.alarm_name,
    ],
    [for alarm in aws_cloudwatch_metric_alarm.requests : alarm.alarm_name],
  )
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies (the created one, or alarm_sns_topic_arn): subscribe more endpoints to it."
  value       = local.alarm_topic_arn
}

output "alb_access_logs_bucket" {
  description = "S3 bucket holding the ALB's access logs (under <name>/AWSLogs/), or null with enable_alb_access_logs = false."
  value       = var.enable_alb_access_logs ? local.alb_access_logs_bucket : null
}

output "waf_web_acl_arn" {
  description = "ARN of the WAF web ACL on the ALB, or null without enable_waf."
  value       = one(aws_wafv2_web_acl.this[*].arn)
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

output "tasks_network_mode" {
  description = "How the tasks reach AWS: \"public-ip\" (public subnets with public IPs), \"nat\" (private subnets, enable_nat_gateway) or \"vpc-endpoints\" (private subnets without a route out, private_tasks)."
  value       = local.tasks_network_mode
}

output "tasks_subnet_ids" {
  description = "Subnets the tasks run in (the public ones in the public-IP mode, otherwise the private ones, which the database shares)."
  value       = local.service_subnet_ids
}

output "vpc_endpoint_ids" {
  description = "With private_tasks: IDs of the VPC endpoints by service (ecr.api, ecr.dkr, logs, secretsmanager, s3); empty otherwise."
  value = merge(
    { for service, endpoint in aws_vpc_endpoint.interface : service => endpoint.id },
    { for endpoint in aws_vpc_endpoint.s3 : "s3" => endpoint.id },
  )
}
