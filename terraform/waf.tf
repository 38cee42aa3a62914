################################################################################
# AWS WAF on the ALB (enable_waf)
#
# Fleet-wide per-client limits, which the service's own rate limit
# (rate_limit_max, per Node process, in memory) cannot give, and AWS's rules
# against request patterns known to exploit common software. Blocked requests
# never reach a task: they are 403s in the ALB's access logs and in the
# WAF metrics, not in the service's log.
################################################################################

resource "aws_wafv2_web_acl" "this" {
  #checkov:skip=CKV2_AWS_31:WAF's own logging needs a log group named aws-waf-logs-* and is billed per GB; blocked requests already appear as 403s in the ALB's access logs (on by default), with sampled requests and per-rule metrics in the WAF console.
  count = var.enable_waf ? 1 : 0

  name        = local.name
  description = "${local.name}: per-client rate limit and AWS known bad inputs"
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name     = "rate-limit-per-client-ip"
    priority = 0

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit                 = var.waf_rate_limit_per_5_minutes
        evaluation_window_sec = 300
        aggregate_key_type    = "IP"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.name}-rate-limit"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-known-bad-inputs"
    priority = 1

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.name}-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = local.name
    sampled_requests_enabled   = true
  }

  lifecycle {
    # Behind CloudFront every request reaches the ALB from a CloudFront
    # address: a per-IP rule would throttle whole edge locations.
    precondition {
      condition     = !var.enable_cloudfront
      error_message = "enable_waf protects the ALB, which behind CloudFront (enable_cloudfront) sees CloudFront's addresses instead of the clients': its per-IP rate limit would block everyone behind one edge location. Turn one of them off."
    }
  }
}

resource "aws_wafv2_web_acl_association" "this" {
  count = var.enable_waf ? 1 : 0

  resource_arn = aws_lb.this.arn
  web_acl_arn  = aws_wafv2_web_acl.this[0].arn
}
