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

################################################################################
# Database roles
#
# The service does not log in as the master user: its requests run as
# var.db_app_username and its migrations as var.db_migrations_username, each
# with a password in a secret of its own, a JSON object with "username" and
# "password". The db-roles task (ecs.tf) writes both: it creates the roles,
# and on each run gives them new passwords following Secrets Manager's
# rotation protocol (the new version staged AWSPENDING, ALTER ROLE, then
# AWSCURRENT moved to it). The service reads the secrets itself (task role,
# iam.tf) at start and again whenever PostgreSQL refuses a password, so a
# rotation needs no new deployment.
#
# As for the API keys, Terraform creates the secrets but never their values:
# the state holds only their ARNs.
################################################################################

resource "aws_secretsmanager_secret" "db_app" {
  #checkov:skip=CKV2_AWS_57:Rotated by running the db-roles task again (db_roles_command output), which follows Secrets Manager's rotation protocol (AWSPENDING, ALTER ROLE, AWSCURRENT) with the master user's credentials; a rotation Lambda would need a network path to the database and a copy of that logic.
  name_prefix = "${local.name}/db-app-"
  description = "Credentials of ${var.db_app_username}, the database role the requests of ${local.name} run as: JSON with username and password keys, written by the db-roles task, never by Terraform."
  kms_key_id  = var.kms_key_arn

  recovery_window_in_days = var.db_secrets_recovery_window_days
}

resource "aws_secretsmanager_secret" "db_migrations" {
  #checkov:skip=CKV2_AWS_57:Rotated by running the db-roles task again (db_roles_command output), which follows Secrets Manager's rotation protocol (AWSPENDING, ALTER ROLE, AWSCURRENT) with the master user's credentials; a rotation Lambda would need a network path to the database and a copy of that logic.
  name_prefix = "${local.name}/db-migrations-"
  description = "Credentials of ${var.db_migrations_username}, the database role that owns the schema of ${local.name} and runs its migrations: JSON with username and password keys, written by the db-roles task, never by Terraform."
  kms_key_id  = var.kms_key_arn

  recovery_window_in_days = var.db_secrets_recovery_window_days
}
