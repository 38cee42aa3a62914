import { parse } from '@cdktf/hcl2json';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_VARIABLES } from '../../apps/taskoverflow/src/config/app.config';

/*
 * Static checks of the Terraform root module. Providers cannot be downloaded
 * where these tests run, so `terraform validate` is not available: every .tf
 * file is parsed to JSON with @cdktf/hcl2json and the properties that matter
 * for security, sizing and observability are asserted on that data.
 * (`terraform fmt -check` runs in CI, .ci/run, where the CLI is installed.)
 *
 * hcl2json keeps literals as JSON values and writes every expression as a
 * "${...}" string, e.g. `cpu = var.task_cpu` becomes "${var.task_cpu}".
 */

/**
 * Every environment variable the service reads, from its configuration schema:
 * apps/taskoverflow/src/config/app.config.ts (PORT, HOST, SHUTDOWN_TIMEOUT_MS,
 * WEB_CONCURRENCY), apps/taskoverflow/src/config/http.config.ts (timeouts,
 * TRUST_PROXY_HOPS, CORS_ORIGINS, RATE_LIMIT_*),
 * apps/taskoverflow/src/todos/todos.config.ts (TODOS_LIST_CACHE),
 * libs/database/src/database.config.ts (DATABASE_URL, DB_*) and
 * libs/logging/src/logging.config.ts (LOG_*, SLOW_QUERY_MS, CLOUDWATCH_*,
 * SERVICE_VERSION). The container may be given nothing else; a test below
 * keeps this list equal to the schema's own CONFIG_VARIABLES.
 */
const SERVICE_VARIABLES = [
  'PORT',
  'HOST',
  'SHUTDOWN_TIMEOUT_MS',
  'WEB_CONCURRENCY',
  'HEADERS_TIMEOUT_MS',
  'REQUEST_TIMEOUT_MS',
  'TRUST_PROXY_HOPS',
  'CORS_ORIGINS',
  'RATE_LIMIT_MAX',
  'RATE_LIMIT_WINDOW_MS',
  'TODOS_LIST_CACHE',
  'DATABASE_URL',
  'DB_HOST',
  'DB_PORT',
  'DB_NAME',
  'DB_USER',
  'DB_PASSWORD',
  'DB_SSL',
  'DB_SSL_CA_FILE',
  'DB_SSL_REJECT_UNAUTHORIZED',
  'DB_POOL_SIZE',
  'DB_CONNECT_TIMEOUT_MS',
  'DB_STATEMENT_TIMEOUT_MS',
  'DB_QUERY_TIMEOUT_MS',
  'DB_CONNECT_RETRIES',
  'DB_CONNECT_RETRY_DELAY_MS',
  'DB_MIGRATIONS_RUN',
  'DB_EMBEDDED_DIR',
  'DB_EMBEDDED_PORT',
  'LOG_LEVEL',
  'LOG_SQL',
  'LOG_SQL_PARAMETERS',
  'LOG_METRICS_INTERVAL_MS',
  'SLOW_QUERY_MS',
  'CLOUDWATCH_LOG_GROUP',
  'CLOUDWATCH_LOG_STREAM',
  'SERVICE_VERSION',
];

/** What the deployment must set on every task (DB_PASSWORD comes from secrets). */
const REQUIRED_ENVIRONMENT = [
  'PORT',
  'HOST',
  'DB_HOST',
  'DB_PORT',
  'DB_NAME',
  'DB_USER',
  'DB_SSL',
  'DB_SSL_CA_FILE',
  'DB_POOL_SIZE',
  'LOG_LEVEL',
  'WEB_CONCURRENCY',
  'SERVICE_VERSION',
];

/** Fargate's task CPU/memory table (ECS developer guide), memory in MiB. */
const steps = (from: number, to: number, step: number) =>
  Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
const FARGATE_MEMORY_BY_CPU: Record<string, number[]> = {
  '256': [512, 1024, 2048],
  '512': steps(1024, 4096, 1024),
  '1024': steps(2048, 8192, 1024),
  '2048': steps(4096, 16384, 1024),
  '4096': steps(8192, 30720, 1024),
  '8192': steps(16384, 61440, 4096),
  '16384': steps(32768, 122880, 8192),
};

/** Retention periods CloudWatch Logs accepts (PutRetentionPolicy), plus 0 = never expire. */
const CLOUDWATCH_RETENTION_DAYS = [
  0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

// ---------------------------------------------------------------------------
// Loading and navigating the parsed configuration
// ---------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

const dir = path.resolve(__dirname, '..');
const repoRoot = path.resolve(dir, '..');
const tfFiles = readdirSync(dir)
  .filter((f) => f.endsWith('.tf'))
  .sort();

const isObj = (v: Json | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: Json | undefined, what = 'value'): Obj => {
  if (!isObj(v)) throw new Error(`${what} is not an object: ${JSON.stringify(v)}`);
  return v;
};
const arr = (v: Json | undefined, what = 'value'): Json[] => {
  if (!Array.isArray(v)) throw new Error(`${what} is not a list: ${JSON.stringify(v)}`);
  return v;
};
const str = (v: Json | undefined, what = 'value'): string => {
  if (typeof v !== 'string') throw new Error(`${what} is not a string: ${JSON.stringify(v)}`);
  return v;
};
/** A nested block (hcl2json writes every block as a list of bodies): its single body. */
const block = (body: Obj, name: string): Obj => {
  const bodies = arr(body[name], name);
  expect(bodies).toHaveLength(1);
  return obj(bodies[0], name);
};
const blocks = (body: Obj, name: string): Obj[] =>
  body[name] === undefined ? [] : arr(body[name], name).map((b) => obj(b, name));

/** Every string in a JSON value, recursively. */
function strings(v: Json | undefined): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (isObj(v)) return Object.values(v).flatMap(strings);
  return [];
}

/** Every [key, value] pair in a JSON value, recursively. */
function entries(v: Json | undefined): [string, Json][] {
  if (Array.isArray(v)) return v.flatMap(entries);
  if (isObj(v)) return Object.entries(v).flatMap(([k, x]) => [[k, x] as [string, Json], ...entries(x)]);
  return [];
}

interface Module {
  /** type -> name -> body */
  resource: Record<string, Record<string, Obj>>;
  data: Record<string, Record<string, Obj>>;
  variable: Record<string, Obj>;
  output: Record<string, Obj>;
  locals: Obj;
  check: Record<string, Obj>;
  terraform: Obj[];
  provider: Record<string, Obj[]>;
  /** Raw text of each .tf file. */
  text: Record<string, string>;
}

async function loadModule(): Promise<Module> {
  const mod: Module = {
    resource: {},
    data: {},
    variable: {},
    output: {},
    locals: {},
    check: {},
    terraform: [],
    provider: {},
    text: {},
  };
  for (const file of tfFiles) {
    const text = readFileSync(path.join(dir, file), 'utf8');
    mod.text[file] = text;
    const json = (await parse(file, text)) as Obj;
    for (const [kind, value] of Object.entries(json)) {
      if (kind === 'resource' || kind === 'data') {
        for (const [type, byName] of Object.entries(obj(value))) {
          for (const [name, bodies] of Object.entries(obj(byName))) {
            mod[kind][type] ??= {};
            expect(mod[kind][type][name]).toBeUndefined(); // declared once
            mod[kind][type][name] = obj(arr(bodies)[0]);
          }
        }
      } else if (kind === 'variable' || kind === 'output' || kind === 'check') {
        for (const [name, bodies] of Object.entries(obj(value))) {
          expect(mod[kind][name]).toBeUndefined();
          mod[kind][name] = obj(arr(bodies)[0]);
        }
      } else if (kind === 'locals') {
        for (const body of arr(value)) {
          for (const [name, v] of Object.entries(obj(body))) {
            expect(mod.locals[name]).toBeUndefined();
            mod.locals[name] = v;
          }
        }
      } else if (kind === 'terraform') {
        mod.terraform.push(...arr(value).map((b) => obj(b)));
      } else if (kind === 'provider') {
        for (const [name, bodies] of Object.entries(obj(value))) {
          mod.provider[name] = [...(mod.provider[name] ?? []), ...arr(bodies).map((b) => obj(b))];
        }
      } else {
        throw new Error(`${file}: unexpected top-level block "${kind}"`);
      }
    }
  }
  return mod;
}

let tf: Module;

beforeAll(async () => {
  tf = await loadModule();
});

const resources = (type: string): Record<string, Obj> => tf.resource[type] ?? {};
const resource = (type: string, name: string): Obj => {
  const body = resources(type)[name];
  if (!body) throw new Error(`resource ${type}.${name} is not declared`);
  return body;
};
const local = (name: string): Json => {
  if (!(name in tf.locals)) throw new Error(`local.${name} is not declared`);
  return tf.locals[name];
};
/** "${local.x}" -> the value of local.x (once); anything else unchanged. */
const deref = (v: Json): Json => {
  const m = typeof v === 'string' ? /^\$\{local\.([a-z0-9_]+)\}$/.exec(v) : null;
  return m ? local(m[1]) : v;
};
const variable = (name: string): Obj => {
  const body = tf.variable[name];
  if (!body) throw new Error(`variable "${name}" is not declared`);
  return body;
};
const validations = (name: string): string[] =>
  blocks(variable(name), 'validation').map((v) => str(v.condition, `${name} validation`));

/** The environment list of the container definition, with every list it may be assembled from. */
function containerEnvironment(): { name: string; value: Json }[] {
  const definition = obj(deref(local('container_definition')), 'container_definition');
  const environment = definition.environment;
  const lists: Json[] = [];
  const resolved = deref(environment);
  if (Array.isArray(resolved)) lists.push(resolved);
  else {
    // Assembled with concat() and conditionals: every local list it names.
    for (const [, name] of str(resolved).matchAll(/local\.([a-z0-9_]+)/g)) {
      const value = local(name);
      if (Array.isArray(value)) lists.push(value);
    }
  }
  expect(lists.length).toBeGreaterThan(0);
  return lists.flatMap((list) =>
    arr(list).map((entry) => {
      const e = obj(entry, 'environment entry');
      return { name: str(e.name, 'environment name'), value: e.value };
    }),
  );
}

// ---------------------------------------------------------------------------

describe('terraform/ module layout', () => {
  it('splits the module into files by concern, all of which parse', () => {
    expect(tfFiles).toEqual(
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
    expect(Object.keys(tf.text).sort()).toEqual(tfFiles);
    expect(Object.keys(tf.resource).length).toBeGreaterThan(10);
  });

  it('pins Terraform >= 1.6 and the hashicorp/aws provider to major 6, with default tags', () => {
    const settings = tf.terraform;
    expect(settings).toHaveLength(1);
    expect(settings[0].required_version).toBe('>= 1.6');
    const providers = obj(arr(settings[0].required_providers)[0]);
    expect(providers.aws).toEqual({ source: 'hashicorp/aws', version: '~> 6.0' });
    const aws = tf.provider.aws;
    expect(aws).toHaveLength(1);
    expect(aws[0].region).toBe('${var.aws_region}');
    expect(str(block(aws[0], 'default_tags').tags)).toMatch(/Project/);
  });

  it('gives every variable a type and a description', () => {
    const names = Object.keys(tf.variable);
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
    for (const name of Object.keys(tf.variable)) {
      for (const condition of validations(name)) {
        count += 1;
        const refs = [...condition.matchAll(/\bvar\.([a-z0-9_]+)/g)].map((m) => m[1]);
        expect({ name, refs: [...new Set(refs)] }).toEqual({ name, refs: [name] });
      }
    }
    expect(count).toBeGreaterThan(25);
  });

  it('refers only to variables, locals, resources and data sources it declares', () => {
    const all = strings(tf.resource)
      .concat(strings(tf.data))
      .concat(strings(tf.output))
      .concat(strings(tf.locals))
      .concat(strings(tf.check))
      .concat(strings(tf.variable))
      .concat(strings(tf.provider));
    const expressions = all.filter((s) => s.includes('${'));
    const missing: string[] = [];
    for (const e of expressions) {
      for (const [, name] of e.matchAll(/\bvar\.([a-z0-9_]+)/g)) {
        if (!(name in tf.variable)) missing.push(`var.${name}`);
      }
      for (const [, name] of e.matchAll(/\blocal\.([a-z0-9_]+)/g)) {
        if (!(name in tf.locals)) missing.push(`local.${name}`);
      }
      for (const [, type, name] of e.matchAll(/\bdata\.([a-z0-9_]+)\.([a-z0-9_]+)/g)) {
        if (!tf.data[type]?.[name]) missing.push(`data.${type}.${name}`);
      }
      for (const [, prefix, type, name] of e.matchAll(/(\bdata\.)?\b((?:aws|terraform)_[a-z0-9_]+)\.([a-z0-9_]+)/g)) {
        if (!prefix && !tf.resource[type]?.[name]) missing.push(`${type}.${name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('the database', () => {
  const db = () => resource('aws_db_instance', 'this');

  it('is PostgreSQL, private, encrypted, with a password managed by RDS in Secrets Manager', () => {
    expect(Object.keys(resources('aws_db_instance'))).toEqual(['this']);
    expect(db().engine).toBe('postgres');
    expect(db().publicly_accessible).toBe(false);
    expect(db().storage_encrypted).toBe(true);
    expect(db().manage_master_user_password).toBe(true);
    expect(db()).not.toHaveProperty('password');
    expect(db()).not.toHaveProperty('password_wo');
    expect(db().db_subnet_group_name).toBe('${aws_db_subnet_group.this.name}');
    expect(db().vpc_security_group_ids).toEqual(['${aws_security_group.db.id}']);
  });

  it('sits in private subnets of its own, with no route to an internet gateway, in either VPC', () => {
    expect(resource('aws_db_subnet_group', 'this').subnet_ids).toBe('${local.db_subnet_ids}');
    expect(local('db_subnet_ids')).toBe('${local.private_subnet_ids}');
    // Never the default VPC's default subnets, which route to its internet gateway.
    expect(local('private_subnet_ids')).toBe('${aws_subnet.private[*].id}');

    // Created in the default VPC too (create_vpc = false), not only in a new one.
    const subnet = resource('aws_subnet', 'private');
    expect(subnet.count).toBe('${var.az_count}');
    expect(subnet.vpc_id).toBe('${local.vpc_id}');
    expect(subnet.map_public_ip_on_launch).toBe(false);
    expect(local('vpc_cidr')).toBe(
      '${var.create_vpc ? aws_vpc.this[0].cidr_block : data.aws_vpc.default[0].cidr_block}',
    );
    // /20 slices from the 8th of the VPC's /16: clear of the default VPC's
    // default subnets (one /20 per AZ from slice 0, at most 6 AZs) and of the
    // created public subnets (slices 0 to az_count - 1).
    const slice = /^\$\{cidrsubnet\(local\.vpc_cidr, 4, count\.index \+ (\d+)\)\}$/.exec(str(subnet.cidr_block));
    expect(slice).not.toBeNull();
    const azCountMax = Number(/var\.az_count <= (\d+)/.exec(validations('az_count').join())?.[1]);
    expect(Number(slice![1])).toBeGreaterThanOrEqual(6);
    expect(Number(slice![1]) + azCountMax).toBeLessThanOrEqual(16);

    // Each one explicitly on the private route table (else the VPC's main table,
    // which in the default VPC routes to the internet gateway).
    const association = resource('aws_route_table_association', 'private');
    expect(association).toMatchObject({
      count: '${var.az_count}',
      subnet_id: '${aws_subnet.private[count.index].id}',
      route_table_id: '${aws_route_table.private.id}',
    });
    expect(resource('aws_route_table', 'private').vpc_id).toBe('${local.vpc_id}');
    expect(blocks(resource('aws_route_table', 'private'), 'route')).toEqual([]);
    // Its only route, to a NAT gateway (outbound only) for tasks in private subnets.
    const privateRoutes = Object.entries(resources('aws_route')).filter(([, r]) =>
      str(r.route_table_id).includes('aws_route_table.private'),
    );
    expect(privateRoutes.map(([id]) => id)).toEqual(['private_nat']);
    const [, nat] = privateRoutes[0];
    expect(nat.nat_gateway_id).toBe('${aws_nat_gateway.this[0].id}');
    expect(nat).not.toHaveProperty('gateway_id');
    expect(nat.count).toBe('${local.tasks_in_private_subnets ? 1 : 0}');
    for (const [id, r] of Object.entries(resources('aws_route'))) {
      if (r.gateway_id !== undefined) {
        expect({ id, table: r.route_table_id }).toEqual({ id, table: '${aws_route_table.public[0].id}' });
      }
    }
  });

  it('takes its version, class and storage from variables; the parameter group family follows the major', () => {
    expect(db().engine_version).toBe('${var.engine_version}');
    expect(variable('engine_version').default).toBe('17');
    expect(db().instance_class).toBe('${var.db_instance_class}');
    expect(db().allocated_storage).toBe('${var.db_allocated_storage}');
    expect(db().max_allocated_storage).toBe('${var.db_max_allocated_storage}');
    const group = resource('aws_db_parameter_group', 'this');
    expect(group.family).toBe('${local.db_parameter_family}');
    expect(local('db_parameter_family')).toBe('postgres${local.postgres_major}');
    expect(local('postgres_major')).toBe('${split(".", var.engine_version)[0]}');
    expect(db().parameter_group_name).toBe('${aws_db_parameter_group.this.name}');
  });

  it('logs slow statements (with their request_id comment) to CloudWatch and refuses plaintext connections', () => {
    const parameters = Object.fromEntries(
      blocks(resource('aws_db_parameter_group', 'this'), 'parameter').map((p) => [p.name, p.value]),
    );
    expect(parameters).toEqual({
      log_min_duration_statement: '${tostring(var.log_min_duration_statement_ms)}',
      'rds.force_ssl': '1',
    });
    expect(db().enabled_cloudwatch_logs_exports).toEqual(['postgresql']);
    expect(db().performance_insights_enabled).toBe('${var.performance_insights_enabled}');
    expect(variable('performance_insights_enabled').default).toBe(true);
  });

  it('has backups, deletion protection and a final snapshot from variables with safe defaults', () => {
    expect(db().backup_retention_period).toBe('${var.backup_retention_days}');
    expect(variable('backup_retention_days').type).toBe('${number}');
    expect(variable('backup_retention_days').default).toBe(7);
    // Backups cannot be turned off: 0 is refused, up to RDS's 35 days.
    expect(validations('backup_retention_days')).toEqual([
      expect.stringMatching(/var\.backup_retention_days >= 1 && var\.backup_retention_days <= 35/),
    ]);
    expect(db().deletion_protection).toBe('${var.deletion_protection}');
    expect(variable('deletion_protection')).toMatchObject({ type: '${bool}', default: true });
    expect(db().skip_final_snapshot).toBe('${var.skip_final_snapshot}');
    expect(variable('skip_final_snapshot').default).toBe(false);
    for (const name of ['backup_retention_days', 'deletion_protection', 'skip_final_snapshot']) {
      expect(str(variable(name).description)).toMatch(/\w+ \w+ \w+/);
    }
    // What was applied, from the instance itself.
    expect(tf.output.db_deletion_protection.value).toBe('${aws_db_instance.this.deletion_protection}');
    expect(tf.output.db_backup_retention_days.value).toBe('${aws_db_instance.this.backup_retention_period}');
  });

  it('admits only the service security group on 5432, with no CIDR', () => {
    const rules = Object.values(resources('aws_vpc_security_group_ingress_rule')).filter(
      (r) => r.security_group_id === '${aws_security_group.db.id}',
    );
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({
      referenced_security_group_id: '${aws_security_group.service.id}',
      from_port: 5432,
      to_port: 5432,
      ip_protocol: 'tcp',
    });
    expect(rules[0]).not.toHaveProperty('cidr_ipv4');
    expect(rules[0]).not.toHaveProperty('cidr_ipv6');
  });
});

describe('encryption at rest', () => {
  const db = () => resource('aws_db_instance', 'this');

  it('takes one optional customer managed key, validated as a KMS key ARN', () => {
    expect(variable('kms_key_arn')).toMatchObject({ type: '${string}', default: null });
    expect(validations('kms_key_arn')).toEqual([expect.stringContaining(':kms:')]);
    expect(str(variable('kms_key_arn').description)).toMatch(/logs\.<region>\.amazonaws\.com/);
  });

  it('encrypts the database storage, its Performance Insights data and its master user secret', () => {
    expect(db().storage_encrypted).toBe(true);
    expect(db().kms_key_id).toBe('${var.kms_key_arn}');
    expect(db().master_user_secret_kms_key_id).toBe('${var.kms_key_arn}');
    expect(db().performance_insights_kms_key_id).toBe('${var.performance_insights_enabled ? var.kms_key_arn : null}');
  });

  it('encrypts every CloudWatch log group with the key when one is given', () => {
    const groups = Object.entries(resources('aws_cloudwatch_log_group'));
    expect(groups.length).toBeGreaterThanOrEqual(2);
    for (const [id, group] of groups) {
      expect({ id, kms: group.kms_key_id }).toEqual({ id, kms: '${var.kms_key_arn}' });
    }
  });

  it('encrypts the images in ECR', () => {
    const encryption = block(resource('aws_ecr_repository', 'this'), 'encryption_configuration');
    expect(['AES256', 'KMS']).toContain(encryption.encryption_type);
  });
});

describe('secrets', () => {
  it('writes no literal password anywhere', () => {
    const everything = entries([tf.resource, tf.data, tf.locals, tf.variable, tf.output, tf.provider]);
    const passwordKeys = everything.filter(([key]) => /passw(or)?d/i.test(key));
    // The only password-named argument is the flag that hands the password to RDS.
    expect(passwordKeys).toEqual([['manage_master_user_password', true]]);
    for (const [file, text] of Object.entries(tf.text)) {
      expect({ file, masterPassword: /master_password/i.test(text) }).toEqual({ file, masterPassword: false });
      expect({ file, literal: /passw(or)?d\s*=\s*"/i.test(text) }).toEqual({ file, literal: false });
    }
    const example = readFileSync(path.join(dir, 'terraform.tfvars.example'), 'utf8');
    expect(example).not.toMatch(/passw(or)?d\s*=/i);
  });

  it('holds no literal credential in any file of the module', () => {
    const files = [...tfFiles, 'terraform.tfvars.example', 'scripts/push-image.sh'];
    // A quoted literal (not a "${...}" reference) given to anything named like a credential.
    const assigned =
      /\b[\w-]*(passw(or)?d|passphrase|secret|token|api_?key|access_?key|private_?key)[\w-]*"?\s*[=:]\s*"(?!\$\{)[^"]+"/i;
    for (const file of files) {
      const text = readFileSync(path.join(dir, file), 'utf8');
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
    expect(tf.data.aws_secretsmanager_secret_version).toBeUndefined();
    // The secret's value is never referenced, only its ARN (by ECS, at task start).
    const references = strings([tf.resource, tf.data, tf.locals, tf.output]).filter((v) =>
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

describe('network exposure', () => {
  type Rule = { id: string; body: Obj };
  const ingress = (): Rule[] => {
    const rules: Rule[] = Object.entries(resources('aws_vpc_security_group_ingress_rule')).map(([id, body]) => ({
      id,
      body,
    }));
    for (const [id, body] of Object.entries(resources('aws_security_group_rule'))) {
      if (body.type === 'ingress') rules.push({ id, body });
    }
    for (const [id, group] of Object.entries(resources('aws_security_group'))) {
      for (const inline of blocks(group, 'ingress')) rules.push({ id: `${id} (inline)`, body: inline });
      const dynamic = isObj(group.dynamic) ? blocks(group.dynamic, 'ingress') : [];
      for (const d of dynamic) rules.push({ id: `${id} (dynamic)`, body: obj(arr(d.content)[0]) });
    }
    return rules;
  };
  const open = (r: Obj) =>
    r.cidr_ipv4 === '0.0.0.0/0' ||
    r.cidr_ipv6 === '::/0' ||
    strings(r.cidr_blocks).includes('0.0.0.0/0') ||
    strings(r.ipv6_cidr_blocks).includes('::/0');

  it('opens only the ALB listener ports 80 and 443 to the internet (0.0.0.0/0 and ::/0)', () => {
    const public_ = ingress().filter((r) => open(r.body));
    expect(public_.map((r) => r.id).sort()).toEqual([
      'alb_http_ipv4',
      'alb_http_ipv6',
      'alb_https_ipv4',
      'alb_https_ipv6',
    ]);
    for (const { body } of public_) {
      expect(body.security_group_id).toBe('${aws_security_group.alb.id}');
      expect(body.ip_protocol).toBe('tcp');
      expect([80, 443]).toContain(body.from_port);
      expect(body.to_port).toBe(body.from_port);
    }
    // 443 only with a certificate (and an HTTPS listener).
    expect(resource('aws_vpc_security_group_ingress_rule', 'alb_https_ipv4').count).toBe('${local.https ? 1 : 0}');
    expect(local('https')).toBe('${var.certificate_arn != null}');
  });

  it('admits the ALB only on 6400 to the tasks, and nothing else from anywhere', () => {
    const toService = ingress().filter((r) => r.body.security_group_id === '${aws_security_group.service.id}');
    expect(toService).toHaveLength(1);
    expect(toService[0].body).toMatchObject({
      referenced_security_group_id: '${aws_security_group.alb.id}',
      from_port: '${local.container_port}',
      to_port: '${local.container_port}',
    });
    expect(local('container_port')).toBe(6400);
    for (const { id, body } of ingress()) {
      expect({ id, allProtocols: body.ip_protocol === '-1' || body.protocol === '-1' }).toEqual({
        id,
        allProtocols: false,
      });
      // Every ingress rule names a source: a security group, or (ALB only) the internet.
      expect({ id, sourced: Boolean(body.referenced_security_group_id) || open(body) }).toEqual({
        id,
        sourced: true,
      });
    }
  });

  it('lets traffic out only where it must go: ALB to tasks, tasks to the database and to AWS APIs over HTTPS', () => {
    const egress = Object.values(resources('aws_vpc_security_group_egress_rule')).map((r) => ({
      from: r.security_group_id,
      to: r.referenced_security_group_id ?? r.cidr_ipv4 ?? r.cidr_ipv6,
      port: r.from_port,
      toPort: r.to_port,
    }));
    expect(egress).toEqual(
      expect.arrayContaining([
        {
          from: '${aws_security_group.alb.id}',
          to: '${aws_security_group.service.id}',
          port: '${local.container_port}',
          toPort: '${local.container_port}',
        },
        { from: '${aws_security_group.service.id}', to: '${aws_security_group.db.id}', port: 5432, toPort: 5432 },
        { from: '${aws_security_group.service.id}', to: '0.0.0.0/0', port: 443, toPort: 443 },
      ]),
    );
    expect(egress).toHaveLength(3); // the database initiates nothing
    for (const group of Object.values(resources('aws_security_group'))) {
      expect(group).not.toHaveProperty('ingress');
      expect(group).not.toHaveProperty('egress');
    }
  });

  it('has no port 22 (SSH) anywhere', () => {
    const ports = entries([tf.resource, tf.locals]).filter(([key]) => /port/i.test(key));
    expect(ports.length).toBeGreaterThan(5);
    for (const [key, value] of ports) expect({ key, value }).not.toEqual({ key, value: 22 });
    const ranges = [
      ...Object.values(resources('aws_vpc_security_group_ingress_rule')),
      ...Object.values(resources('aws_vpc_security_group_egress_rule')),
      ...Object.values(resources('aws_security_group_rule')),
    ];
    for (const r of ranges) {
      if (typeof r.from_port === 'number' && typeof r.to_port === 'number') {
        expect(r.from_port <= 22 && r.to_port >= 22).toBe(false);
      }
    }
    const code = (text: string) =>
      text
        .split('\n')
        .filter((line) => !/^\s*(#|\/\/)/.test(line))
        .join('\n');
    for (const text of Object.values(tf.text)) expect(code(text)).not.toMatch(/\b(ssh|port\s*=\s*22)\b/i);
  });

  it('uses the default VPC by default, or a created one with public and private subnets', () => {
    expect(variable('create_vpc').default).toBe(false);
    expect(tf.data.aws_vpc.default.default).toBe(true);
    expect(tf.data.aws_vpc.default.count).toBe('${var.create_vpc ? 0 : 1}');
    expect(resource('aws_vpc', 'this').count).toBe('${var.create_vpc ? 1 : 0}');
    expect(resource('aws_subnet', 'public').count).toBe('${var.create_vpc ? var.az_count : 0}');
    expect(resource('aws_subnet', 'private')).toBeDefined();
    expect(resource('aws_nat_gateway', 'this').count).toBe('${local.tasks_in_private_subnets ? 1 : 0}');
    expect(local('db_subnet_ids')).toBe('${local.private_subnet_ids}');
  });

  it('strips every rule from the default security group of a created VPC', () => {
    const group = resource('aws_default_security_group', 'this');
    expect(group.vpc_id).toBe('${aws_vpc.this[0].id}');
    expect(group.count).toBe('${var.create_vpc ? 1 : 0}');
    expect(group).not.toHaveProperty('ingress');
    expect(group).not.toHaveProperty('egress');
    expect(group).not.toHaveProperty('dynamic');
  });
});

describe('the ECS service', () => {
  const definition = () => obj(deref(local('container_definition')));

  it('runs on a cluster with Container Insights on', () => {
    const setting = block(resource('aws_ecs_cluster', 'this'), 'setting');
    expect(setting).toEqual({ name: 'containerInsights', value: '${var.container_insights}' });
    expect(variable('container_insights').default).toBe('enabled');
    const [condition] = validations('container_insights');
    const allowed = JSON.parse(/\[[^\]]*\]/.exec(condition)?.[0] ?? '[]') as string[];
    expect(allowed.sort()).toEqual(['enabled', 'enhanced']); // never "disabled"
  });

  it('sizes the Fargate task from validated variables, with the allowed CPU/memory pairs checked at plan time', () => {
    const task = resource('aws_ecs_task_definition', 'this');
    expect(task.requires_compatibilities).toEqual(['FARGATE']);
    expect(task.network_mode).toBe('awsvpc');
    expect(task.cpu).toBe('${var.task_cpu}');
    expect(task.memory).toBe('${var.task_memory}');
    expect(validations('task_cpu')).toHaveLength(1);
    expect(validations('task_memory')).toHaveLength(1);
    const cpus = JSON.parse(/\[[^\]]*\]/.exec(validations('task_cpu')[0])?.[0] ?? '[]') as number[];
    expect(cpus).toEqual(Object.keys(FARGATE_MEMORY_BY_CPU).map(Number));

    // The pairs, as encoded: literal lists or range(from, to_exclusive, step).
    const encoded = obj(local('fargate_memory_by_cpu'));
    const evaluate = (v: Json): number[] => {
      if (Array.isArray(v)) return v.map(Number);
      const m = /^\$\{range\((\d+),\s*(\d+),\s*(\d+)\)\}$/.exec(str(v));
      if (!m) throw new Error(`cannot evaluate ${JSON.stringify(v)}`);
      const [from, to, step] = m.slice(1).map(Number);
      return steps(from, to - 1 - ((to - 1 - from) % step), step);
    };
    expect(Object.fromEntries(Object.entries(encoded).map(([cpu, v]) => [cpu, evaluate(v)]))).toEqual(
      FARGATE_MEMORY_BY_CPU,
    );
    for (const [cpu, memory] of Object.entries(FARGATE_MEMORY_BY_CPU)) {
      const mem = memory[0];
      expect({ cpu, mem, ok: mem === 512 || (mem % 1024 === 0 && mem <= 122880) }).toEqual({ cpu, mem, ok: true });
    }

    // A precondition (fails `terraform plan`) ties task_memory to task_cpu.
    const check = block(block(resource('terraform_data', 'fargate_task_size'), 'lifecycle'), 'precondition');
    expect(check.condition).toBe(
      '${contains(lookup(local.fargate_memory_by_cpu, tostring(var.task_cpu), []), var.task_memory)}',
    );
  });

  it('gives the container exactly the service variables it needs, from the service config schema', () => {
    const names = containerEnvironment().map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(SERVICE_VARIABLES).toContain(name);
    expect(names).toEqual(expect.arrayContaining(REQUIRED_ENVIRONMENT));
    const env = Object.fromEntries(containerEnvironment().map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      PORT: '${tostring(local.container_port)}',
      HOST: '0.0.0.0',
      DB_HOST: '${aws_db_instance.this.address}',
      DB_PORT: '${tostring(aws_db_instance.this.port)}',
      DB_NAME: '${var.db_name}',
      DB_USER: '${var.db_username}',
      DB_SSL: 'true',
      DB_SSL_CA_FILE: '/app/certs/rds-global-bundle.pem',
      DB_POOL_SIZE: '${tostring(var.db_pool_size)}',
      LOG_LEVEL: '${var.log_level}',
      WEB_CONCURRENCY: '${tostring(var.web_concurrency)}',
      SERVICE_VERSION: '${local.image_tag}',
    });
    expect(local('image')).toBe('${aws_ecr_repository.this.repository_url}:${local.image_tag}');
    expect(validations('web_concurrency').join()).toMatch(/var\.web_concurrency >= 1/);
    expect(validations('db_pool_size')).toHaveLength(1);
  });

  it('lists exactly the variables of the service config schema', () => {
    expect([...SERVICE_VARIABLES].sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  it('listens on 6400 and stops within 30 s', () => {
    expect(definition().portMappings).toEqual([
      expect.objectContaining({ containerPort: '${local.container_port}', protocol: 'tcp' }),
    ]);
    expect(definition().stopTimeout).toBe(30);
    expect(definition().essential).toBe(true);
  });

  it("runs the container read-only, as the image's unprivileged user, with every capability dropped", () => {
    const d = definition();
    expect(d.readonlyRootFilesystem).toBe(true);
    // Nothing writable is mounted back in: no volumes, no mount points.
    expect(d).not.toHaveProperty('mountPoints');
    expect(d).not.toHaveProperty('volumesFrom');
    expect(resource('aws_ecs_task_definition', 'this')).not.toHaveProperty('volume');
    // Not root, and the same user as the Dockerfile's USER.
    expect(d.user).toBe('node');
    const dockerUsers = [...readFileSync(path.join(repoRoot, 'docker/Dockerfile'), 'utf8').matchAll(/^USER\s+(\S+)/gm)];
    expect(dockerUsers.map((m) => m[1])).toEqual([d.user]);
    expect(d).not.toHaveProperty('privileged'); // which Fargate does not offer anyway
    const linux = obj(d.linuxParameters);
    expect(obj(linux.capabilities)).toEqual({ drop: ['ALL'] });
    expect(linux).not.toHaveProperty('devices');
    // No shell into running tasks either.
    expect(resource('aws_ecs_service', 'this').enable_execute_command).toBe(false);
  });

  it('logs through awslogs into the service log group, non-blocking with a bounded buffer', () => {
    const logging = obj(definition().logConfiguration);
    expect(logging.logDriver).toBe('awslogs');
    const options = obj(logging.options);
    expect(options).toMatchObject({
      'awslogs-group': '${aws_cloudwatch_log_group.service.name}',
      'awslogs-region': '${local.region}',
      mode: 'non-blocking',
    });
    expect(str(options['max-buffer-size'])).toMatch(/^\d+[kmg]$/);
    expect(str(options['awslogs-stream-prefix']).length).toBeGreaterThan(0);
    expect(resource('aws_ecs_task_definition', 'this').container_definitions).toBe(
      '${jsonencode([local.container_definition])}',
    );
  });

  it('deploys behind the ALB with the circuit breaker rolling back failed deployments', () => {
    const service = resource('aws_ecs_service', 'this');
    expect(block(service, 'deployment_circuit_breaker')).toEqual({ enable: true, rollback: true });
    expect(service.launch_type).toBe('FARGATE');
    expect(service.desired_count).toBe('${var.desired_count}');
    expect(service.health_check_grace_period_seconds).toBe('${var.health_check_grace_period_seconds}');
    expect(block(service, 'load_balancer')).toEqual({
      target_group_arn: '${aws_lb_target_group.this.arn}',
      container_name: '${local.container_name}',
      container_port: '${local.container_port}',
    });
    expect(block(service, 'network_configuration').security_groups).toEqual(['${aws_security_group.service.id}']);
    expect(service.enable_execute_command).toBe(false);
  });

  it('autoscales on CPU and on ALB requests per target between validated bounds', () => {
    const target = resource('aws_appautoscaling_target', 'service');
    expect(target).toMatchObject({
      min_capacity: '${var.min_tasks}',
      max_capacity: '${var.max_tasks}',
      scalable_dimension: 'ecs:service:DesiredCount',
      service_namespace: 'ecs',
    });
    const policies = Object.values(resources('aws_appautoscaling_policy')).map((p) => {
      const config = block(p, 'target_tracking_scaling_policy_configuration');
      return {
        type: p.policy_type,
        metric: block(config, 'predefined_metric_specification'),
        target: config.target_value,
      };
    });
    expect(policies).toEqual(
      expect.arrayContaining([
        {
          type: 'TargetTrackingScaling',
          metric: { predefined_metric_type: 'ECSServiceAverageCPUUtilization' },
          target: '${var.cpu_target_percent}',
        },
        {
          type: 'TargetTrackingScaling',
          metric: {
            predefined_metric_type: 'ALBRequestCountPerTarget',
            resource_label: '${aws_lb.this.arn_suffix}/${aws_lb_target_group.this.arn_suffix}',
          },
          target: '${var.requests_per_target}',
        },
      ]),
    );
    const bounds = block(block(resource('terraform_data', 'scaling_bounds'), 'lifecycle'), 'precondition');
    expect(bounds.condition).toBe('${var.min_tasks <= var.max_tasks}');
  });
});

describe('the load balancer', () => {
  it('drops malformed headers, and writes access logs to a bucket only when one is given', () => {
    const lb = resource('aws_lb', 'this');
    expect(lb.drop_invalid_header_fields).toBe(true);
    expect(lb.enable_deletion_protection).toBe('${var.alb_deletion_protection}');
    const logs = blocks(obj(lb.dynamic), 'access_logs');
    expect(logs).toHaveLength(1);
    expect(logs[0].for_each).toBe('${var.alb_access_logs_bucket == null ? [] : [var.alb_access_logs_bucket]}');
    expect(obj(arr(logs[0].content)[0])).toEqual({
      bucket: '${access_logs.value}',
      prefix: '${local.name}',
      enabled: true,
    });
    expect(variable('alb_access_logs_bucket').default).toBeNull();
  });

  it('times out idle connections before the service does (65 s keep-alive)', () => {
    const idle = resource('aws_lb', 'this').idle_timeout;
    expect(typeof idle).toBe('number');
    expect(idle).toBeLessThan(65);
    expect(resource('aws_lb', 'this').internal).toBe(false);
  });

  it('checks the readiness path on an ip target group, draining for about 30 s', () => {
    const group = resource('aws_lb_target_group', 'this');
    expect(group.target_type).toBe('ip');
    expect(group.port).toBe('${local.container_port}');
    expect(group.deregistration_delay).toBeLessThanOrEqual(60);
    const health = block(group, 'health_check');
    expect(deref(str(health.path))).toBe('/api/v1/health/ready');
    expect(health.matcher).toBe('200');
  });

  it('listens on 80, and on 443 with a certificate (then redirecting 80 to HTTPS)', () => {
    const http = resource('aws_lb_listener', 'http');
    expect(http).toMatchObject({ port: 80, protocol: 'HTTP' });
    const action = block(http, 'default_action');
    expect(action.type).toBe('${local.https ? "redirect" : "forward"}');
    const redirect = obj(arr(obj(action.dynamic).redirect)[0]);
    expect(obj(arr(redirect.content)[0])).toMatchObject({ port: '443', protocol: 'HTTPS' });
    const https = resource('aws_lb_listener', 'https');
    expect(https).toMatchObject({ port: 443, protocol: 'HTTPS', certificate_arn: '${var.certificate_arn}' });
    expect(https.count).toBe('${local.https ? 1 : 0}');
  });
});

describe('CloudWatch', () => {
  it('keeps the service logs for log_retention_days, validated against CloudWatch retention values', () => {
    const group = resource('aws_cloudwatch_log_group', 'service');
    expect(group.retention_in_days).toBe('${var.log_retention_days}');
    expect(resource('aws_cloudwatch_log_group', 'rds_postgresql').retention_in_days).toBe('${var.log_retention_days}');
    const [condition] = validations('log_retention_days');
    const allowed = JSON.parse(/\[[^\]]*\]/.exec(condition)?.[0] ?? '[]') as number[];
    expect(allowed).toEqual(CLOUDWATCH_RETENTION_DAYS);
    expect(allowed).toContain(variable('log_retention_days').default);
  });

  it('saves the four Logs Insights queries over the service log group, with the log schema field names', () => {
    const queries = Object.values(resources('aws_cloudwatch_query_definition'));
    const normalise = (q: Json) =>
      str(q)
        .trim()
        .split('\n')
        .map((l) => l.trim())
        .join('\n');
    const onService = queries.filter(
      (q) => JSON.stringify(q.log_group_names) === JSON.stringify(['${aws_cloudwatch_log_group.service.name}']),
    );
    const bodies = onService.map((q) => normalise(q.query_string));

    expect(bodies).toContain(
      [
        'fields @timestamp, request_id, method, url, location, message',
        '| filter ispresent(request_id)',
        '| sort @timestamp desc',
        '| limit 400',
      ].join('\n'),
    );
    const slowest = bodies.find((b) => b.startsWith('filter message = "Request finished"'));
    expect(slowest).toBeDefined();
    for (const p of [50, 95, 99]) expect(slowest).toContain(`pct(duration_ms, ${p})`);
    expect(slowest).toMatch(/\| stats .* by route\b/);

    const oneRequest = bodies.find((b) => /filter request_id = "[^"]+"/.test(b));
    expect(oneRequest).toMatch(/location = "sql"/);
    expect(oneRequest).toMatch(/fields .*duration_ms.*query|fields .*query.*duration_ms/);

    const errors = bodies.find((b) => b.startsWith('filter status_code >= 400'));
    expect(errors).toMatch(/\| stats count\(\*\)( as \w+)? by status_code, route/);

    for (const q of queries) expect(str(q.name)).toMatch(/^\$\{local\.query_name_prefix\}/);
  });

  it('has a dashboard with ALB traffic, latency percentiles, 5XX, task CPU and memory, RDS CPU and connections', () => {
    const dashboard = resource('aws_cloudwatch_dashboard', 'this');
    expect(dashboard.dashboard_body).toBe('${jsonencode(local.dashboard)}');
    const widgets = arr(obj(local('dashboard')).widgets).map((w) => obj(w));
    const metrics = widgets
      .filter((w) => w.type === 'metric')
      .flatMap((w) => arr(obj(w.properties).metrics).map((m) => arr(m)));
    const has = (namespace: string, name: string, stat?: string) =>
      metrics.some(
        (m) =>
          m[0] === namespace && m[1] === name && (stat === undefined || m.some((x) => isObj(x) && x.stat === stat)),
      );
    expect(has('AWS/ApplicationELB', 'RequestCount')).toBe(true);
    for (const p of ['p50', 'p95', 'p99']) expect(has('AWS/ApplicationELB', 'TargetResponseTime', p)).toBe(true);
    expect(has('AWS/ApplicationELB', 'HTTPCode_Target_5XX_Count')).toBe(true);
    expect(has('AWS/ECS', 'CPUUtilization')).toBe(true);
    expect(has('AWS/ECS', 'MemoryUtilization')).toBe(true);
    expect(has('AWS/RDS', 'CPUUtilization')).toBe(true);
    expect(has('AWS/RDS', 'DatabaseConnections')).toBe(true);
  });

  it('alarms on the target 5XX rate, p99 latency and unhealthy targets, notifying the optional SNS topic', () => {
    const alarms = resources('aws_cloudwatch_metric_alarm');
    const list = Object.values(alarms);
    expect(list).toHaveLength(3);

    const rate = list.find((a) => a.metric_query !== undefined);
    expect(rate).toBeDefined();
    const queries = blocks(rate!, 'metric_query');
    const metricIds = Object.fromEntries(
      queries.filter((q) => q.metric).map((q) => [str(block(q, 'metric').metric_name), str(q.id)]),
    );
    expect(Object.keys(metricIds).sort()).toEqual(['HTTPCode_Target_5XX_Count', 'RequestCount']);
    const expression = queries.find((q) => q.expression !== undefined);
    expect(expression?.return_data).toBe(true);
    expect(str(expression?.expression)).toMatch(
      new RegExp(`${metricIds.HTTPCode_Target_5XX_Count}.*/\\s*${metricIds.RequestCount}`),
    );

    const latency = list.find((a) => a.metric_name === 'TargetResponseTime');
    expect(latency?.extended_statistic).toBe('p99');
    expect(latency).not.toHaveProperty('statistic');

    const unhealthy = list.find((a) => a.metric_name === 'UnHealthyHostCount');
    expect(unhealthy?.namespace).toBe('AWS/ApplicationELB');

    for (const alarm of list) expect(alarm.alarm_actions).toBe('${local.alarm_actions}');
    expect(local('alarm_actions')).toBe('${var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]}');
    expect(variable('alarm_sns_topic_arn').default).toBeNull();
  });
});

describe('IAM', () => {
  const statements = (name: string) => blocks(tf.data.aws_iam_policy_document[name], 'statement');
  /** `dynamic "statement"` blocks: their for_each and their single content body. */
  const dynamicStatements = (name: string) => {
    const dynamic = tf.data.aws_iam_policy_document[name].dynamic;
    return (isObj(dynamic) ? blocks(dynamic, 'statement') : []).map((d) => ({
      for_each: d.for_each,
      content: obj(arr(d.content)[0]),
    }));
  };

  it('creates the two roles by default, or uses existing_iam_role_name (e.g. LabRole) for both', () => {
    expect(variable('existing_iam_role_name').default).toBeNull();
    expect(local('create_iam_roles')).toBe('${var.existing_iam_role_name == null}');
    expect(tf.data.aws_iam_role.existing.count).toBe('${local.create_iam_roles ? 0 : 1}');
    expect(resource('aws_iam_role', 'execution').count).toBe('${local.create_iam_roles ? 1 : 0}');
    expect(resource('aws_iam_role', 'task').count).toBe('${local.create_iam_roles ? 1 : 0}');
    const task = resource('aws_ecs_task_definition', 'this');
    expect(task.execution_role_arn).toBe('${local.execution_role_arn}');
    expect(task.task_role_arn).toBe('${local.task_role_arn}');
    expect(str(local('execution_role_arn'))).toContain('data.aws_iam_role.existing[0].arn');
    expect(str(local('task_role_arn'))).toContain('data.aws_iam_role.existing[0].arn');
  });

  it('lets the execution role pull the image, write logs and read the database secret, and nothing more', () => {
    const byAction = statements('execution').flatMap((s) =>
      arr(s.actions).map((a) => [str(a), arr(s.resources).map((r) => str(r))] as const),
    );
    expect(new Set(byAction.map(([a]) => a)).size).toBe(byAction.length);
    expect(Object.fromEntries(byAction)).toEqual({
      'ecr:GetAuthorizationToken': ['*'],
      'ecr:BatchCheckLayerAvailability': ['${aws_ecr_repository.this.arn}'],
      'ecr:BatchGetImage': ['${aws_ecr_repository.this.arn}'],
      'ecr:GetDownloadUrlForLayer': ['${aws_ecr_repository.this.arn}'],
      'logs:CreateLogStream': ['${aws_cloudwatch_log_group.service.arn}:*'],
      'logs:PutLogEvents': ['${aws_cloudwatch_log_group.service.arn}:*'],
      'secretsmanager:GetSecretValue': ['${aws_db_instance.this.master_user_secret[0].secret_arn}'],
    });
    expect(dynamicStatements('execution')).toEqual([
      {
        for_each: '${var.kms_key_arn == null ? [] : [var.kms_key_arn]}',
        content: {
          sid: 'DecryptDatabaseSecret',
          actions: ['kms:Decrypt'],
          resources: ['${statement.value}'],
          condition: [
            {
              test: 'StringEquals',
              variable: 'kms:ViaService',
              values: ['secretsmanager.${local.region}.amazonaws.com'],
            },
          ],
        },
      },
    ]);
  });

  it('never grants "*" on secrets, logs, KMS or images: only ecr:GetAuthorizationToken, which has no resources', () => {
    let scoped = 0;
    for (const document of Object.keys(tf.data.aws_iam_policy_document)) {
      const all = [...statements(document), ...dynamicStatements(document).map((d) => d.content)];
      for (const s of all) {
        const actions = arr(s.actions).map((a) => str(a));
        if (s.resources === undefined) {
          // A trust policy: who may assume the role, not what it may do.
          expect({ document, actions }).toEqual({ document, actions: ['sts:AssumeRole'] });
          continue;
        }
        const resources_ = arr(s.resources).map((r) => str(r));
        if (actions.length === 1 && actions[0] === 'ecr:GetAuthorizationToken') {
          expect(resources_).toEqual(['*']);
          continue;
        }
        for (const r of resources_) {
          scoped += 1;
          // One named resource (a reference, not a literal ARN pattern); a log
          // group's streams are "<group arn>:*".
          expect({ document, actions, r }).toEqual({
            document,
            actions,
            r: expect.stringMatching(/^\$\{[a-z_.]+(\[0\])?[a-z_.]*\}(:\*)?$/),
          });
        }
        expect(s).not.toHaveProperty('not_resources');
        expect(s).not.toHaveProperty('not_actions');
        expect(s.effect ?? 'Allow').toBe('Allow');
      }
    }
    expect(scoped).toBeGreaterThanOrEqual(6);
  });

  it('gives the task role nothing unless log self-shipping is on, and attaches no managed policy', () => {
    expect(resources('aws_iam_role_policy_attachment')).toEqual({});
    expect(resources('aws_iam_policy')).toEqual({});
    expect(resources('aws_iam_role_policies_exclusive')).toEqual({});
    for (const [id, role] of Object.entries(resources('aws_iam_role'))) {
      expect({ id, managed: role.managed_policy_arns, inline: role.inline_policy }).toEqual({
        id,
        managed: undefined,
        inline: undefined,
      });
      expect(role.assume_role_policy).toBe('${data.aws_iam_policy_document.ecs_tasks_assume_role.json}');
    }
    const policies = Object.entries(resources('aws_iam_role_policy')).map(([id, p]) => [id, p.role, p.count]);
    expect(policies).toEqual([
      ['execution', '${aws_iam_role.execution[0].id}', '${local.create_iam_roles ? 1 : 0}'],
      [
        'task_self_shipping',
        '${aws_iam_role.task[0].id}',
        '${local.create_iam_roles && local.self_shipping_logs ? 1 : 0}',
      ],
    ]);
    expect(variable('self_shipping_log_group_name').default).toBeNull();
    // Only ECS tasks of this account may assume either role.
    const [assume] = statements('ecs_tasks_assume_role');
    expect(block(assume, 'principals')).toEqual({ type: 'Service', identifiers: ['ecs-tasks.amazonaws.com'] });
    expect(block(assume, 'condition')).toEqual({
      test: 'StringEquals',
      variable: 'aws:SourceAccount',
      values: ['${local.account_id}'],
    });
  });

  it('gives the task role only the log-shipping actions, and only when self-shipping is on', () => {
    const actions = statements('task_self_shipping').flatMap((s) => arr(s.actions).map((a) => str(a)));
    expect(actions.sort()).toEqual(['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']);
    expect(tf.data.aws_iam_policy_document.task_self_shipping.count).toBe('${local.self_shipping_logs ? 1 : 0}');
    expect(resource('aws_iam_role_policy', 'task_self_shipping').count).toBe(
      '${local.create_iam_roles && local.self_shipping_logs ? 1 : 0}',
    );
    for (const s of statements('task_self_shipping')) {
      for (const r of arr(s.resources)) expect(str(r)).toContain('local.self_shipping_log_group_arn');
    }
    const env = containerEnvironment().find((e) => e.name === 'CLOUDWATCH_LOG_GROUP');
    expect(env?.value).toBe('${var.self_shipping_log_group_name}');
  });

  it('grants no wildcard actions', () => {
    for (const document of Object.keys(tf.data.aws_iam_policy_document)) {
      for (const s of statements(document)) {
        for (const a of strings(s.actions)) expect(a).not.toMatch(/\*/);
      }
    }
  });
});

describe('ECR and the image push', () => {
  it('scans images on push and expires old ones', () => {
    const repository = resource('aws_ecr_repository', 'this');
    expect(block(repository, 'image_scanning_configuration')).toEqual({ scan_on_push: true });
    expect(repository.image_tag_mutability).toBe('IMMUTABLE');
    expect(resource('aws_ecr_lifecycle_policy', 'this').repository).toBe('${aws_ecr_repository.this.name}');
  });

  it('builds docker/Dockerfile from the repository root and pushes with the docker CLI', () => {
    const file = path.join(dir, 'scripts/push-image.sh');
    const script = readFileSync(file, 'utf8');
    expect(statSync(file).mode & 0o111).not.toBe(0);
    expect(script).toMatch(/^#!\/usr\/bin\/env bash\n/);
    expect(script).toMatch(/set -euo pipefail/);
    expect(script).toMatch(/aws ecr get-login-password[^\n]*\n?\s*\|\s*docker login --username AWS --password-stdin/);
    expect(script).toMatch(/--file "\$\{repo_root\}\/docker\/Dockerfile"/);
    expect(script).toMatch(/"\$\{repo_root\}"\n/); // the build context
    expect(script).toMatch(/docker push/);
    expect(script).toMatch(/git -C "\$\{repo_root\}" rev-parse/);
    expect(script).toMatch(/kreuzwerker/);
    expect(readFileSync(path.join(repoRoot, 'docker/Dockerfile'), 'utf8')).toMatch(/rds-global-bundle\.pem/);
  });

  it('deploys no service until an image tag is given', () => {
    expect(variable('image_tag').default).toBeNull();
    expect(local('deploy_service')).toBe('${var.image_tag != null}');
    for (const [type, name] of [
      ['aws_ecs_task_definition', 'this'],
      ['aws_ecs_service', 'this'],
    ]) {
      expect(resource(type, name).count).toBe('${local.deploy_service ? 1 : 0}');
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
    for (const [file, text] of Object.entries(tf.text)) {
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

describe('outputs', () => {
  it('include what a user needs next, and nothing secret', () => {
    expect(Object.keys(tf.output)).toEqual(
      expect.arrayContaining(['endpoint_url', 'log_group_name', 'dashboard_url', 'ecr_repository_url']),
    );
    // hcl2json renders the `${cond ? a : b}` template as %{if}...%{endif}.
    const endpoint = str(tf.output.endpoint_url.value);
    expect(endpoint).toMatch(/local\.https/);
    expect(endpoint).toMatch(/https.*http.*:\/\/\$\{aws_lb\.this\.dns_name\}$/);
    expect(tf.output.log_group_name.value).toBe('${aws_cloudwatch_log_group.service.name}');
    expect(str(tf.output.dashboard_url.value)).toMatch(/^https:\/\/.*cloudwatch.*dashboards/);
    expect(tf.output.ecr_repository_url.value).toBe('${aws_ecr_repository.this.repository_url}');
    for (const [name, body] of Object.entries(tf.output)) {
      expect({ name, sensitive: body.sensitive ?? false }).toEqual({ name, sensitive: false });
      expect(name).not.toMatch(/passw|secret|token|credential|private|key/i);
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
    const text = readFileSync(path.join(dir, 'terraform.tfvars.example'), 'utf8');
    const values = (await parse('terraform.tfvars', text)) as Obj;
    expect(Object.keys(values).length).toBeGreaterThan(20);
    const typeOf = (v: Json) => (Array.isArray(v) ? 'list' : v === null ? 'null' : typeof v);
    const expected: Record<string, string> = { string: 'string', number: 'number', bool: 'boolean' };
    for (const [name, value] of Object.entries(values)) {
      const declared = tf.variable[name];
      expect({ name, declared: declared !== undefined }).toEqual({ name, declared: true });
      const type = /^\$\{(\w+)/.exec(str(declared.type))?.[1] ?? '';
      const want = expected[type] ?? (type === 'list' ? 'list' : 'object');
      expect({ name, type: typeOf(value) }).toEqual({ name, type: want });
    }
    // Commented-out settings name declared variables too.
    for (const [, name] of text.matchAll(/^#\s*([a-z_0-9]+)\s*=/gm)) {
      expect({ name, declared: name in tf.variable }).toEqual({ name, declared: true });
    }
  });
});
