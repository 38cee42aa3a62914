import { parse } from '@cdktf/hcl2json';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  obj,
  arr,
  str,
  block,
  strings,
  tf,
  variable,
  validations,
  terraformDir,
  repoRoot,
  useTerraformModule,
  type Json,
  type Obj,
} from './support/terraform-module';

/* The module as a whole: its files, settings, variables, references, outputs, example variables and checkov. */

useTerraformModule();

describe('terraform/ module layout', () => {
  it('splits the module into files by concern, all of which parse', () => {
    expect(tf().files).toEqual(
      expect.arrayContaining([
        'versions.tf',
        'variables.tf',
        'outputs.tf',
        'network.tf',
        'iam.tf',
        'ecr.tf',
        'ecs.tf',
        'alb.tf',
        'rds.tf',
        'cloudwatch.tf',
        'autoscaling.tf',
      ]),
    );
    expect(Object.keys(tf().text).sort()).toEqual(tf().files);
    expect(Object.keys(tf().resource).length).toBeGreaterThan(10);
  });

  it('pins Terraform >= 1.6 and the hashicorp/aws provider to major 6, with default tags', () => {
    const settings = tf().terraform;
    expect(settings).toHaveLength(1);
    expect(settings[0].required_version).toBe('>= 1.6');
    const providers = obj(arr(settings[0].required_providers)[0]);
    expect(providers.aws).toEqual({ source: 'hashicorp/aws', version: '~> 6.0' });
    const aws = tf().provider.aws;
    expect(aws).toHaveLength(1);
    expect(aws[0].region).toBe('${var.aws_region}');
    expect(str(block(aws[0], 'default_tags').tags)).toMatch(/Project/);
  });

  it('gives every variable a type and a description', () => {
    const names = Object.keys(tf().variable);
    expect(names.length).toBeGreaterThan(30);
    for (const name of names) {
      const v = variable(name);
      expect({ name, type: typeof v.type }).toEqual({ name, type: 'string' });
      expect(str(v.type)).toMatch(/^\$\{(string|number|bool|list\(.+\)|map\(.+\)|object\(.+\))\}$/s);
      expect({ name, description: typeof v.description }).toEqual({ name, description: 'string' });
      expect(str(v.description).length).toBeGreaterThan(10);
    }
  });

  it('validates each variable against itself only (cross-variable rules are preconditions, for Terraform 1.6)', () => {
    let count = 0;
    for (const name of Object.keys(tf().variable)) {
      for (const condition of validations(name)) {
        count += 1;
        const refs = [...condition.matchAll(/\bvar\.([a-z0-9_]+)/g)].map((m) => m[1]);
        expect({ name, refs: [...new Set(refs)] }).toEqual({ name, refs: [name] });
      }
    }
    expect(count).toBeGreaterThan(25);
  });

  it('refers only to variables, locals, resources and data sources it declares', () => {
    const all = strings(tf().resource)
      .concat(strings(tf().data))
      .concat(strings(tf().output))
      .concat(strings(tf().locals))
      .concat(strings(tf().check))
      .concat(strings(tf().variable))
      .concat(strings(tf().provider));
    const expressions = all.filter((s) => s.includes('${'));
    const missing: string[] = [];
    for (const e of expressions) {
      for (const [, name] of e.matchAll(/\bvar\.([a-z0-9_]+)/g)) {
        if (!(name in tf().variable)) missing.push(`var.${name}`);
      }
      for (const [, name] of e.matchAll(/\blocal\.([a-z0-9_]+)/g)) {
        if (!(name in tf().locals)) missing.push(`local.${name}`);
      }
      for (const [, type, name] of e.matchAll(/\bdata\.([a-z0-9_]+)\.([a-z0-9_]+)/g)) {
        if (!tf().data[type]?.[name]) missing.push(`data.${type}.${name}`);
      }
      for (const [, prefix, type, name] of e.matchAll(/(\bdata\.)?\b((?:aws|terraform)_[a-z0-9_]+)\.([a-z0-9_]+)/g)) {
        if (!prefix && !tf().resource[type]?.[name]) missing.push(`${type}.${name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('outputs', () => {
  it('include what a user needs next, and nothing secret', () => {
    expect(Object.keys(tf().output)).toEqual(
      expect.arrayContaining(['endpoint_url', 'log_group_name', 'dashboard_url', 'ecr_repository_url']),
    );
    // The ALB's URL, https with a certificate; CloudFront's (network.spec.ts) with enable_cloudfront.
    const endpoint = str(tf().output.endpoint_url.value);
    expect(endpoint).toMatch(/local\.https/);
    expect(endpoint).toMatch(
      /"\$\{local\.https \? \\?"https\\?" : \\?"http\\?"\}:\/\/\$\{aws_lb\.this\.dns_name\}"\}$/,
    );
    expect(tf().output.log_group_name.value).toBe('${aws_cloudwatch_log_group.service.name}');
    expect(str(tf().output.dashboard_url.value)).toMatch(/^https:\/\/.*cloudwatch.*dashboards/);
    expect(tf().output.ecr_repository_url.value).toBe('${aws_ecr_repository.this.repository_url}');
    for (const [name, body] of Object.entries(tf().output)) {
      expect({ name, sensitive: body.sensitive ?? false }).toEqual({ name, sensitive: false });
      // Names of the secrets and the commands to set them are fine: their values hold no key or password (secrets.spec.ts, db-roles.spec.ts).
      const allowed = [
        'api_keys_secret_arn',
        'api_keys_secret_name',
        'api_keys_set_command',
        'rollout_command',
        'db_app_secret_arn',
        'db_migrations_secret_arn',
      ];
      if (!allowed.includes(name)) expect(name).not.toMatch(/passw|secret|token|credential|private|key/i);
      expect(name).not.toMatch(/passw|token|credential|private/i);
      expect({ name, value: strings(body.value).join() }).not.toEqual({
        name,
        value: expect.stringMatching(/secret_string|secret_binary/i),
      });
      expect({ name, value: strings(body.value).join() }).not.toEqual({
        name,
        value: expect.stringMatching(/master_user_secret|password/i),
      });
      expect(str(body.description).length).toBeGreaterThan(10);
    }
  });
});

describe('terraform.tfvars.example', () => {
  it('sets only declared variables, with values of the declared type', async () => {
    const text = readFileSync(path.join(terraformDir, 'terraform.tfvars.example'), 'utf8');
    const values = (await parse('terraform.tfvars', text)) as Obj;
    expect(Object.keys(values).length).toBeGreaterThan(20);
    const typeOf = (v: Json) => (Array.isArray(v) ? 'list' : v === null ? 'null' : typeof v);
    const expected: Record<string, string> = { string: 'string', number: 'number', bool: 'boolean' };
    for (const [name, value] of Object.entries(values)) {
      const declared = tf().variable[name];
      expect({ name, declared: declared !== undefined }).toEqual({ name, declared: true });
      const type = /^\$\{(\w+)/.exec(str(declared.type))?.[1] ?? '';
      const want = expected[type] ?? (type === 'list' ? 'list' : 'object');
      expect({ name, type: typeOf(value) }).toEqual({ name, type: want });
    }
    // Commented-out settings name declared variables too.
    for (const [, name] of text.matchAll(/^#\s*([a-z_0-9]+)\s*=/gm)) {
      expect({ name, declared: name in tf().variable }).toEqual({ name, declared: true });
    }
  });
});

describe('checkov', () => {
  it('runs in CI over this module at a pinned version, failing on any finding', () => {
    const requirements = readFileSync(path.join(repoRoot, 'requirements-ci.txt'), 'utf8');
    expect(requirements).toMatch(/^checkov==\d+\.\d+\.\d+$/m);
    const ci = readFileSync(path.join(repoRoot, '.ci/run'), 'utf8');
    // Installed from the pins into a virtualenv of its own (.ci/run's tool_venv).
    expect(ci).toMatch(/pip install [^\n]*-r "\$\{requirements\}"/);
    expect(ci).toMatch(/checkov_venv="\$\(tool_venv requirements-ci\.txt\)"/);
    expect(ci).toMatch(/checkov"? -d terraform --framework terraform\b/);
    expect(ci).not.toMatch(/checkov[^\n]*--soft-fail/);
  });

  it('skips a check only inline, on the resource, naming the check and giving a reason', () => {
    let count = 0;
    for (const [file, text] of Object.entries(tf().text)) {
      for (const line of text.split('\n').filter((l) => /checkov/i.test(l))) {
        count += 1;
        expect({ file, line }).toEqual({
          file,
          line: expect.stringMatching(/^\s+#checkov:skip=CKV2?_AWS_\d+:\S.{59,}$/),
        });
      }
    }
    expect(count).toBeGreaterThan(0);
  });
});
