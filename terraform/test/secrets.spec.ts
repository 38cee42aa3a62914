import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  obj,
  arr,
  strings,
  entries,
  tf,
  resources,
  local,
  deref,
  containerEnvironment,
  terraformDir,
  useTerraformModule,
} from './support/terraform-module';

/* Secrets: none in the module's text or state, the database password from Secrets Manager. */

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
    // The secret's value is never referenced, only its ARN (by ECS, at task start).
    const references = strings([tf().resource, tf().data, tf().locals, tf().output]).filter((v) =>
      v.includes('master_user_secret'),
    );
    expect(references.length).toBeGreaterThan(0);
    for (const v of references) expect(v).toMatch(/master_user_secret\[0\]\.secret_arn/);
  });

  it('injects DB_PASSWORD from the RDS-managed secret through secrets, never through the environment', () => {
    const definition = obj(deref(local('container_definition')));
    const secrets = arr(deref(definition.secrets)).map((s) => obj(s));
    expect(secrets).toEqual([
      {
        name: 'DB_PASSWORD',
        valueFrom: '${aws_db_instance.this.master_user_secret[0].secret_arn}:password::',
      },
    ]);
    expect(containerEnvironment().map((e) => e.name)).not.toContain('DB_PASSWORD');
    expect(containerEnvironment().map((e) => e.name)).not.toContain('DATABASE_URL');
    for (const { name, value } of containerEnvironment()) {
      expect({ name, value: strings(value).join() }).not.toEqual({
        name,
        value: expect.stringMatching(/secret|passw/i),
      });
    }
  });
});
