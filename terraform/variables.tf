################################################################################
# Provider and naming
################################################################################

variable "aws_region" {
  type        = string
  description = "AWS Region to deploy into. AWS Academy Learner Lab only allows us-east-1 and us-west-2."
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a Region code such as us-east-1."
  }
}

variable "aws_profile" {
  type        = string
  description = "Named profile in the shared credentials/config files. null uses the default credential chain."
  default     = null
}

variable "aws_shared_credentials_files" {
  type        = list(string)
  description = "Paths of shared credentials files to read, e.g. [\"../credentials\"] with the credentials copied from the Learner Lab's AWS Details. Empty uses the default chain (environment, ~/.aws/credentials)."
  default     = []
}

variable "name" {
  type        = string
  description = "Name of the service: prefixes every resource (cluster, service, ALB, target group, database, log group, ECR repository)."
  default     = "taskoverflow"

  validation {
    # The ALB and target group names (name + "-alb" / "-tg") must stay within 32
    # characters; the RDS identifier must start with a letter and have no "--".
    condition     = can(regex("^[a-z][a-z0-9-]{0,18}[a-z0-9]$", var.name)) && !strcontains(var.name, "--")
    error_message = "name must be 2-20 characters of lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "tags" {
  type        = map(string)
  description = "Extra tags for every resource, merged into the provider's default_tags."
  default     = {}
}

################################################################################
# Network
################################################################################

variable "create_vpc" {
  type        = bool
  description = "false (default): use the account's default VPC: its default subnets for the ALB (and the tasks in the public-IP mode), plus private subnets added to it for the database (and the tasks with enable_nat_gateway or private_tasks). true: create a VPC with public subnets and private subnets used the same way."
  default     = false
}

variable "vpc_cidr" {
  type        = string
  description = "CIDR block of the VPC created when create_vpc = true; each subnet is a /(prefix+4) slice of it."
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 22
    error_message = "vpc_cidr must be an IPv4 CIDR block from /16 to /22."
  }
}

variable "az_count" {
  type        = number
  description = "Availability Zones to spread the created subnets over: the database's private subnets always, the public ones too with create_vpc = true (the ALB and the DB subnet group need at least 2)."
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 4 && floor(var.az_count) == var.az_count
    error_message = "az_count must be a whole number from 2 to 4."
  }
}

variable "enable_nat_gateway" {
  type        = bool
  description = "Run tasks in the private subnets without public IPs, reaching AWS (and the internet) through one NAT gateway in a public subnet (about 33 USD a month plus 0.045 USD per GB in us-east-1), in either VPC. false with private_tasks = false keeps tasks in public subnets with public IPs, reachable only from the ALB's security group. Not with private_tasks (checked at plan time)."
  default     = false
}

variable "private_tasks" {
  type        = bool
  description = "Run tasks in the private subnets without public IPs and without any route out: they reach ECR, CloudWatch Logs and Secrets Manager only through VPC endpoints this module creates (4 interface endpoints per AZ, about 7.30 USD a month each in us-east-1, and a free S3 gateway endpoint), in either VPC. Not with enable_nat_gateway (checked at plan time); the default VPC needs DNS resolution and DNS hostnames on (checked at plan time)."
  default     = false
}

################################################################################
# IAM
################################################################################

variable "existing_iam_role_name" {
  type        = string
  description = "Use this existing IAM role (e.g. \"LabRole\" in AWS Academy Learner Lab, which forbids creating roles) instead of creating the three least-privilege roles: as the execution role of both task definitions, the task role of db-roles, and the service's task role only with self-shipping (ECS then injects the database roles' passwords at task start). null creates them."
  default     = null

  validation {
    condition     = var.existing_iam_role_name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.existing_iam_role_name))
    error_message = "existing_iam_role_name must be an IAM role name (1-64 characters of A-Z a-z 0-9 +=,.@_-), or null."
  }
}

################################################################################
# Image
################################################################################

variable "image_tag" {
  type        = string
  description = "Tag of the image in the ECR repository to run, as printed by scripts/push-image.sh (a git SHA by default); also passed to the service as SERVICE_VERSION. null creates everything except the task definition, service and autoscaling, so the repository exists before the first push."
  default     = null

  validation {
    condition     = var.image_tag == null || can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))
    error_message = "image_tag must be a Docker tag: up to 128 characters of letters, digits, _ . and -, not starting with . or -."
  }
}

variable "cpu_architecture" {
  type        = string
  description = "CPU architecture of the image and the Fargate tasks: X86_64 (images built with --platform linux/amd64, the push script's default) or ARM64 (linux/arm64, cheaper per vCPU on Fargate)."
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "ecr_force_delete" {
  type        = bool
  description = "Let terraform destroy delete the ECR repository while it still holds images. false (safe default) makes destroy fail until the images are deleted or this is set to true and applied."
  default     = false
}

variable "ecr_keep_images" {
  type        = number
  description = "ECR lifecycle policy: keep this many most recent images (older ones expire; untagged ones expire after 7 days)."
  default     = 20

  validation {
    condition     = var.ecr_keep_images >= 1 && floor(var.ecr_keep_images) == var.ecr_keep_images
    error_message = "ecr_keep_images must be a whole number of at least 1."
  }
}

################################################################################
# ECS service
################################################################################

variable "container_insights" {
  type        = string
  description = "CloudWatch Container Insights on the ECS cluster: enabled, or enhanced (per-task and per-container metrics, more CloudWatch cost). It cannot be turned off here: task CPU and memory per task are what load tests are read against."
  default     = "enabled"

  validation {
    condition     = contains(["enabled", "enhanced"], var.container_insights)
    error_message = "container_insights must be enabled or enhanced."
  }
}

variable "task_cpu" {
  type        = number
  description = "Fargate task CPU units (1024 = 1 vCPU): 256, 512, 1024, 2048, 4096, 8192 or 16384. task_memory must be a value Fargate allows for it (checked at plan time)."
  default     = 1024

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.task_cpu)
    error_message = "task_cpu must be one of Fargate's CPU values: 256, 512, 1024, 2048, 4096, 8192, 16384."
  }
}

variable "task_memory" {
  type        = number
  description = "Fargate task memory in MiB. Allowed per task_cpu: 256 -> 512/1024/2048; 512 -> 1024-4096; 1024 -> 2048-8192; 2048 -> 4096-16384; 4096 -> 8192-30720 (1024 steps); 8192 -> 16384-61440 (4096 steps); 16384 -> 32768-122880 (8192 steps)."
  default     = 2048

  validation {
    condition     = var.task_memory == 512 || (var.task_memory >= 1024 && var.task_memory <= 122880 && var.task_memory % 1024 == 0)
    error_message = "task_memory must be 512 or a multiple of 1024 from 1024 to 122880 MiB (and allowed for task_cpu)."
  }
}

variable "web_concurrency" {
  type        = number
  description = "Node.js processes per task, passed as WEB_CONCURRENCY. One process uses about one vCPU, so match task_cpu / 1024 (1 for tasks below 1 vCPU); the service's own default reads the same from the task's cgroup CPU quota."
  default     = 1

  validation {
    condition     = var.web_concurrency >= 1 && var.web_concurrency <= 16 && floor(var.web_concurrency) == var.web_concurrency
    error_message = "web_concurrency must be a whole number from 1 to 16."
  }
}

variable "desired_count" {
  type        = number
  description = "Tasks the service starts with. With enable_autoscaling, autoscaling owns the count afterwards (kept between min_tasks and max_tasks) and later changes to this variable are ignored."
  default     = 2

  validation {
    condition     = var.desired_count >= 0 && floor(var.desired_count) == var.desired_count
    error_message = "desired_count must be a whole number of at least 0."
  }
}

variable "health_check_grace_period_seconds" {
  type        = number
  description = "Seconds ECS ignores failing load balancer health checks of a new task. Start-up waits for the database (DB_CONNECT_RETRIES x DB_CONNECT_RETRY_DELAY_MS, 30 s by default) and runs migrations before listening."
  default     = 60

  validation {
    condition     = var.health_check_grace_period_seconds >= 0 && var.health_check_grace_period_seconds <= 3600
    error_message = "health_check_grace_period_seconds must be from 0 to 3600."
  }
}

variable "wait_for_steady_state" {
  type        = bool
  description = "Make terraform apply wait until the service's tasks are running and healthy, so endpoint_url answers when apply returns (a failed deployment is rolled back by the circuit breaker and fails the apply)."
  default     = true
}

variable "log_level" {
  type        = string
  description = "LOG_LEVEL of the service: debug, info, warn, error or fatal."
  default     = "info"

  validation {
    condition     = contains(["debug", "info", "warn", "error", "fatal"], var.log_level)
    error_message = "log_level must be debug, info, warn, error or fatal."
  }
}

variable "node_options" {
  type        = string
  description = "NODE_OPTIONS of the service's Node processes. The default caps V8's young generation (8 MB a semi-space), which Node 24 otherwise grows to 32 MB under load; with the old generation's growth the service sets itself (twice the live heap), one process peaks at about 190 MB of RSS instead of 380 (docs/capacity.md). Only V8 and Node flags; empty for Node's own defaults."
  default     = "--max-semi-space-size=8"

  validation {
    condition     = can(regex("^(--[a-z0-9-]+(=[A-Za-z0-9._-]+)?( |$))*$", var.node_options))
    error_message = "node_options must be space-separated flags such as --max-semi-space-size=8 or --max-old-space-size=1536."
  }
}

variable "slow_query_ms" {
  type        = number
  description = "SLOW_QUERY_MS: SQL statements slower than this are logged by the service at warn with slow: true. Keep it equal to log_min_duration_statement_ms so both sides agree on what is slow."
  default     = 200

  validation {
    condition     = var.slow_query_ms >= 0 && var.slow_query_ms <= 3600000 && floor(var.slow_query_ms) == var.slow_query_ms
    error_message = "slow_query_ms must be a whole number of milliseconds from 0 to 3600000."
  }
}

variable "db_pool_size" {
  type        = number
  description = "DB_POOL_SIZE: database connections per task, shared out among its web_concurrency Node processes (at least one each). max(db_pool_size, web_concurrency) x max_tasks (x2 during a deployment) must stay below the database's max_connections."
  default     = 10

  validation {
    condition     = var.db_pool_size >= 1 && var.db_pool_size <= 1000 && floor(var.db_pool_size) == var.db_pool_size
    error_message = "db_pool_size must be a whole number from 1 to 1000 (the range the service accepts)."
  }
}

variable "self_shipping_log_group_name" {
  type        = string
  description = "Optional CLOUDWATCH_LOG_GROUP: a second log group the service ships its own logs to through the CloudWatch Logs API (the task role then gets logs:CreateLogGroup/CreateLogStream/PutLogEvents on that group only). Not needed on ECS, where the awslogs driver already ships stdout; null leaves it off."
  default     = null

  validation {
    condition     = var.self_shipping_log_group_name == null || can(regex("^[A-Za-z0-9_./#-]{1,512}$", var.self_shipping_log_group_name))
    error_message = "self_shipping_log_group_name must be a CloudWatch Logs group name (1-512 characters of letters, digits and _ . / # -), or null."
  }
}

################################################################################
# API keys and request limits
################################################################################

variable "enable_api_keys" {
  type        = bool
  description = "Require Authorization: Bearer <key> on every /api/v1 route except the health checks: the service gets API_KEYS from a Secrets Manager secret this module creates (its value is set outside Terraform, see the api_keys_set_command output; tasks do not start until it is). Needs HTTPS: certificate_arn or enable_cloudfront (checked at plan time). false leaves the API open to anyone who can reach it."
  default     = true
}

variable "api_keys_recovery_window_days" {
  type        = number
  description = "Days a deleted API keys secret can still be restored (aws secretsmanager restore-secret) before Secrets Manager erases it: 7 to 30, or 0 to erase it at once on destroy."
  default     = 7

  validation {
    condition     = var.api_keys_recovery_window_days == 0 || (var.api_keys_recovery_window_days >= 7 && var.api_keys_recovery_window_days <= 30 && floor(var.api_keys_recovery_window_days) == var.api_keys_recovery_window_days)
    error_message = "api_keys_recovery_window_days must be 0 or a whole number from 7 to 30."
  }
}

variable "rate_limit_max" {
  type        = number
  description = "RATE_LIMIT_MAX: requests per client IP per minute per Node process (RATE_LIMIT_WINDOW_MS = 60000), answered 429 beyond it; the health checks are exempt. The fleet-wide ceiling per client is this x web_concurrency x tasks. 0 turns the limit off. A load test from one host sends everything from one IP: raise it, or set 0, for that test."
  default     = 1200

  validation {
    condition     = var.rate_limit_max >= 0 && var.rate_limit_max <= 1000000 && floor(var.rate_limit_max) == var.rate_limit_max
    error_message = "rate_limit_max must be a whole number from 0 (off) to 1000000."
  }
}

variable "enable_waf" {
  type        = bool
  description = "An AWS WAF web ACL on the ALB: a rate-based rule per client IP (waf_rate_limit_per_5_minutes, fleet-wide, unlike rate_limit_max) and AWS's Known bad inputs managed rule group. Billed per ACL, rule and million requests. Not with enable_cloudfront (the ALB would see CloudFront's addresses, not the clients'; checked at plan time)."
  default     = false
}

variable "waf_rate_limit_per_5_minutes" {
  type        = number
  description = "With enable_waf: requests one client IP may send in any 5 minutes, across all tasks, before WAF blocks it (403) until its rate falls back under the limit."
  default     = 6000

  validation {
    condition     = var.waf_rate_limit_per_5_minutes >= 100 && var.waf_rate_limit_per_5_minutes <= 2000000000 && floor(var.waf_rate_limit_per_5_minutes) == var.waf_rate_limit_per_5_minutes
    error_message = "waf_rate_limit_per_5_minutes must be a whole number from 100 (WAF's minimum) to 2000000000."
  }
}

################################################################################
# Autoscaling
################################################################################

variable "enable_autoscaling" {
  type        = bool
  description = "Target-tracking autoscaling of the service between min_tasks and max_tasks, on average CPU and on ALB requests per target."
  default     = true
}

variable "min_tasks" {
  type        = number
  description = "Fewest tasks autoscaling keeps (2 keeps one per Availability Zone)."
  default     = 2

  validation {
    condition     = var.min_tasks >= 1 && floor(var.min_tasks) == var.min_tasks
    error_message = "min_tasks must be a whole number of at least 1."
  }
}

variable "max_tasks" {
  type        = number
  description = "Most tasks autoscaling may run; must be >= min_tasks (checked at plan time) and bounds the database connections (see db_pool_size)."
  default     = 4

  validation {
    condition     = var.max_tasks >= 1 && var.max_tasks <= 100 && floor(var.max_tasks) == var.max_tasks
    error_message = "max_tasks must be a whole number from 1 to 100."
  }
}

variable "cpu_target_percent" {
  type        = number
  description = "Target value of the ECS service's average CPU utilisation (percent) for target tracking."
  default     = 60

  validation {
    condition     = var.cpu_target_percent >= 10 && var.cpu_target_percent <= 90
    error_message = "cpu_target_percent must be from 10 to 90."
  }
}

variable "requests_per_target" {
  type        = number
  description = "Target value of the ALB's RequestCountPerTarget (requests per task per minute) for target tracking. 20000 (about 330 requests/s) is a little over half of what one vCPU served within p99 < 50 ms in the worst case measured, every list rendered afresh (docs/capacity.md); multiply by web_concurrency for bigger tasks, and re-derive it from a load test on AWS."
  default     = 20000

  validation {
    condition     = var.requests_per_target >= 1
    error_message = "requests_per_target must be at least 1."
  }
}

variable "scale_out_cooldown_seconds" {
  type        = number
  description = "Seconds after a scale-out before target tracking may scale out again."
  default     = 60

  validation {
    condition     = var.scale_out_cooldown_seconds >= 0 && var.scale_out_cooldown_seconds <= 3600
    error_message = "scale_out_cooldown_seconds must be from 0 to 3600."
  }
}

variable "scale_in_cooldown_seconds" {
  type        = number
  description = "Seconds after a scale-in before target tracking may scale in again (longer than scale-out, to avoid flapping)."
  default     = 300

  validation {
    condition     = var.scale_in_cooldown_seconds >= 0 && var.scale_in_cooldown_seconds <= 3600
    error_message = "scale_in_cooldown_seconds must be from 0 to 3600."
  }
}

################################################################################
# Load balancer
################################################################################

variable "certificate_arn" {
  type        = string
  description = "ACM certificate ARN (for your domain, in the ALB's Region) for an HTTPS listener on 443; HTTP on 80 then redirects to HTTPS. null serves HTTP only on 80, which enable_api_keys refuses unless enable_cloudfront is on."
  default     = null

  validation {
    condition     = var.certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN (arn:aws:acm:...), or null."
  }
}

variable "ssl_policy" {
  type        = string
  description = "TLS security policy of the HTTPS listener (used only with certificate_arn)."
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"

  validation {
    condition     = startswith(var.ssl_policy, "ELBSecurityPolicy-")
    error_message = "ssl_policy must be an ELB security policy name (ELBSecurityPolicy-...)."
  }
}

variable "enable_cloudfront" {
  type        = bool
  description = "Put a CloudFront distribution in front of the ALB and serve clients HTTPS on its *.cloudfront.net name with CloudFront's default certificate: HTTPS without a domain of your own. CloudFront reaches the ALB over HTTP on 80, which then admits only CloudFront's origin-facing addresses (AWS managed prefix list). Not together with certificate_arn (checked at plan time)."
  default     = false
}

variable "cloudfront_price_class" {
  type        = string
  description = "With enable_cloudfront: the edge locations serving clients. PriceClass_100 (North America and Europe) is the cheapest; PriceClass_All is every edge location."
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.cloudfront_price_class)
    error_message = "cloudfront_price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "enable_alb_access_logs" {
  type        = bool
  description = "Write the load balancer's access logs (every request, also those the ALB answers itself: 4XX/5XX it generates, WAF blocks) to S3 under the prefix <name>/. By default into a bucket this module creates (SSE-S3, no public access, expiring after alb_access_logs_retention_days)."
  default     = true
}

variable "alb_access_logs_bucket" {
  type        = string
  description = "With enable_alb_access_logs: an existing S3 bucket to write the access logs to instead of creating one; its bucket policy must let Elastic Load Balancing write there, and its encryption must be SSE-S3. null (default) creates the bucket."
  default     = null

  validation {
    condition     = var.alb_access_logs_bucket == null ? true : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.alb_access_logs_bucket))
    error_message = "alb_access_logs_bucket must be an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens), or null."
  }
}

variable "alb_access_logs_retention_days" {
  type        = number
  description = "Days the created access logs bucket keeps each log file before S3 deletes it."
  default     = 90

  validation {
    condition     = var.alb_access_logs_retention_days >= 1 && var.alb_access_logs_retention_days <= 3650 && floor(var.alb_access_logs_retention_days) == var.alb_access_logs_retention_days
    error_message = "alb_access_logs_retention_days must be a whole number from 1 to 3650."
  }
}

variable "alb_access_logs_force_destroy" {
  type        = bool
  description = "Let terraform destroy delete the created access logs bucket while it still holds logs. false (safe default) makes destroy fail until the logs are deleted or this is set to true and applied."
  default     = false
}

variable "alb_deletion_protection" {
  type        = bool
  description = "Deletion protection on the load balancer (terraform destroy fails while it is on)."
  default     = false
}

################################################################################
# Database
################################################################################

variable "engine_version" {
  type        = string
  description = "PostgreSQL version on RDS: a major (\"17\", minor versions then follow auto_minor_version_upgrade) or major.minor. The parameter group family (postgresNN) is derived from the major."
  default     = "17"

  validation {
    condition     = can(regex("^(1[4-9]|[2-9][0-9])(\\.[0-9]+)?$", var.engine_version))
    error_message = "engine_version must be a PostgreSQL major from 14 up (\"17\") or major.minor (\"17.4\")."
  }
}

variable "db_instance_class" {
  type        = string
  description = "RDS instance class. Its memory sets the default max_connections (LEAST(memory/9531392, 5000): about 112 on db.t4g.micro, 225 on db.t4g.small)."
  default     = "db.t4g.small"

  validation {
    condition     = can(regex("^db\\.[a-z0-9-]+\\.[a-z0-9]+$", var.db_instance_class))
    error_message = "db_instance_class must be an RDS instance class such as db.t4g.small."
  }
}

variable "db_allocated_storage" {
  type        = number
  description = "Initial storage of the database in GiB (gp3)."
  default     = 20

  validation {
    condition     = var.db_allocated_storage >= 20 && var.db_allocated_storage <= 65536 && floor(var.db_allocated_storage) == var.db_allocated_storage
    error_message = "db_allocated_storage must be a whole number of GiB from 20 to 65536."
  }
}

variable "db_max_allocated_storage" {
  type        = number
  description = "Storage autoscaling ceiling in GiB; 0 disables storage autoscaling. Must be 0 or >= db_allocated_storage (checked at plan time)."
  default     = 100

  validation {
    condition     = var.db_max_allocated_storage >= 0 && var.db_max_allocated_storage <= 65536 && floor(var.db_max_allocated_storage) == var.db_max_allocated_storage
    error_message = "db_max_allocated_storage must be a whole number of GiB from 0 to 65536."
  }
}

variable "db_name" {
  type        = string
  description = "Database created on the instance, passed as DB_NAME."
  default     = "taskoverflow"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,62}$", var.db_name))
    error_message = "db_name must start with a letter and contain up to 63 letters, digits and underscores."
  }
}

variable "db_username" {
  type        = string
  description = "Master user name of the database. Only the db-roles task logs in as it, to create the service's two roles (db_app_username, db_migrations_username); the service never does. Its password is generated and rotated by RDS in Secrets Manager (manage_master_user_password); no password is ever written in Terraform."
  default     = "taskoverflow"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,62}$", var.db_username)) && !contains(["rdsadmin", "rdsrepladmin", "rds_superuser"], lower(var.db_username))
    error_message = "db_username must start with a letter, contain up to 63 letters, digits and underscores, and not be a name RDS reserves."
  }
}

# The two roles below are created by the db-roles task, which takes lower-case
# names only (the PostgreSQL form of an unquoted name), and with CREATE ROLE,
# which refuses PostgreSQL's reserved names (pg_*, public, none); rds* names
# belong to RDS's own roles (rds_superuser, rds_iam, rdsadmin, ...). They must
# differ from each other and from db_username (a precondition in rds.tf).
variable "db_app_username" {
  type        = string
  description = "Database role the service's requests run as (DB_USER): a LOGIN role with only the privileges the migrations grant it, not the master user. Created, and its password set and rotated, by the db-roles task (db_roles_command output); the password is in the db_app_secret_arn secret."
  default     = "taskoverflow_app"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.db_app_username)) && !contains(["public", "none"], var.db_app_username) && !startswith(var.db_app_username, "pg_") && !startswith(var.db_app_username, "rds")
    error_message = "db_app_username must start with a lower-case letter, contain up to 63 lower-case letters, digits and underscores, and not be a name PostgreSQL or RDS reserves (public, none, pg_..., rds...)."
  }
}

variable "db_migrations_username" {
  type        = string
  description = "Database role the service runs its migrations as (DB_MIGRATIONS_USER): the owner of the schema's objects, which grants db_app_username what the routes need. Created, and its password set and rotated, by the db-roles task (db_roles_command output); the password is in the db_migrations_secret_arn secret."
  default     = "taskoverflow_migrations"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.db_migrations_username)) && !contains(["public", "none"], var.db_migrations_username) && !startswith(var.db_migrations_username, "pg_") && !startswith(var.db_migrations_username, "rds")
    error_message = "db_migrations_username must start with a lower-case letter, contain up to 63 lower-case letters, digits and underscores, and not be a name PostgreSQL or RDS reserves (public, none, pg_..., rds...)."
  }
}

variable "db_secrets_recovery_window_days" {
  type        = number
  description = "Days a deleted secret of the database roles (db_app_secret_arn, db_migrations_secret_arn) can still be restored (aws secretsmanager restore-secret) before Secrets Manager erases it: 7 to 30, or 0 to erase them at once on destroy."
  default     = 7

  validation {
    condition     = var.db_secrets_recovery_window_days == 0 || (var.db_secrets_recovery_window_days >= 7 && var.db_secrets_recovery_window_days <= 30 && floor(var.db_secrets_recovery_window_days) == var.db_secrets_recovery_window_days)
    error_message = "db_secrets_recovery_window_days must be 0 or a whole number from 7 to 30."
  }
}

variable "db_multi_az" {
  type        = bool
  description = "Multi-AZ standby for the database (twice the instance cost)."
  default     = false
}

variable "backup_retention_days" {
  type        = number
  description = "Days of automated backups, i.e. how far back point-in-time recovery reaches (1 to 35). 0, which would turn backups off, is refused."
  default     = 7

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35 && floor(var.backup_retention_days) == var.backup_retention_days
    error_message = "backup_retention_days must be a whole number from 1 to 35 (0 would turn automated backups and point-in-time recovery off)."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "RDS deletion protection. true (safe default) makes terraform destroy fail on the database until it is set to false and applied."
  default     = true
}

variable "skip_final_snapshot" {
  type        = bool
  description = "Skip the final snapshot when the database is destroyed. false (safe default) keeps a snapshot named final_snapshot_identifier (it outlives terraform destroy and is billed until deleted)."
  default     = false
}

variable "final_snapshot_identifier" {
  type        = string
  description = "Name of the final snapshot taken on destroy when skip_final_snapshot = false; null uses \"<name>-final\". Change it before destroying again if that snapshot still exists."
  default     = null

  validation {
    # A conditional, not ||: Terraform (1.11 at least) evaluates both sides of ||.
    condition     = var.final_snapshot_identifier == null ? true : can(regex("^[a-zA-Z](-?[a-zA-Z0-9])*$", var.final_snapshot_identifier)) && length(var.final_snapshot_identifier) <= 255
    error_message = "final_snapshot_identifier must start with a letter, contain only letters, digits and single hyphens, and not end with a hyphen."
  }
}

variable "db_apply_immediately" {
  type        = bool
  description = "Apply database changes (instance class, parameters needing no reboot) immediately instead of in the next maintenance window; a class change then means a short outage."
  default     = false
}

variable "log_min_duration_statement_ms" {
  type        = number
  description = "PostgreSQL log_min_duration_statement: statements slower than this (ms) are written to the RDS postgresql log, exported to CloudWatch, with their /*request_id='...'*/ comment. -1 turns it off, 0 logs every statement."
  default     = 200

  validation {
    condition     = var.log_min_duration_statement_ms >= -1 && var.log_min_duration_statement_ms <= 2147483647 && floor(var.log_min_duration_statement_ms) == var.log_min_duration_statement_ms
    error_message = "log_min_duration_statement_ms must be a whole number from -1 to 2147483647."
  }
}

variable "performance_insights_enabled" {
  type        = bool
  description = "RDS Performance Insights (7 days, free tier): database load by SQL statement, with the request_id comment the service puts first in every statement."
  default     = true
}

################################################################################
# Encryption at rest
################################################################################

variable "kms_key_arn" {
  type        = string
  description = "Customer managed KMS key (ARN) for the database's storage, its Performance Insights data and its master user secret, for both CloudWatch log groups, the API keys secret, the database roles' secrets and the alarm SNS topic (its key policy must then also let cloudwatch.amazonaws.com use kms:GenerateDataKey* and kms:Decrypt); the roles reading or writing those secrets may then use it, through Secrets Manager only. Its key policy must let CloudWatch Logs (logs.<region>.amazonaws.com) use it. null (default): the same resources are still encrypted, with AWS managed keys (aws/rds, aws/secretsmanager) and CloudWatch Logs' own encryption. Set it before the first apply: RDS cannot change a storage key, so changing it later replaces the database (which deletion_protection refuses)."
  default     = null

  validation {
    condition     = var.kms_key_arn == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias, or null."
  }
}

################################################################################
# CloudWatch
################################################################################

variable "log_retention_days" {
  type        = number
  description = "Retention of the service's log group and the database's exported postgresql log group, in days (0 = never expire)."
  default     = 30

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts: 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "alarm_sns_topic_arn" {
  type        = string
  description = "An existing SNS topic to notify when an alarm fires and when it recovers, used instead of the topic this module creates (null, default: an encrypted topic named <name>-alarms). Its policy must let CloudWatch publish, and its key policy, if encrypted, let cloudwatch.amazonaws.com use the key."
  default     = null

  validation {
    condition     = var.alarm_sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:", var.alarm_sns_topic_arn))
    error_message = "alarm_sns_topic_arn must be an SNS topic ARN (arn:aws:sns:...), or null."
  }
}

variable "alarm_email" {
  type        = string
  description = "E-mail address subscribed to the alarm topic (the created one, or alarm_sns_topic_arn). AWS sends a confirmation message first: alarms reach the address only once the link in it is followed. null subscribes nobody."
  default     = null

  validation {
    condition     = var.alarm_email == null ? true : can(regex("^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$", var.alarm_email))
    error_message = "alarm_email must be an e-mail address (name@example.com), or null."
  }
}

variable "alarm_5xx_rate_percent" {
  type        = number
  description = "Alarm when HTTPCode_Target_5XX_Count / RequestCount exceeds this percentage in 3 of 5 minutes."
  default     = 1

  validation {
    condition     = var.alarm_5xx_rate_percent > 0 && var.alarm_5xx_rate_percent <= 100
    error_message = "alarm_5xx_rate_percent must be above 0 and at most 100."
  }
}

variable "alarm_p99_latency_seconds" {
  type        = number
  description = "Alarm when the ALB's p99 TargetResponseTime exceeds this many seconds in 3 of 5 minutes."
  default     = 1

  validation {
    condition     = var.alarm_p99_latency_seconds > 0 && var.alarm_p99_latency_seconds <= 60
    error_message = "alarm_p99_latency_seconds must be above 0 and at most 60."
  }
}

variable "alarm_unauthorized_per_minute" {
  type        = number
  description = "Alarm when more than this many requests a minute are answered 401 (missing or wrong API key) in 3 of 5 minutes: someone guessing keys, or a client still using a key removed by a rotation. From the service's Request finished log lines."
  default     = 60

  validation {
    condition     = var.alarm_unauthorized_per_minute >= 1 && floor(var.alarm_unauthorized_per_minute) == var.alarm_unauthorized_per_minute
    error_message = "alarm_unauthorized_per_minute must be a whole number of at least 1."
  }
}

variable "alarm_rate_limited_per_minute" {
  type        = number
  description = "Alarm when more than this many requests a minute are answered 429 (over rate_limit_max) in 3 of 5 minutes: a client flooding the API, or a limit too low for real traffic. From the service's Request finished log lines."
  default     = 60

  validation {
    condition     = var.alarm_rate_limited_per_minute >= 1 && floor(var.alarm_rate_limited_per_minute) == var.alarm_rate_limited_per_minute
    error_message = "alarm_rate_limited_per_minute must be a whole number of at least 1."
  }
}

variable "alarm_deletes_per_minute" {
  type        = number
  description = "Alarm when more than this many DELETE requests a minute succeed (2XX) in 3 of 5 minutes: mass deletion, e.g. with a leaked API key. From the service's Request finished log lines; a load test deleting todos may trip it."
  default     = 300

  validation {
    condition     = var.alarm_deletes_per_minute >= 1 && floor(var.alarm_deletes_per_minute) == var.alarm_deletes_per_minute
    error_message = "alarm_deletes_per_minute must be a whole number of at least 1."
  }
}

variable "alarm_db_free_storage_bytes" {
  type        = number
  description = "Alarm when the database's FreeStorageSpace stays below this many bytes for 10 minutes. null (default) is 10 % of db_allocated_storage. Storage autoscaling (db_max_allocated_storage) grows the disk at about that point, so a lasting alarm means it could not: at its ceiling, or within 6 hours of the last growth."
  default     = null

  validation {
    condition     = var.alarm_db_free_storage_bytes == null ? true : var.alarm_db_free_storage_bytes >= 1
    error_message = "alarm_db_free_storage_bytes must be at least 1 byte, or null."
  }
}
