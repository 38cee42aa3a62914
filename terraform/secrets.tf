################################################################################
# API keys
#
# With enable_api_keys the service requires Authorization: Bearer <key> on
# every /api/v1 route except the health checks, and ECS injects API_KEYS (one
# key, or two comma-separated during a rotation) from this secret at task
# start (execution role, iam.tf).
#
# Terraform creates the secret but never its value: an
# aws_secretsmanager_secret_version would keep the keys in the state in plain
# text, and a write-only argument fed by an ephemeral random_password would
# need Terraform 1.11 and a second provider for a value that must be handed
# to clients anyway. The keys are generated and set by whoever hands them out
# (the api_keys_set_command output), so the state holds only the ARN.
################################################################################

resource "aws_secretsmanager_secret" "api_keys" {
  #checkov:skip=CKV2_AWS_57:API keys are rotated by hand with two keys (set "old,new", move the clients, set "new"): the clients must learn the new key, which a rotation Lambda cannot do for them.
  #checkov:skip=CKV_AWS_149:Encrypted at rest by Secrets Manager in any case, with the aws/secretsmanager key; a customer managed key is optional (var.kms_key_arn), as for the database's secret.
  count = var.enable_api_keys ? 1 : 0

  # A prefix, not a fixed name: after a destroy the old secret lingers for its
  # recovery window, and a fixed name would make the next apply fail on it.
  name_prefix = "${local.name}/api-keys-"
  description = "API_KEYS of ${local.name}: one key, or two comma-separated while rotating (each at least 32 characters). Set with aws secretsmanager put-secret-value, never in Terraform."
  kms_key_id  = var.kms_key_arn

  recovery_window_in_days = var.api_keys_recovery_window_days
}
