################################################################################
# ECS on Fargate: cluster, task definitions, service behind the ALB
#
# Two task definitions from the same image: the service's, and db-roles, a
# one-shot task run by hand (db_roles_command output) that creates the
# service's database roles and rotates their passwords (secrets.tf).
################################################################################

locals {
  # Fargate's allowed task memory (MiB) for each task CPU value (CPU units),
  # from the ECS developer guide's table of task CPU and memory. 8192 and 16384
  # CPU units need Linux platform version 1.4.0 or later (LATEST is).
  fargate_memory_by_cpu = {
    "256"   = [512, 1024, 2048]
    "512"   = range(1024, 4097, 1024)
    "1024"  = range(2048, 8193, 1024)
    "2048"  = range(4096, 16385, 1024)
    "4096"  = range(8192, 30721, 1024)
    "8192"  = range(16384, 61441, 4096)
    "16384" = range(32768, 122881, 8192)
  }

  image_tag = var.image_tag == null ? "" : var.image_tag
  image     = "${aws_ecr_repository.this.repository_url}:${local.image_tag}"

  # Only names the service reads (its config schema), kept sorted by name: a
  # stable order keeps plans free of reordering noise.
  container_environment_always = [
    { name = "DB_HOST", value = aws_db_instance.this.address },
    { name = "DB_MIGRATIONS_USER", value = var.db_migrations_username },
    { name = "DB_NAME", value = var.db_name },
    { name = "DB_POOL_SIZE", value = tostring(var.db_pool_size) },
    { name = "DB_PORT", value = tostring(aws_db_instance.this.port) },
    { name = "DB_SSL", value = "true" },
    # The image carries the RDS global CA bundle here; with it the service
    # verifies the database's certificate (rds.force_ssl = 1 refuses plaintext).
    { name = "DB_SSL_CA_FILE", value = "/app/certs/rds-global-bundle.pem" },
    { name = "DB_USER", value = var.db_app_username },
    { name = "HOST", value = "0.0.0.0" },
    { name = "LOG_LEVEL", value = var.log_level },
    # Read by Node itself, not the service's config (variables.tf).
    { name = "NODE_OPTIONS", value = var.node_options },
    { name = "PORT", value = tostring(local.container_port) },
    { name = "SERVICE_VERSION", value = local.image_tag },
    { name = "SLOW_QUERY_MS", value = tostring(var.slow_query_ms) },
    { name = "WEB_CONCURRENCY", value = tostring(var.web_concurrency) },
  ]

  # Behind CloudFront a request passes two proxies (CloudFront, then the ALB),
  # each appending to X-Forwarded-For: the client is the second address from
  # the right. Trusting one hop more or less would key the rate limit on a
  # CloudFront address or on whatever a client writes in the header.
  container_environment_proxy = [
    { name = "TRUST_PROXY_HOPS", value = tostring(var.enable_cloudfront ? 2 : 1) },
  ]

  # Per client IP, per Node process; omitted when 0 (the service's "no limit").
  container_environment_rate_limit = [
    { name = "RATE_LIMIT_MAX", value = tostring(var.rate_limit_max) },
    { name = "RATE_LIMIT_WINDOW_MS", value = "60000" },
  ]

  # Optional: the service also ships its logs itself (see iam.tf for the task
  # role's permissions on that group).
  container_environment_self_shipping = [
    { name = "CLOUDWATCH_LOG_GROUP", value = var.self_shipping_log_group_name },
  ]

  # The two database roles' passwords. With roles of its own the service
  # reads them from Secrets Manager itself (task role, iam.tf), at start and
  # again when PostgreSQL refuses one, so a rotation reaches running tasks.
  # With existing_iam_role_name ECS injects them at task start instead
  # (container_secrets_db_roles): the container then holds no credentials
  # of that broad role, and a rotation reaches the tasks with rollout_command.
  container_environment_db_secrets = [
    { name = "DB_MIGRATIONS_PASSWORD_SECRET_ID", value = aws_secretsmanager_secret.db_migrations.arn },
    { name = "DB_PASSWORD_SECRET_ID", value = aws_secretsmanager_secret.db_app.arn },
  ]

  container_environment = concat(
    local.container_environment_always,
    local.create_iam_roles ? local.container_environment_db_secrets : [],
    local.container_environment_proxy,
    var.rate_limit_max > 0 ? local.container_environment_rate_limit : [],
    local.self_shipping_logs ? local.container_environment_self_shipping : [],
  )

  # Secrets never appear in Terraform, the task definition or the environment
  # list: ECS reads API_KEYS from Secrets Manager at task start (execution
  # role, see iam.tf), the whole secret string, "key" or "old,new" (secrets.tf).
  container_secrets_api_keys = [
    { name = "API_KEYS", valueFrom = one(aws_secretsmanager_secret.api_keys[*].arn) },
  ]

  container_secrets_db_roles = [
    { name = "DB_MIGRATIONS_PASSWORD", valueFrom = "${aws_secretsmanager_secret.db_migrations.arn}:password::" },
    { name = "DB_PASSWORD", valueFrom = "${aws_secretsmanager_secret.db_app.arn}:password::" },
  ]

  container_secrets = concat(
    var.enable_api_keys ? local.container_secrets_api_keys : [],
    local.create_iam_roles ? [] : local.container_secrets_db_roles,
  )

  container_definition = {
    name      = local.container_name
    image     = local.image
    essential = true

    portMappings = [
      {
        name          = "http"
        containerPort = local.container_port
        hostPort      = local.container_port
        protocol      = "tcp"
        appProtocol   = "http"
      },
    ]

    environment = local.container_environment
    secrets     = local.container_secrets

    # Least privilege inside the task. The service writes nothing to disk (its
    # logs go to stdout, its data to PostgreSQL: under strace, start-up,
    # migrations, requests and shutdown open no file for writing), so the root
    # filesystem is read-only: a compromised process cannot alter the code it
    # runs nor drop files to run later, and no volume is mounted writable either. It runs as
    # the image's unprivileged user (uid 1000, also the Dockerfile's USER) with
    # every Linux capability dropped: it listens on 6400, above the
    # privileged ports, and tini, PID 1, only forwards signals.
    readonlyRootFilesystem = true
    user                   = "node"
    linuxParameters = {
      capabilities = {
        drop = ["ALL"]
      }
    }

    # On SIGTERM the service stops accepting connections and drains in-flight
    # requests within SHUTDOWN_TIMEOUT_MS (25 s); ECS sends SIGKILL 30 s after
    # SIGTERM. Before SIGTERM the target has already been deregistered from the
    # ALB and drained for deregistration_delay (alb.tf).
    stopTimeout = 30

    # stdout (one JSON object per line) goes to the service's log group, in
    # streams named ecs/<container>/<task id>. non-blocking: if CloudWatch
    # Logs is slow, lines queue in a bounded buffer (and the oldest are
    # dropped when it is full) instead of blocking the process's writes to
    # stdout, i.e. the requests being served.
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        "awslogs-group"         = aws_cloudwatch_log_group.service.name
        "awslogs-region"        = local.region
        "awslogs-stream-prefix" = "ecs"
        "mode"                  = "non-blocking"
        "max-buffer-size"       = "25m"
      }
    }
  }
}

# Plan-time checks on the task size. A pair Fargate does not offer would
# otherwise surface only at apply ("No Fargate configuration exists for given
# values"); this fails `terraform plan` instead, with the allowed values.
resource "terraform_data" "fargate_task_size" {
  input = {
    cpu    = var.task_cpu
    memory = var.task_memory
  }

  lifecycle {
    precondition {
      condition     = contains(lookup(local.fargate_memory_by_cpu, tostring(var.task_cpu), []), var.task_memory)
      error_message = "task_memory = ${var.task_memory} MiB is not allowed with task_cpu = ${var.task_cpu}; Fargate allows ${jsonencode(lookup(local.fargate_memory_by_cpu, tostring(var.task_cpu), []))}."
    }
  }
}

# One Node process keeps about one vCPU busy: more processes than vCPUs only
# adds context switching and database connections. A warning, not an error.
check "web_concurrency_fits_task_cpu" {
  assert {
    condition     = var.web_concurrency <= max(1, floor(var.task_cpu / 1024))
    error_message = "web_concurrency = ${var.web_concurrency} Node processes on ${var.task_cpu / 1024} vCPU: use at most ${max(1, floor(var.task_cpu / 1024))} (task_cpu / 1024, at least 1)."
  }
}

resource "aws_ecs_cluster" "this" {
  name = local.cluster_name

  setting {
    name  = "containerInsights"
    value = var.container_insights
  }
}

resource "aws_ecs_task_definition" "this" {
  #checkov:skip=CKV_AWS_249:By default the execution role and the task role are two roles, each least privilege (aws_iam_role.execution, aws_iam_role.task; iam.tf, tested). They are one role only with var.existing_iam_role_name, for AWS Academy, where iam:CreateRole is denied.
  count = local.deploy_service ? 1 : 0

  family                   = local.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  execution_role_arn       = local.execution_role_arn
  task_role_arn            = local.task_role_arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  container_definitions = jsonencode([local.container_definition])

  depends_on = [terraform_data.fargate_task_size]
}

resource "aws_ecs_service" "this" {
  count = local.deploy_service ? 1 : 0

  name             = local.service_name
  cluster          = aws_ecs_cluster.this.arn
  task_definition  = aws_ecs_task_definition.this[0].arn
  launch_type      = "FARGATE"
  platform_version = "LATEST"

  # The initial count; autoscaling (autoscaling.tf) owns it afterwards, so a
  # later apply does not reset a scaled-out service (see lifecycle below).
  desired_count = var.desired_count

  # Rolling deployments: start new tasks before stopping old ones, and give up
  # (rolling back to the last good task definition) when new tasks keep failing
  # to start or to pass the readiness check.
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  health_check_grace_period_seconds = var.health_check_grace_period_seconds
  wait_for_steady_state             = var.wait_for_steady_state

  enable_execute_command  = false
  enable_ecs_managed_tags = true
  propagate_tags          = "SERVICE"

  network_configuration {
    subnets          = local.service_subnet_ids
    security_groups  = [aws_security_group.service.id]
    assign_public_ip = local.assign_public_ip
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this.arn
    container_name   = local.container_name
    container_port   = local.container_port
  }

  lifecycle {
    ignore_changes = [desired_count]
  }

  # The target group must be attached to the load balancer before a service
  # can use it; the roles' policies must exist before tasks start (and
  # outlive them on destroy), and so must the NAT route or, with
  # private_tasks, the VPC endpoints and the rules to reach them.
  depends_on = [
    aws_lb_listener.http,
    aws_lb_listener.https,
    aws_iam_role_policy.execution,
    aws_iam_role_policy.task_db_secrets,
    aws_iam_role_policy.task_self_shipping,
    aws_route.private_nat,
    aws_vpc_endpoint.interface,
    aws_vpc_endpoint.s3,
    aws_vpc_security_group_egress_rule.service_to_endpoints,
    aws_vpc_security_group_egress_rule.service_to_s3,
  ]
}

################################################################################
# db-roles: the one-shot task that creates the service's database roles
#
# Logs in as the master user (its RDS-managed secret, which the service's task
# role cannot read), creates the LOGIN roles var.db_app_username and
# var.db_migrations_username if missing, gives each a new random password
# following Secrets Manager's rotation protocol (secrets.tf), makes the
# migrations role the owner of the schema's objects, and exits 0. Run once
# after the first apply with image_tag, and again to rotate the two passwords
# (db_roles_command output); it runs with the service's network settings, so
# it reaches the database and Secrets Manager the same way.
################################################################################

locals {
  # The AWS CLI options naming this cluster, for each step of db_roles_command
  # (outputs.tf).
  ecs_cli_cluster = "--region ${local.region} --cluster ${aws_ecs_cluster.this.name}"

  # Sorted by name, as the service's. The database and TLS settings are the
  # service's own (a test keeps them equal).
  db_roles_environment = [
    { name = "DB_APP_PASSWORD_SECRET_ID", value = aws_secretsmanager_secret.db_app.arn },
    { name = "DB_APP_USER", value = var.db_app_username },
    { name = "DB_HOST", value = aws_db_instance.this.address },
    { name = "DB_MIGRATIONS_PASSWORD_SECRET_ID", value = aws_secretsmanager_secret.db_migrations.arn },
    { name = "DB_MIGRATIONS_USER", value = var.db_migrations_username },
    { name = "DB_NAME", value = var.db_name },
    # The master user's secret, RDS-managed (JSON with a password key).
    { name = "DB_PASSWORD_SECRET_ID", value = aws_db_instance.this.master_user_secret[0].secret_arn },
    { name = "DB_PORT", value = tostring(aws_db_instance.this.port) },
    { name = "DB_SSL", value = "true" },
    { name = "DB_SSL_CA_FILE", value = "/app/certs/rds-global-bundle.pem" },
    { name = "DB_USER", value = var.db_username },
  ]

  db_roles_container_definition = {
    name      = "db-roles"
    image     = local.image
    essential = true
    command   = ["node", "dist/libs/database/src/cli/setup-roles.js"]

    environment = local.db_roles_environment

    # The service container's least privilege (see above): it writes no file
    # either, and opens no port.
    readonlyRootFilesystem = true
    user                   = "node"
    linuxParameters = {
      capabilities = {
        drop = ["ALL"]
      }
    }

    # Into the service's log group, streams db-roles/<container>/<task id>.
    # Blocking: a short job serves no request, and every line of its log
    # matters when it fails.
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        "awslogs-group"         = aws_cloudwatch_log_group.service.name
        "awslogs-region"        = local.region
        "awslogs-stream-prefix" = "db-roles"
        "mode"                  = "blocking"
      }
    }
  }
}

resource "aws_ecs_task_definition" "db_roles" {
  #checkov:skip=CKV_AWS_249:By default the execution role and the task role are two roles, each least privilege (aws_iam_role.execution, aws_iam_role.db_roles; iam.tf, tested). They are one role only with var.existing_iam_role_name, for AWS Academy, where iam:CreateRole is denied.
  count = local.deploy_service ? 1 : 0

  family                   = "${local.name}-db-roles"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  execution_role_arn       = local.execution_role_arn
  task_role_arn            = local.db_roles_task_role_arn

  # The smallest Fargate size: a few SQL statements and Secrets Manager calls.
  cpu    = 256
  memory = 512

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  container_definitions = jsonencode([local.db_roles_container_definition])
}
