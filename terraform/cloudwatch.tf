################################################################################
# CloudWatch: log groups, Logs Insights saved queries, dashboard, alarms
#
# Field names in the queries are the service's log schema
# (docs/observability.md, "The log schema"): request_id, method, url, location, message, route, status_code,
# duration_ms, query.
################################################################################

# CloudWatch Logs encrypts every log group at rest; var.kms_key_arn makes that
# a customer managed key, whose key policy then decides who may read the logs.
resource "aws_cloudwatch_log_group" "service" {
  #checkov:skip=CKV_AWS_158:Encrypted at rest by CloudWatch Logs in any case; a customer managed key is optional (var.kms_key_arn), since it needs a key policy for CloudWatch Logs and is billed monthly.
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days (30 days by default, validated): request logs for diagnosis, not an audit trail; a year is a cost choice left to the variable.
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

# RDS writes the exported postgresql log here (slow statements, with their
# request_id comment). Created ahead of the instance so it gets a retention.
resource "aws_cloudwatch_log_group" "rds_postgresql" {
  #checkov:skip=CKV_AWS_158:Encrypted at rest by CloudWatch Logs in any case; a customer managed key is optional (var.kms_key_arn), since it needs a key policy for CloudWatch Logs and is billed monthly.
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days (30 days by default, validated): slow statement logs for diagnosis, not an audit trail; a year is a cost choice left to the variable.
  name              = local.db_log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

################################################################################
# Logs Insights saved queries (console: CloudWatch > Logs Insights > Saved
# queries, folder "<name>")
################################################################################

# Every line written
# while a request was handled, newest first.
resource "aws_cloudwatch_query_definition" "request_trace" {
  name            = "${local.query_name_prefix}request-trace"
  log_group_names = [aws_cloudwatch_log_group.service.name]

  query_string = <<-EOT
    fields @timestamp, request_id, method, url, location, message
    | filter ispresent(request_id)
    | sort @timestamp desc
    | limit 400
  EOT
}

# Where the time goes: latency percentiles per route pattern, slowest first.
resource "aws_cloudwatch_query_definition" "slowest_routes" {
  name            = "${local.query_name_prefix}slowest-routes-p50-p95-p99"
  log_group_names = [aws_cloudwatch_log_group.service.name]

  query_string = <<-EOT
    filter message = "Request finished"
    | stats count(*) as requests, pct(duration_ms, 50) as p50_ms, pct(duration_ms, 95) as p95_ms, pct(duration_ms, 99) as p99_ms, max(duration_ms) as max_ms by route
    | sort p99_ms desc
  EOT
}

# The SQL one request ran, with each statement's duration. Replace the
# placeholder with an X-Request-Id (from a response header, a k6 check, or
# the request-trace query).
resource "aws_cloudwatch_query_definition" "sql_of_one_request" {
  name            = "${local.query_name_prefix}sql-of-one-request"
  log_group_names = [aws_cloudwatch_log_group.service.name]

  query_string = <<-EOT
    fields @timestamp, message, duration_ms, query, error_code
    | filter request_id = "REPLACE-WITH-REQUEST-ID" and location = "sql"
    | sort @timestamp asc
  EOT
}

resource "aws_cloudwatch_query_definition" "errors_by_status" {
  name            = "${local.query_name_prefix}errors-by-status"
  log_group_names = [aws_cloudwatch_log_group.service.name]

  query_string = <<-EOT
    filter status_code >= 400
    | stats count(*) as requests by status_code, route
    | sort requests desc
  EOT
}

# The requests that spent most time in SQL.
resource "aws_cloudwatch_query_definition" "sql_time_by_request" {
  name            = "${local.query_name_prefix}sql-time-by-request"
  log_group_names = [aws_cloudwatch_log_group.service.name]

  query_string = <<-EOT
    filter location = "sql"
    | stats count(*) as queries, sum(duration_ms) as sql_ms by request_id
    | sort sql_ms desc
    | limit 20
  EOT
}

# PostgreSQL's own view: statements slower than log_min_duration_statement,
# with the request id taken from the comment the service puts first.
resource "aws_cloudwatch_query_definition" "slow_sql_in_postgres" {
  name            = "${local.query_name_prefix}slow-sql-in-postgres"
  log_group_names = [aws_cloudwatch_log_group.rds_postgresql.name]

  query_string = <<-EOT
    fields @timestamp, @message
    | filter @message like /duration: /
    | parse @message /duration: (?<duration_ms>[0-9.]+) ms/
    | parse @message /request_id='(?<request_id>[^']*)'/
    | sort @timestamp desc
    | limit 200
  EOT
}

################################################################################
# Dashboard
################################################################################

locals {
  # CloudWatch's LoadBalancer and TargetGroup dimension values.
  alb_dimension = aws_lb.this.arn_suffix
  tg_dimension  = aws_lb_target_group.this.arn_suffix
}

# templates/dashboard.json.tftpl is the dashboard's JSON as CloudWatch's
# "View/edit source" shows it; names are filled in with jsonencode() so they
# stay valid JSON strings.
resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = local.dashboard_name
  dashboard_body = templatefile("${path.module}/templates/dashboard.json.tftpl", {
    region        = local.region
    load_balancer = local.alb_dimension
    target_group  = local.tg_dimension
    cluster       = local.cluster_name
    service       = local.service_name
    db_instance   = local.db_identifier
    log_group     = aws_cloudwatch_log_group.service.name
  })
}

################################################################################
# Metrics from the service's log: one count per Request finished line that
# matches, in the namespace TaskOverflow/<name>, without dimensions (each
# dimension value would be a metric of its own, billed as such).
################################################################################

locals {
  metric_namespace = "TaskOverflow/${local.name}"

  log_metrics = {
    unauthorized = {
      metric_name = "Unauthorized401"
      pattern     = "{ $.message = \"Request finished\" && $.status_code = 401 }"
      threshold   = var.alarm_unauthorized_per_minute
      description = "More than ${var.alarm_unauthorized_per_minute} requests a minute answered 401 (missing or wrong API key) in 3 of 5 minutes: key guessing, or a client still using a key removed by a rotation."
    }
    rate_limited = {
      metric_name = "RateLimited429"
      pattern     = "{ $.message = \"Request finished\" && $.status_code = 429 }"
      threshold   = var.alarm_rate_limited_per_minute
      description = "More than ${var.alarm_rate_limited_per_minute} requests a minute answered 429 (over RATE_LIMIT_MAX) in 3 of 5 minutes: a client flooding the API, or a limit too low for real traffic."
    }
    deletes = {
      metric_name = "SuccessfulDeletes"
      pattern     = "{ $.message = \"Request finished\" && $.method = \"DELETE\" && $.status_code >= 200 && $.status_code < 300 }"
      threshold   = var.alarm_deletes_per_minute
      description = "More than ${var.alarm_deletes_per_minute} successful DELETE requests a minute in 3 of 5 minutes: mass deletion, e.g. with a leaked API key (rotate the keys)."
    }
  }
}

resource "aws_cloudwatch_log_metric_filter" "requests" {
  for_each = local.log_metrics

  name           = "${local.name}-${each.value.metric_name}"
  log_group_name = aws_cloudwatch_log_group.service.name
  pattern        = each.value.pattern

  metric_transformation {
    name      = each.value.metric_name
    namespace = local.metric_namespace
    value     = "1"
    unit      = "Count"
  }
}

################################################################################
# Alarms (actions: the alarm SNS topic, sns.tf)
################################################################################

resource "aws_cloudwatch_metric_alarm" "target_5xx_rate" {
  alarm_name        = "${local.name}-target-5xx-rate"
  alarm_description = "More than ${var.alarm_5xx_rate_percent}% of requests answered 5XX by the tasks (HTTPCode_Target_5XX_Count / RequestCount) in 3 of 5 minutes."

  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_5xx_rate_percent
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  treat_missing_data  = "notBreaching" # no traffic is not an error

  metric_query {
    id          = "error_rate"
    expression  = "100 * FILL(errors, 0) / requests"
    label       = "Target 5XX (% of requests)"
    return_data = true
  }

  metric_query {
    id = "errors"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      period      = 60
      stat        = "Sum"
      dimensions  = { LoadBalancer = local.alb_dimension }
    }
  }

  metric_query {
    id = "requests"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      period      = 60
      stat        = "Sum"
      dimensions  = { LoadBalancer = local.alb_dimension }
    }
  }

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "p99_latency" {
  alarm_name        = "${local.name}-p99-latency"
  alarm_description = "p99 TargetResponseTime above ${var.alarm_p99_latency_seconds} s in 3 of 5 minutes."

  namespace          = "AWS/ApplicationELB"
  metric_name        = "TargetResponseTime"
  dimensions         = { LoadBalancer = local.alb_dimension }
  period             = 60
  extended_statistic = "p99"

  comparison_operator                   = "GreaterThanThreshold"
  threshold                             = var.alarm_p99_latency_seconds
  evaluation_periods                    = 5
  datapoints_to_alarm                   = 3
  treat_missing_data                    = "notBreaching"
  evaluate_low_sample_count_percentiles = "ignore"

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "unhealthy_hosts" {
  alarm_name        = "${local.name}-unhealthy-targets"
  alarm_description = "At least one task failing the readiness check (${local.readiness_path}) for 3 minutes: its database connection, or the task itself."

  namespace   = "AWS/ApplicationELB"
  metric_name = "UnHealthyHostCount"
  dimensions = {
    TargetGroup  = local.tg_dimension
    LoadBalancer = local.alb_dimension
  }
  period    = 60
  statistic = "Maximum"

  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  treat_missing_data  = "notBreaching"

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "requests" {
  for_each = local.log_metrics

  alarm_name        = "${local.name}-${each.value.metric_name}"
  alarm_description = each.value.description

  namespace   = local.metric_namespace
  metric_name = aws_cloudwatch_log_metric_filter.requests[each.key].metric_transformation[0].name
  period      = 60
  statistic   = "Sum"

  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  treat_missing_data  = "notBreaching" # no matching line in a minute: none of these

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions
}

locals {
  # 10 % of the initial storage by default; RDS storage autoscaling grows the
  # disk at about that point too, so the alarm lasts only when it cannot.
  db_free_storage_alarm_bytes = coalesce(var.alarm_db_free_storage_bytes, floor(var.db_allocated_storage * 1073741824 / 10))
}

resource "aws_cloudwatch_metric_alarm" "db_free_storage" {
  alarm_name        = "${local.name}-db-free-storage"
  alarm_description = "Database FreeStorageSpace below ${local.db_free_storage_alarm_bytes} bytes for 10 minutes: a full disk stops every write."

  namespace   = "AWS/RDS"
  metric_name = "FreeStorageSpace"
  dimensions  = { DBInstanceIdentifier = aws_db_instance.this.identifier }
  period      = 300
  statistic   = "Minimum"

  comparison_operator = "LessThanThreshold"
  threshold           = local.db_free_storage_alarm_bytes
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  treat_missing_data  = "missing"

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions
}
