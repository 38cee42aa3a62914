################################################################################
# IAM
#
# By default three roles, each with only what it needs:
#   - the task execution role, used by ECS itself to start a task of either
#     task definition (the service's, db-roles): pull the image from this ECR
#     repository, write to the service's log group, and with enable_api_keys
#     read the API keys secret (injected as API_KEYS), decrypting it with
#     var.kms_key_arn when that is set. It reads no database secret;
#   - the service's task role, used by the service's own code: read the
#     secrets of its two database roles (the requests' and the migrations'),
#     which the service fetches itself at start and after a rotation; with
#     self_shipping_log_group_name also logs:CreateLogGroup, CreateLogStream
#     and PutLogEvents on that one group. It cannot read the master user's
#     secret, so a compromised service task cannot obtain that password;
#   - the db-roles task role: read the master user's secret (RDS-managed),
#     and read and write the two roles' secrets to set their passwords
#     (secrets.tf, ecs.tf).
#
# existing_iam_role_name (e.g. "LabRole" in AWS Academy Learner Lab, where
# iam:CreateRole is denied) uses that role instead, as execution role of both
# task definitions and task role of db-roles; its permissions are then
# whatever the lab grants. The service's tasks then get no task role unless
# they ship their own logs: ECS injects the two roles' passwords at task start
# (ecs.tf), so the service's code holds none of that broad role's credentials.
################################################################################

locals {
  create_iam_roles = var.existing_iam_role_name == null

  execution_role_arn     = local.create_iam_roles ? aws_iam_role.execution[0].arn : data.aws_iam_role.existing[0].arn
  task_role_arn          = local.create_iam_roles ? aws_iam_role.task[0].arn : local.self_shipping_logs ? data.aws_iam_role.existing[0].arn : null
  db_roles_task_role_arn = local.create_iam_roles ? aws_iam_role.db_roles[0].arn : data.aws_iam_role.existing[0].arn

  self_shipping_log_group_arn = local.self_shipping_logs ? "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${var.self_shipping_log_group_name}" : null
}

data "aws_iam_role" "existing" {
  count = local.create_iam_roles ? 0 : 1

  name = var.existing_iam_role_name
}

data "aws_iam_policy_document" "ecs_tasks_assume_role" {
  statement {
    sid     = "EcsTasksAssumeRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    # Only ECS acting for this account may assume the roles (confused deputy).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

################################################################################
# Task execution role
################################################################################

resource "aws_iam_role" "execution" {
  count = local.create_iam_roles ? 1 : 0

  name               = "${local.name}-execution"
  description        = "ECS task execution role of ${local.name}: image pull, logs, API keys secret"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume_role.json
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "EcrAuthorizationToken"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # GetAuthorizationToken has no resource-level permissions.
  }

  statement {
    sid = "EcrPullThisRepository"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
    ]
    resources = [aws_ecr_repository.this.arn]
  }

  statement {
    sid       = "AwslogsToServiceLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.service.arn}:*"]
  }

  # API_KEYS, with enable_api_keys only.
  dynamic "statement" {
    for_each = aws_secretsmanager_secret.api_keys[*].arn

    content {
      sid       = "ReadApiKeysSecret"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [statement.value]
    }
  }

  # By default the secrets are encrypted with the AWS managed key
  # aws/secretsmanager, whose key policy already lets Secrets Manager decrypt
  # for callers in the account: no statement is needed. With var.kms_key_arn,
  # the role may decrypt with that one key, only through Secrets Manager, and
  # only when it has a secret to read.
  dynamic "statement" {
    for_each = var.enable_api_keys && var.kms_key_arn != null ? [var.kms_key_arn] : []

    content {
      sid       = "DecryptSecrets"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "execution" {
  count = local.create_iam_roles ? 1 : 0

  name   = "${local.name}-execution"
  role   = aws_iam_role.execution[0].id
  policy = data.aws_iam_policy_document.execution.json
}

################################################################################
# Task role: the service's own AWS calls
################################################################################

resource "aws_iam_role" "task" {
  count = local.create_iam_roles ? 1 : 0

  name               = "${local.name}-task"
  description        = "ECS task role of ${local.name}: its database roles' secrets, log self-shipping"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume_role.json
}

data "aws_iam_policy_document" "task_db_secrets" {
  statement {
    sid       = "ReadDatabaseRoleSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.db_app.arn, aws_secretsmanager_secret.db_migrations.arn]
  }

  # As for the execution role: with var.kms_key_arn only, through Secrets
  # Manager only.
  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]

    content {
      sid       = "DecryptSecrets"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "task_db_secrets" {
  count = local.create_iam_roles ? 1 : 0

  name   = "${local.name}-db-secrets"
  role   = aws_iam_role.task[0].id
  policy = data.aws_iam_policy_document.task_db_secrets.json
}

data "aws_iam_policy_document" "task_self_shipping" {
  count = local.self_shipping_logs ? 1 : 0

  statement {
    sid       = "CreateSelfShippingLogGroup"
    actions   = ["logs:CreateLogGroup"]
    resources = [local.self_shipping_log_group_arn, "${local.self_shipping_log_group_arn}:*"]
  }

  statement {
    sid       = "WriteSelfShippingLogStreams"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.self_shipping_log_group_arn}:*"]
  }
}

resource "aws_iam_role_policy" "task_self_shipping" {
  count = local.create_iam_roles && local.self_shipping_logs ? 1 : 0

  name   = "${local.name}-self-shipping-logs"
  role   = aws_iam_role.task[0].id
  policy = data.aws_iam_policy_document.task_self_shipping[0].json
}

################################################################################
# db-roles task role: creates the database roles and sets their passwords
################################################################################

resource "aws_iam_role" "db_roles" {
  count = local.create_iam_roles ? 1 : 0

  name               = "${local.name}-db-roles"
  description        = "ECS task role of ${local.name}-db-roles: the master user's secret, writing its database roles' secrets"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume_role.json
}

data "aws_iam_policy_document" "db_roles" {
  statement {
    sid       = "ReadMasterUserSecret"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_db_instance.this.master_user_secret[0].secret_arn]
  }

  # Secrets Manager's rotation protocol: PutSecretValue stages the new
  # password AWSPENDING; once ALTER ROLE has set it, UpdateSecretVersionStage
  # moves AWSCURRENT to it from the version DescribeSecret names.
  statement {
    sid = "RotateDatabaseRoleSecrets"
    actions = [
      "secretsmanager:DescribeSecret",
      "secretsmanager:PutSecretValue",
      "secretsmanager:UpdateSecretVersionStage",
    ]
    resources = [aws_secretsmanager_secret.db_app.arn, aws_secretsmanager_secret.db_migrations.arn]
  }

  # Reading needs Decrypt; writing a new version needs GenerateDataKey.
  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]

    content {
      sid       = "EncryptDecryptSecrets"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "db_roles" {
  count = local.create_iam_roles ? 1 : 0

  name   = "${local.name}-db-roles"
  role   = aws_iam_role.db_roles[0].id
  policy = data.aws_iam_policy_document.db_roles.json
}
