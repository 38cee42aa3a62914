################################################################################
# S3 bucket for the ALB's access logs
#
# Created when enable_alb_access_logs and no alb_access_logs_bucket of your
# own is given. ELB writes one gzip file per load balancer node every 5
# minutes under <name>/AWSLogs/<account>/elasticloadbalancing/.
################################################################################

locals {
  create_alb_logs_bucket = var.enable_alb_access_logs && var.alb_access_logs_bucket == null
  alb_access_logs_bucket = var.alb_access_logs_bucket != null ? var.alb_access_logs_bucket : one(aws_s3_bucket.alb_logs[*].id)
}

resource "aws_s3_bucket" "alb_logs" {
  #checkov:skip=CKV_AWS_145:ALB access logs can only be delivered to buckets encrypted with SSE-S3 (Amazon S3-managed keys), not SSE-KMS; SSE-S3 is set below.
  #checkov:skip=CKV_AWS_21:Each log file is written once under a unique name and never overwritten; versioning would only keep expired logs as noncurrent versions.
  #checkov:skip=CKV_AWS_144:Access logs are diagnostics kept alb_access_logs_retention_days, not data to survive the loss of a Region; replication would double their cost.
  #checkov:skip=CKV_AWS_18:This bucket holds access logs itself; logging its own reads to another bucket would need one more bucket per deployment for little gain.
  #checkov:skip=CKV2_AWS_62:Nothing consumes the log files as they arrive: they are read on demand (Athena, aws s3 cp) when investigating.
  count = local.create_alb_logs_bucket ? 1 : 0

  # Bucket names are global: a prefix gets a unique suffix.
  bucket_prefix = "${local.name}-alb-logs-"
  force_destroy = var.alb_access_logs_force_destroy
}

resource "aws_s3_bucket_public_access_block" "alb_logs" {
  count = local.create_alb_logs_bucket ? 1 : 0

  bucket                  = aws_s3_bucket.alb_logs[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# ACLs off: the account owns every object, whoever wrote it.
resource "aws_s3_bucket_ownership_controls" "alb_logs" {
  count = local.create_alb_logs_bucket ? 1 : 0

  bucket = aws_s3_bucket.alb_logs[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

# SSE-S3: the only server-side encryption ALB log delivery supports.
resource "aws_s3_bucket_server_side_encryption_configuration" "alb_logs" {
  count = local.create_alb_logs_bucket ? 1 : 0

  bucket = aws_s3_bucket.alb_logs[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "alb_logs" {
  count = local.create_alb_logs_bucket ? 1 : 0

  bucket = aws_s3_bucket.alb_logs[0].id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = var.alb_access_logs_retention_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

# The Regions this module is used in (us-east-1, us-west-2, any opened before
# August 2022) deliver ALB logs from the Region's Elastic Load Balancing
# account, which this data source names; the logdelivery.elasticloadbalancing
# service principal is documented only for Regions opened since.
data "aws_elb_service_account" "this" {
  count = local.create_alb_logs_bucket ? 1 : 0
}

data "aws_iam_policy_document" "alb_logs" {
  count = local.create_alb_logs_bucket ? 1 : 0

  statement {
    sid       = "ElbWritesAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.alb_logs[0].arn}/${local.name}/AWSLogs/${local.account_id}/*"]

    principals {
      type        = "AWS"
      identifiers = [data.aws_elb_service_account.this[0].arn]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.alb_logs[0].arn, "${aws_s3_bucket.alb_logs[0].arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "alb_logs" {
  count = local.create_alb_logs_bucket ? 1 : 0

  bucket = aws_s3_bucket.alb_logs[0].id
  policy = data.aws_iam_policy_document.alb_logs[0].json

  # S3 refuses a policy while Block Public Access is being set.
  depends_on = [aws_s3_bucket_public_access_block.alb_logs]
}
