import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  str,
  strings,
  entries,
  tf,
  resources,
  resource,
  local,
  variable,
  validations,
  containerEnvironment,
  containerSecrets,
  evaluate,
  terraformDir,
  useTerraformModule,
} from './support/terraform-module';

/* Secrets: none in the module's text or state; the database passwords read from Secrets Manager by the service itself. */

useTerraformModule();

describe('secrets', () => {
  it('writes no literal password anywhere', () => {
    const everything = entries([tf().resource, tf().data, tf().locals, tf().variable, tf().output, tf().provider]);
    const passwordKeys = everything.filter(([key]) => /passw(or)?d/i.test(key));
    // The only password-named argument is the flag that hands the password to RDS.
    expect(passwordKeys).toEqual([['manage_master_user_password', true]]);
    for (const [file, text] of Object.entries(tf().text)) {
      expect({ file, masterPassword: /master_password/i.test(text) }).toEqual({ file, masterPassword: false });
      expect({ file, literal: /passw(or)?d\s*=\s*"/i.test(text) }).toEqual({ file, literal: false });
    }
    const example = readFileSync(path.join(terraformDir, 'terraform.tfvars.example'), 'utf8');
    expect(example).not.toMatch(/passw(or)?d\s*=/i);
  });

  it('holds no literal credential in any file of the module', () => {
    const files = [...tf().files, 'terraform.tfvars.example', 'scripts/push-image.sh'];
    // A quoted literal (not a "${...}" reference) given to anything named like a credential.
    const assigned =
      /\b[\w-]*(passw(or)?d|passphrase|secret|token|api_?key|access_?key|private_?key)[\w-]*"?\s*[=:]\s*"(?!\$\{)[^"]+"/i;
    for (const file of files) {
      const text = readFileSync(path.join(terraformDir, file), 'utf8');
      expect({ file, awsAccessKeyId: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/.test(text) }).toEqual({
        file,
        awsAccessKeyId: false,
      });
      expect({ file, pem: /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text) }).toEqual({ file, pem: false });
      expect({ file, line: text.split('\n').find((line) => assigned.test(line)) }).toEqual({ file, line: undefined });
      // Connection strings with a password in them (postgres://user:password@host).
      expect({ file, url: /[a-z]+:\/\/[^/\s:@"]+:[^@\s"]+@/i.test(text) }).toEqual({ file, url: false });
    }
  });

  it('creates and reads nothing that would put a secret into the Terraform state', () => {
    for (const type of [
      'random_password',
      'aws_secretsmanager_secret_version',
      'aws_iam_access_key',
      'aws_iam_user_login_profile',
      'tls_private_key',
    ]) {
      expect({ type, declared: Object.keys(resources(type)) }).toEqual({ type, declared: [] });
    }
    expect(tf().data.aws_secretsmanager_secret_version).toBeUndefined();
    // The secret's value is never referenced, only its ARN (by the db-roles task and its role).
    const references = strings([tf().resource, tf().data, tf().locals, tf().output]).filter((v) =>
      v.includes('master_user_secret'),
    );
    expect(references.length).toBeGreaterThan(0);
    for (const v of references) expect(v).toMatch(/master_user_secret\[0\]\.secret_arn/);
  });

  it("gives the service where to read its roles' passwords (secret ARNs), never a password nor the master user's secret", () => {
    // With created roles: the secrets' ARNs, read by the service itself (so a rotation needs no restart).
    expect(local('container_environment_db_secrets')).toEqual([
      { name: 'DB_MIGRATIONS_PASSWORD_SECRET_ID', value: '${aws_secretsmanager_secret.db_migrations.arn}' },
      { name: 'DB_PASSWORD_SECRET_ID', value: '${aws_secretsmanager_secret.db_app.arn}' },
    ]);
    expect(str(local('container_environment'))).toContain(
      'local.create_iam_roles ? local.container_environment_db_secrets : []',
    );
    // With LabRole: injected by ECS from the same secrets, so the code needs no AWS credentials.
    expect(local('container_secrets_db_roles')).toEqual([
      { name: 'DB_MIGRATIONS_PASSWORD', valueFrom: '${aws_secretsmanager_secret.db_migrations.arn}:password::' },
      { name: 'DB_PASSWORD', valueFrom: '${aws_secretsmanager_secret.db_app.arn}:password::' },
    ]);
    expect(str(local('container_secrets'))).toContain('local.create_iam_roles ? [] : local.container_secrets_db_roles');
    expect(local('create_iam_roles')).toBe('${var.existing_iam_role_name == null}');

    const names = containerEnvironment().map((e) => e.name);
    for (const name of ['DB_PASSWORD', 'DB_MIGRATIONS_PASSWORD', 'DATABASE_URL']) {
      expect({ name, environment: names.includes(name) }).toEqual({ name, environment: false });
    }
    expect(JSON.stringify([local('container_definition'), containerSecrets(), containerEnvironment()])).not.toContain(
      'master_user_secret',
    );
  });
});

describe('API keys', () => {
  it('are on by default, in a Secrets Manager secret named after the service, encrypted like the database secret', () => {
    expect(variable('enable_api_keys')).toMatchObject({ type: '${bool}', default: true });
    const secret = resource('aws_secretsmanager_secret', 'api_keys');
    expect(secret.count).toBe('${var.enable_api_keys ? 1 : 0}');
    expect(str(secret.name_prefix)).toMatch(/^\$\{local\.name\}/);
    expect(secret.kms_key_id).toBe('${var.kms_key_arn}');
    // Restorable for a while after a destroy (0 only when asked for), within Secrets Manager's 7-30 days.
    expect(secret.recovery_window_in_days).toBe('${var.api_keys_recovery_window_days}');
    expect(variable('api_keys_recovery_window_days').default).toBe(7);
    expect(validations('api_keys_recovery_window_days')).toEqual([
      expect.stringMatching(/>= 7 && var\.api_keys_recovery_window_days <= 30/),
    ]);
  });

  it('never have their value in Terraform: no secret version, no secret string, not even write-only', () => {
    expect(resources('aws_secretsmanager_secret_version')).toEqual({});
    expect(tf().data.aws_secretsmanager_secret_version).toBeUndefined();
    const secret = resource('aws_secretsmanager_secret', 'api_keys');
    for (const key of Object.keys(secret)) expect(key).not.toMatch(/secret_string|_wo(_version)?$/);
    // Nothing reads the secret either: only its ARN and name are referenced.
    const references = strings([tf().resource, tf().data, tf().locals, tf().output]).filter((v) =>
      v.includes('aws_secretsmanager_secret.api_keys'),
    );
    expect(references.length).toBeGreaterThan(0);
    for (const v of references) {
      for (const [attribute] of v.matchAll(/aws_secretsmanager_secret\.api_keys(\[[^\]]+\])?\.\w+/g)) {
        expect(attribute).toMatch(/\.(arn|name)$/);
      }
    }
  });

  it('reach the tasks as API_KEYS through secrets (the whole secret string), only when enabled', () => {
    expect(containerSecrets()).toContainEqual({
      name: 'API_KEYS',
      value: '${one(aws_secretsmanager_secret.api_keys[*].arn)}',
    });
    expect(str(local('container_secrets'))).toContain('var.enable_api_keys ? local.container_secrets_api_keys : []');
    expect(containerEnvironment().map((e) => e.name)).not.toContain('API_KEYS');
  });

  it('output the secret and the commands to set and roll out the keys, never the keys themselves', () => {
    const output = (name: string) => tf().output[name];
    expect(output('api_keys_secret_arn').value).toBe('${one(aws_secretsmanager_secret.api_keys[*].arn)}');
    expect(output('api_keys_secret_name').value).toBe('${one(aws_secretsmanager_secret.api_keys[*].name)}');
    const set = str(output('api_keys_set_command').value);
    expect(set).toMatch(/aws secretsmanager put-secret-value /);
    expect(set).toMatch(/--secret-id \$\{aws_secretsmanager_secret\.api_keys\[0\]\.arn\}/);
    // The keys come from the operator's shell, never from Terraform.
    expect(set).toMatch(/--secret-string \\?"\$API_KEYS\\?"/);
    expect(str(output('api_keys_set_command').description)).toMatch(/"old,new"/);
    const rollout = str(output('rollout_command').value);
    expect(rollout).toMatch(/aws ecs update-service .*--force-new-deployment/);
    expect(rollout).toContain('${aws_ecs_cluster.this.name}');
    for (const name of ['api_keys_secret_arn', 'api_keys_secret_name', 'api_keys_set_command']) {
      expect({ name, sensitive: output(name).sensitive ?? false }).toEqual({ name, sensitive: false });
    }
  });

  it('need HTTPS: refused over plain HTTP at plan time', () => {
    // The truth table is in network.spec.ts; here, that the check exists and names the variable.
    const listener = resource('aws_lb_listener', 'http');
    const text = JSON.stringify(listener.lifecycle);
    expect(text).toContain('var.enable_api_keys');
    expect(
      evaluate('${!var.enable_api_keys || local.https || var.enable_cloudfront}', {
        'var.enable_api_keys': true,
        'local.https': false,
        'var.enable_cloudfront': false,
      }),
    ).toBe(false);
  });
});
