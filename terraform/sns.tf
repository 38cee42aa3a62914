################################################################################
# SNS topic for the alarms
#
# Every alarm (cloudwatch.tf) notifies one topic when it fires and when it
# recovers: the topic this module creates, or alarm_sns_topic_arn instead (an
# organisation's existing alerting topic: one topic, so no alert arrives
# twice). alarm_email subscribes an address to whichever is used.
#
# The created topic is encrypted with a KMS key. Not the AWS managed aws/sns
# key: its key policy cannot be changed, and CloudWatch must be allowed to
# use the key to publish, so an alarm on an aws/sns topic never notifies
# anyone. Hence var.kms_key_arn when given, else a key of the topic's own.
################################################################################

locals {
  create_alarm_topic     = var.alarm_sns_topic_arn == null
  create_alarm_topic_key = local.create_alarm_topic && var.kms_key_arn == null

  alarm_topic_arn = local.create_alarm_topic ? aws_sns_topic.alarms[0].arn : var.alarm_sns_topic_arn
  alarm_actions   = [local.alarm_topic_arn]
}

resource "aws_kms_key" "alarms" {
  count = local.create_alarm_topic_key ? 1 : 0

  description             = "${local.name}: encrypts the alarm SNS topic; CloudWatch may use it to publish"
  enable_key_rotation     = true
  deletion_window_in_days = 7

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # The account's IAM policies decide who administers the key, as for
        # any key; without this statement nobody could.
        Sid       = "AccountAdministersTheKey"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchAlarmsPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
    ]
  })
}

resource "aws_kms_alias" "alarms" {
  count = local.create_alarm_topic_key ? 1 : 0

  name          = "alias/${local.name}-alarms"
  target_key_id = aws_kms_key.alarms[0].key_id
}

resource "aws_sns_topic" "alarms" {
  count = local.create_alarm_topic ? 1 : 0

  name              = "${local.name}-alarms"
  kms_master_key_id = local.create_alarm_topic_key ? aws_kms_key.alarms[0].arn : var.kms_key_arn
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = local.alarm_topic_arn
  protocol  = "email"
  endpoint  = var.alarm_email
}
