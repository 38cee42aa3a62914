################################################################################
# Service autoscaling: target tracking on two signals, between min_tasks and
# max_tasks. Each policy asks for enough tasks to bring its metric to its
# target; Application Auto Scaling runs the larger of the two counts, and
# scales in only when both allow it.
#   - average CPU of the service's tasks (cpu_target_percent): the Node event
#     loop is CPU-bound under load, one process per vCPU (web_concurrency);
#   - ALB requests per task per minute (requests_per_target): reacts to
#     traffic before CPU saturates and still works if the bottleneck is I/O.
################################################################################

locals {
  autoscaling = local.deploy_service && var.enable_autoscaling
}

# Fails `terraform plan` rather than letting Application Auto Scaling refuse
# the bounds at apply.
resource "terraform_data" "scaling_bounds" {
  input = {
    min_tasks = var.min_tasks
    max_tasks = var.max_tasks
  }

  lifecycle {
    precondition {
      condition     = var.min_tasks <= var.max_tasks
      error_message = "min_tasks (${var.min_tasks}) must be less than or equal to max_tasks (${var.max_tasks})."
    }
  }
}

resource "aws_appautoscaling_target" "service" {
  count = local.autoscaling ? 1 : 0

  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.this[0].name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.min_tasks
  max_capacity       = var.max_tasks

  depends_on = [terraform_data.scaling_bounds]
}

# One target-tracking policy per signal; a signal is an entry here.
locals {
  scaling_policies = {
    cpu = {
      name           = "cpu-target"
      metric_type    = "ECSServiceAverageCPUUtilization"
      resource_label = null
      target_value   = var.cpu_target_percent
    }
    requests = {
      name        = "requests-per-target"
      metric_type = "ALBRequestCountPerTarget"
      # app/<alb name>/<id>/targetgroup/<target group name>/<id>
      resource_label = "${aws_lb.this.arn_suffix}/${aws_lb_target_group.this.arn_suffix}"
      target_value   = var.requests_per_target
    }
  }
}

resource "aws_appautoscaling_policy" "target_tracking" {
  for_each = { for signal, policy in local.scaling_policies : signal => policy if local.autoscaling }

  name               = "${local.name}-${each.value.name}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.service[0].service_namespace
  resource_id        = aws_appautoscaling_target.service[0].resource_id
  scalable_dimension = aws_appautoscaling_target.service[0].scalable_dimension

  target_tracking_scaling_policy_configuration {
    predefined_metric_specification {
      predefined_metric_type = each.value.metric_type
      resource_label         = each.value.resource_label
    }

    target_value       = each.value.target_value
    scale_out_cooldown = var.scale_out_cooldown_seconds
    scale_in_cooldown  = var.scale_in_cooldown_seconds
  }
}

# The policies were two resources, one per signal; these keep existing
# deployments' policies in place instead of replacing them.
moved {
  from = aws_appautoscaling_policy.cpu[0]
  to   = aws_appautoscaling_policy.target_tracking["cpu"]
}

moved {
  from = aws_appautoscaling_policy.requests[0]
  to   = aws_appautoscaling_policy.target_tracking["requests"]
}
