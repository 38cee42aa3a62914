################################################################################
# CloudFront in front of the ALB (enable_cloudfront)
#
# HTTPS for clients without a domain of one's own: CloudFront serves
# https://<id>.cloudfront.net with its default certificate, redirects HTTP to
# HTTPS, caches nothing and passes every method, header (Authorization
# included), cookie and query string to the ALB.
#
# CloudFront reaches the ALB over plain HTTP on 80 (origin protocol
# http-only): the ALB's DNS name is not on any certificate CloudFront could
# verify. That leg runs between CloudFront and the ALB only: the ALB's
# security group then admits port 80 from CloudFront's origin-facing
# addresses (the AWS managed prefix list), nothing else (network.tf).
################################################################################

data "aws_ec2_managed_prefix_list" "cloudfront" {
  count = var.enable_cloudfront ? 1 : 0

  name = "com.amazonaws.global.cloudfront.origin-facing"
}

data "aws_cloudfront_cache_policy" "caching_disabled" {
  count = var.enable_cloudfront ? 1 : 0

  name = "Managed-CachingDisabled"
}

# AllViewer rather than AllViewerExceptHostHeader: an origin request policy
# cannot name Authorization, but "all viewer headers" includes it. The ALB
# routes on nothing but the path, so the viewer's Host does no harm.
data "aws_cloudfront_origin_request_policy" "all_viewer" {
  count = var.enable_cloudfront ? 1 : 0

  name = "Managed-AllViewer"
}

resource "aws_cloudfront_distribution" "this" {
  #checkov:skip=CKV_AWS_174:The default *.cloudfront.net certificate cannot be given a minimum TLS version; CloudFront still negotiates TLS 1.2 or 1.3 with current clients. With a domain, use certificate_arn on the ALB instead.
  #checkov:skip=CKV2_AWS_42:CloudFront is the option for deployments without a domain, hence with its default certificate; with a domain and an ACM certificate, certificate_arn serves HTTPS on the ALB directly.
  #checkov:skip=CKV_AWS_68:A WAF web ACL for CloudFront must live in us-east-1 with scope CLOUDFRONT; this module's optional WAF (enable_waf) protects the ALB. The service limits each client's rate itself (rate_limit_max).
  #checkov:skip=CKV2_AWS_47:No WAF on the distribution (see CKV_AWS_68); the service parses every body with strict schemas and never evaluates input (no Log4j, no templates).
  #checkov:skip=CKV_AWS_86:Every request reaching the ALB is in its access logs (enable_alb_access_logs, on by default) and in the service's own Request finished lines; CloudFront standard logs would need one more bucket with ACLs enabled.
  #checkov:skip=CKV_AWS_310:One origin, the ALB, which already spreads requests over tasks in several Availability Zones; there is no second origin to fail over to.
  #checkov:skip=CKV_AWS_305:An API, not a website: there is no root object to serve, and / is answered by the service.
  #checkov:skip=CKV2_AWS_32:The service sets its own security headers (helmet: HSTS, CSP, X-Frame-Options, nosniff, no-referrer), which CloudFront passes through unchanged.
  count = var.enable_cloudfront ? 1 : 0

  enabled         = true
  comment         = "${local.name}: HTTPS in front of the ALB"
  is_ipv6_enabled = true
  http_version    = "http2and3"
  price_class     = var.cloudfront_price_class

  origin {
    origin_id   = "alb"
    domain_name = aws_lb.this.dns_name

    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "http-only"
      origin_ssl_protocols   = ["TLSv1.2"]
      # Below the ALB's 60 s idle timeout, as the ALB's own is below the service's.
      origin_keepalive_timeout = 30
      origin_read_timeout      = 30
    }
  }

  default_cache_behavior {
    target_origin_id       = "alb"
    viewer_protocol_policy = "redirect-to-https"
    allowed_methods        = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    cached_methods         = ["GET", "HEAD"]
    compress               = true

    cache_policy_id          = data.aws_cloudfront_cache_policy.caching_disabled[0].id
    origin_request_policy_id = data.aws_cloudfront_origin_request_policy.all_viewer[0].id
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }
}
