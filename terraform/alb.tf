################################################################################
# Application Load Balancer
#
# Clients reach an ALB on 80 (and 443 with a certificate) that spreads
# requests over every healthy task, and only the ALB can reach the tasks
# (network.tf). With enable_cloudfront, clients reach CloudFront over HTTPS
# instead, and the ALB admits only CloudFront (cloudfront.tf).
################################################################################

resource "aws_lb" "this" {
  #checkov:skip=CKV2_AWS_28:The WAF web ACL is var.enable_waf (waf.tf), off by default: it is billed per ACL, rule and request. The service limits each client's rate itself (rate_limit_max, on by default) and answers malformed requests with 400/413.
  #checkov:skip=CKV2_AWS_76:The optional WAF (waf.tf) has AWSManagedRulesKnownBadInputsRuleSet, which holds the Log4j rules; this check also demands AWSManagedRulesAnonymousIpList, which would block clients behind VPNs and on cloud hosts (load generators included).
  #checkov:skip=CKV_AWS_150:Deletion protection is var.alb_deletion_protection, off by default: the ALB holds no data and the next apply recreates it in minutes. The database, which holds data, is protected by default (var.deletion_protection).
  name               = local.alb_name
  internal           = false
  load_balancer_type = "application"
  security_groups    = [aws_security_group.alb.id]
  subnets            = local.public_subnet_ids

  # 60 s, below the service's 65 s keep-alive timeout (app.factory.ts): the ALB
  # always closes an idle connection to a task first, so it never sends a
  # request on a connection Node has just closed (which would be a 502).
  idle_timeout = 60

  drop_invalid_header_fields = true
  enable_deletion_protection = var.alb_deletion_protection

  dynamic "access_logs" {
    for_each = var.enable_alb_access_logs ? [local.alb_access_logs_bucket] : []

    content {
      bucket  = access_logs.value
      prefix  = local.name
      enabled = true
    }
  }

  # ELB checks that it may write to the bucket when logging is turned on.
  depends_on = [aws_s3_bucket_policy.alb_logs]
}

resource "aws_lb_target_group" "this" {
  #checkov:skip=CKV_AWS_378:TLS ends at the ALB (HTTPS listener with certificate_arn). From the ALB to the tasks, HTTP stays inside the VPC, and the tasks' security group admits only the ALB; the service has no certificate of its own to serve TLS with.
  name        = local.target_group_name
  port        = local.container_port
  protocol    = "HTTP"
  target_type = "ip" # awsvpc tasks register by IP address
  vpc_id      = local.vpc_id

  # On scale-in or deployment, a task is drained this long before ECS sends it
  # SIGTERM; requests here take milliseconds, 30 s is ample and keeps
  # deployments quick (the default is 300 s).
  deregistration_delay = 30

  health_check {
    enabled  = true
    protocol = "HTTP"
    port     = "traffic-port"

    # Readiness, not liveness: 200 only while the task's database answers, so
    # the ALB stops sending traffic to a task that lost its database.
    path    = local.readiness_path
    matcher = "200"

    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  # Without a certificate, serve on 80 (to CloudFront only, with
  # enable_cloudfront); with one, redirect to HTTPS.
  default_action {
    type             = local.https ? "redirect" : "forward"
    target_group_arn = local.https ? null : aws_lb_target_group.this.arn

    dynamic "redirect" {
      for_each = local.https ? [1] : []

      content {
        port        = "443"
        protocol    = "HTTPS"
        status_code = "HTTP_301"
      }
    }
  }

  lifecycle {
    # API keys travel in every request's Authorization header: never over
    # plain HTTP on the internet.
    precondition {
      condition     = !var.enable_api_keys || local.https || var.enable_cloudfront
      error_message = "enable_api_keys = true needs HTTPS, or every API key would cross the internet in clear text. Either set certificate_arn to an ACM certificate for your domain (HTTPS on the ALB), or set enable_cloudfront = true (HTTPS on CloudFront's *.cloudfront.net name, no domain needed). enable_api_keys = false turns authentication off instead."
    }

    # CloudFront reaches the ALB over HTTP on 80, which a certificate turns
    # into a redirect to HTTPS on a name CloudFront does not verify.
    precondition {
      condition     = !(var.enable_cloudfront && local.https)
      error_message = "Set either certificate_arn (HTTPS on the ALB, for your domain) or enable_cloudfront (HTTPS on CloudFront, without a domain), not both."
    }
  }
}

resource "aws_lb_listener" "https" {
  count = local.https ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }
}
