import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  obj,
  arr,
  str,
  block,
  blocks,
  strings,
  tf,
  resources,
  resource,
  local,
  deref,
  variable,
  validations,
  containerEnvironment,
  evaluate,
  repoRoot,
  terraformDir,
  useTerraformModule,
  type Obj,
} from './support/terraform-module';

/*
 * The service's own database roles: their names, their secrets, the db-roles
 * task that creates them and sets their passwords, and the command that runs it.
 */

useTerraformModule();

const roleVariables = ['db_app_username', 'db_migrations_username'] as const;

/**
 * Runs a role name's validation as `terraform plan` would, for the functions it is written with:
 * can(regex()), contains() and startswith(), joined by &&. Any other shape fails the test.
 */
function accepts(name: string, value: string): boolean {
  const conditions = validations(name);
  expect(conditions).toHaveLength(1);
  const body = /^\$\{([\s\S]*)\}$/.exec(conditions[0])?.[1] ?? '';
  const v = `var.${name}`;
  return body.split(' && ').every((term) => {
    const regex = /^can\(regex\(("(?:[^"\\]|\\.)*"), (var\.\w+)\)\)$/.exec(term);
    if (regex && regex[2] === v) return new RegExp(JSON.parse(regex[1]) as string).test(value);
    const contains = /^!contains\((\[[^\]]*\]), (var\.\w+)\)$/.exec(term);
    if (contains && contains[2] === v) return !(JSON.parse(contains[1]) as string[]).includes(value);
    const prefix = /^!startswith\((var\.\w+), ("[^"]*")\)$/.exec(term);
    if (prefix && prefix[1] === v) return !value.startsWith(JSON.parse(prefix[2]) as string);
    throw new Error(`cannot evaluate ${term}`);
  });
}

/** The precondition keeping the three database roles apart. */
function namesPrecondition(): Obj {
  const found = blocks(block(resource('aws_db_instance', 'this'), 'lifecycle'), 'precondition').filter((p) =>
    str(p.condition).includes('var.db_app_username'),
  );
  expect(found).toHaveLength(1);
  return found[0];
}

/** Whether `terraform plan` accepts these three names, as far as the precondition goes. */
function distinct(names: { app: string; migrations: string; master: string }): boolean {
  // lower() is the one function it uses, on the master user's name only (the others are lower case).
  const condition = str(namesPrecondition().condition);
  expect([...condition.matchAll(/lower\(([^)]*)\)/g)].map((m) => m[1])).toEqual(['var.db_username', 'var.db_username']);
  return (
    evaluate(condition.replace(/lower\((var\.db_username)\)/g, '$1'), {
      'var.db_app_username': names.app,
      'var.db_migrations_username': names.migrations,
      'var.db_username': names.master.toLowerCase(),
    }) === true
  );
}

describe('database role names', () => {
  it('default to taskoverflow_app and taskoverflow_migrations, apart from the master user', () => {
    expect(variable('db_app_username')).toMatchObject({ type: '${string}', default: 'taskoverflow_app' });
    expect(variable('db_migrations_username')).toMatchObject({
      type: '${string}',
      default: 'taskoverflow_migrations',
    });
    expect(variable('db_username').default).toBe('taskoverflow');
    for (const name of roleVariables) {
      expect(accepts(name, str(variable(name).default))).toBe(true);
      expect(str(variable(name).description)).toMatch(/db-roles task/);
    }
  });

  it.each([
    { value: 'app', accepted: true },
    { value: 'todo_app_2', accepted: true },
    { value: `a${'b'.repeat(62)}`, accepted: true }, // 63 characters, PostgreSQL's limit
    { value: `a${'b'.repeat(63)}`, accepted: false },
    { value: '', accepted: false },
    { value: '1app', accepted: false },
    { value: '_app', accepted: false },
    { value: 'app-user', accepted: false },
    { value: 'app user', accepted: false },
    { value: 'app;drop', accepted: false },
    // The db-roles task takes lower-case names only: a mixed-case one would fail there, not at plan time.
    { value: 'TaskOverflow_App', accepted: false },
    // Names RDS gives the master user's neighbours, and RDS's own roles.
    { value: 'rdsadmin', accepted: false },
    { value: 'rdsrepladmin', accepted: false },
    { value: 'rds_superuser', accepted: false },
    { value: 'rds_iam', accepted: false },
    // PostgreSQL's reserved role names.
    { value: 'pg_monitor', accepted: false },
    { value: 'pg_app', accepted: false },
    { value: 'public', accepted: false },
    { value: 'none', accepted: false },
  ])('accepts $value as a role name: $accepted', ({ value, accepted }) => {
    for (const name of roleVariables) expect({ name, accepted: accepts(name, value) }).toEqual({ name, accepted });
  });

  it("refuses what db_username's validation refuses, with its characters in lower case only", () => {
    const pattern = (name: string) => /can\(regex\("([^"]*)"/.exec(validations(name)[0])?.[1];
    expect(pattern('db_username')).toBe('^[a-zA-Z][a-zA-Z0-9_]{0,62}$');
    const reserved = JSON.parse(/contains\((\[[^\]]*\])/.exec(validations('db_username')[0])?.[1] ?? '[]') as string[];
    expect(reserved).toContain('rds_superuser');
    for (const name of roleVariables) {
      expect(pattern(name)).toBe('^[a-z][a-z0-9_]{0,62}$');
      for (const value of reserved)
        expect({ name, value, accepted: accepts(name, value) }).toEqual({ name, value, accepted: false });
    }
  });

  it.each([
    { app: 'taskoverflow_app', migrations: 'taskoverflow_migrations', master: 'taskoverflow', accepted: true },
    { app: 'api', migrations: 'owner', master: 'Admin', accepted: true },
    // The service as the master user: the very thing the roles are for.
    { app: 'taskoverflow', migrations: 'taskoverflow_migrations', master: 'taskoverflow', accepted: false },
    { app: 'taskoverflow_app', migrations: 'taskoverflow', master: 'taskoverflow', accepted: false },
    // PostgreSQL folds unquoted names to lower case.
    { app: 'taskoverflow', migrations: 'taskoverflow_migrations', master: 'TaskOverflow', accepted: false },
    { app: 'owner', migrations: 'owner', master: 'taskoverflow', accepted: false },
  ])('plans app $app, migrations $migrations, master $master: accepted $accepted', ({ accepted, ...names }) => {
    expect(distinct(names)).toBe(accepted);
  });

  it('names all three settings when it refuses them', () => {
    const message = str(namesPrecondition().error_message);
    for (const name of ['db_app_username', 'db_migrations_username', 'db_username']) {
      expect(message).toContain(`${name} (\${var.${name}}`);
    }
  });
});

describe('database role secrets', () => {
  const secrets = { db_app: '${local.name}/db-app-', db_migrations: '${local.name}/db-migrations-' };

  it('are two Secrets Manager secrets named after the service, encrypted like the others, restorable for a while', () => {
    for (const [id, prefix] of Object.entries(secrets)) {
      const secret = resource('aws_secretsmanager_secret', id);
      expect(secret).toMatchObject({
        name_prefix: prefix,
        kms_key_id: '${var.kms_key_arn}',
        recovery_window_in_days: '${var.db_secrets_recovery_window_days}',
      });
      // Always there: the service cannot start without them.
      expect(secret).not.toHaveProperty('count');
      expect(str(secret.description)).toMatch(/written by the db-roles task, never by Terraform/);
    }
    expect(variable('db_secrets_recovery_window_days')).toMatchObject({ type: '${number}', default: 7 });
    expect(validations('db_secrets_recovery_window_days')).toEqual([
      expect.stringMatching(/>= 7 && var\.db_secrets_recovery_window_days <= 30/),
    ]);
  });

  it('never have their value in Terraform, and are rotated by the db-roles task, not by a Lambda', () => {
    expect(resources('aws_secretsmanager_secret_version')).toEqual({});
    expect(resources('aws_secretsmanager_secret_rotation')).toEqual({});
    for (const id of Object.keys(secrets)) {
      const secret = resource('aws_secretsmanager_secret', id);
      for (const key of Object.keys(secret)) expect(key).not.toMatch(/secret_string|_wo(_version)?$|rotation/);
      // checkov's rotation check is skipped with that reason, inline.
      const text = tf().text['secrets.tf'];
      const body = text.slice(text.indexOf(`resource "aws_secretsmanager_secret" "${id}"`));
      expect(body.slice(0, body.indexOf('\n}\n'))).toMatch(
        /#checkov:skip=CKV2_AWS_57:Rotated by running the db-roles task/,
      );
    }
    // Only their ARNs are referenced, never a value.
    const references = strings([tf().resource, tf().data, tf().locals, tf().output]).filter((v) =>
      /aws_secretsmanager_secret\.db_(app|migrations)\b/.test(v),
    );
    expect(references.length).toBeGreaterThanOrEqual(8);
    for (const v of references) {
      for (const [attribute] of v.matchAll(/aws_secretsmanager_secret\.db_(app|migrations)\.\w+/g)) {
        expect(attribute).toMatch(/\.arn$/);
      }
    }
  });

  it('are output by ARN', () => {
    expect(tf().output.db_app_secret_arn.value).toBe('${aws_secretsmanager_secret.db_app.arn}');
    expect(tf().output.db_migrations_secret_arn.value).toBe('${aws_secretsmanager_secret.db_migrations.arn}');
  });
});

describe('the db-roles task definition', () => {
  const task = () => resource('aws_ecs_task_definition', 'db_roles');
  const definition = () => obj(local('db_roles_container_definition'));
  const service = () => obj(deref(local('container_definition')));
  const environment = () =>
    arr(deref(definition().environment)).map((e) => ({ name: str(obj(e).name), value: obj(e).value }));

  it('runs the setup-roles command of the service image once, on the smallest Fargate size, with no port', () => {
    expect(task()).toMatchObject({
      count: '${local.deploy_service ? 1 : 0}',
      family: '${local.name}-db-roles',
      requires_compatibilities: ['FARGATE'],
      network_mode: 'awsvpc',
      cpu: 256,
      memory: 512,
      container_definitions: '${jsonencode([local.db_roles_container_definition])}',
    });
    expect(arr(obj(local('fargate_memory_by_cpu'))['256'])).toContain(512);
    expect(block(task(), 'runtime_platform')).toEqual(
      block(resource('aws_ecs_task_definition', 'this'), 'runtime_platform'),
    );
    const d = definition();
    expect(d.image).toBe(service().image);
    expect(d.essential).toBe(true);
    expect(d.command).toEqual(['node', 'dist/libs/database/src/cli/setup-roles.js']);
    // The build writes <path>.ts to dist/<path>.js, as for the service's own CMD.
    expect(existsSync(path.join(repoRoot, 'libs/database/src/cli/setup-roles.ts'))).toBe(true);
    expect(readFileSync(path.join(repoRoot, 'docker/Dockerfile'), 'utf8')).toMatch(
      /^CMD \["node", "dist\/apps\/taskoverflow\/src\/main\.js"\]$/m,
    );
    expect(d).not.toHaveProperty('portMappings');
    expect(d).not.toHaveProperty('secrets');
  });

  it("logs in as the master user from its RDS-managed secret, with the service's database settings, to set up both roles", () => {
    const names = environment().map((e) => e.name);
    expect(names).toEqual([...names].sort());
    expect(Object.fromEntries(environment().map((e) => [e.name, e.value]))).toEqual({
      DB_HOST: '${aws_db_instance.this.address}',
      DB_PORT: '${tostring(aws_db_instance.this.port)}',
      DB_NAME: '${var.db_name}',
      DB_SSL: 'true',
      DB_SSL_CA_FILE: '/app/certs/rds-global-bundle.pem',
      DB_USER: '${var.db_username}',
      DB_PASSWORD_SECRET_ID: '${aws_db_instance.this.master_user_secret[0].secret_arn}',
      DB_APP_USER: '${var.db_app_username}',
      DB_APP_PASSWORD_SECRET_ID: '${aws_secretsmanager_secret.db_app.arn}',
      DB_MIGRATIONS_USER: '${var.db_migrations_username}',
      DB_MIGRATIONS_PASSWORD_SECRET_ID: '${aws_secretsmanager_secret.db_migrations.arn}',
    });
    // The same database, over TLS verified the same way, as the service; the same roles and secrets too.
    const serviceEnvironment = Object.fromEntries(containerEnvironment().map((e) => [e.name, e.value]));
    const mine = Object.fromEntries(environment().map((e) => [e.name, e.value]));
    for (const name of ['DB_HOST', 'DB_PORT', 'DB_NAME', 'DB_SSL', 'DB_SSL_CA_FILE']) {
      expect({ name, value: mine[name] }).toEqual({ name, value: serviceEnvironment[name] });
    }
    expect(mine.DB_APP_USER).toBe(serviceEnvironment.DB_USER);
    expect(mine.DB_APP_PASSWORD_SECRET_ID).toBe(serviceEnvironment.DB_PASSWORD_SECRET_ID);
    expect(mine.DB_MIGRATIONS_USER).toBe(serviceEnvironment.DB_MIGRATIONS_USER);
    expect(mine.DB_MIGRATIONS_PASSWORD_SECRET_ID).toBe(serviceEnvironment.DB_MIGRATIONS_PASSWORD_SECRET_ID);
  });

  it("runs read-only, as the image's unprivileged user, with every capability dropped, like the service", () => {
    const d = definition();
    expect(d.readonlyRootFilesystem).toBe(true);
    expect(d.user).toBe(service().user);
    expect(d.linuxParameters).toEqual({ capabilities: { drop: ['ALL'] } });
    for (const key of ['mountPoints', 'volumesFrom', 'privileged']) expect(d).not.toHaveProperty(key);
    expect(task()).not.toHaveProperty('volume');
  });

  it("logs into the service's log group under db-roles/, every line (blocking)", () => {
    const logging = obj(definition().logConfiguration);
    const serviceOptions = obj(obj(service().logConfiguration).options);
    expect(logging.logDriver).toBe('awslogs');
    expect(obj(logging.options)).toEqual({
      'awslogs-group': serviceOptions['awslogs-group'],
      'awslogs-region': serviceOptions['awslogs-region'],
      'awslogs-stream-prefix': 'db-roles',
      mode: 'blocking',
    });
    expect(serviceOptions['awslogs-stream-prefix']).not.toBe('db-roles');
  });

  it('is output as family:revision, null before image_tag is set', () => {
    expect(tf().output.db_roles_task_definition.value).toBe(
      '${local.deploy_service ? "${aws_ecs_task_definition.db_roles[0].family}:${aws_ecs_task_definition.db_roles[0].revision}" : null}',
    );
  });
});

/**
 * Renders the HCL quoted string starting at `text[at]` as Terraform would: each ${expression} replaced by
 * value(expression). Returns the string and the index after its closing quote.
 */
function renderString(text: string, at: number, value: (expression: string) => string): { out: string; end: number } {
  if (text[at] !== '"') throw new Error(`no string at ${text.slice(at, at + 40)}`);
  const escapes: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t' };
  let out = '';
  let i = at + 1;
  while (text[i] !== '"') {
    if (i >= text.length) throw new Error('unterminated string');
    if (text[i] === '\\') {
      if (!(text[i + 1] in escapes)) throw new Error(`unknown escape \\${text[i + 1]}`);
      out += escapes[text[i + 1]];
      i += 2;
    } else if (text.startsWith('$${', i)) {
      out += '${';
      i += 3;
    } else if (text.startsWith('${', i)) {
      const end = interpolationEnd(text, i + 2);
      out += value(text.slice(i + 2, end).trim());
      i = end + 1;
    } else {
      out += text[i];
      i += 1;
    }
  }
  return { out, end: i + 1 };
}

/** Index of the } closing an interpolation whose expression starts at `at`, strings in it skipped. */
function interpolationEnd(text: string, at: number): number {
  let depth = 0;
  for (let i = at; i < text.length; i += 1) {
    if (text[i] === '"') i = renderString(text, i, () => '').end - 1;
    else if (text[i] === '{') depth += 1;
    else if (text[i] === '}' && depth-- === 0) return i;
  }
  throw new Error(`unterminated interpolation in ${text.slice(at - 2, at + 40)}`);
}

describe('db_roles_command', () => {
  const sample: Record<string, string> = {
    'local.region': 'eu-west-1',
    'aws_ecs_cluster.this.name': 'taskoverflow',
    'aws_ecs_task_definition.db_roles[0].family': 'taskoverflow-db-roles',
    'aws_ecs_task_definition.db_roles[0].revision': '7',
    'join(",", local.service_subnet_ids)': 'subnet-0a,subnet-0b',
    'aws_security_group.service.id': 'sg-0123',
  };
  const arn = 'arn:aws:ecs:eu-west-1:123456789012:task/taskoverflow/0123abcd';

  /** The shell command, for the sample values and a value of local.assign_public_ip; and every expression it used. */
  function render(assignPublicIp: boolean): { command: string; used: Set<string> } {
    const used = new Set<string>();
    const value = (expression: string): string => {
      used.add(expression);
      if (expression === 'local.ecs_cli_cluster') {
        // A plain template of the cluster's options.
        return str(local('ecs_cli_cluster')).replace(/\$\{([^}]*)\}/g, (_, e: string) => value(e.trim()));
      }
      if (expression.startsWith('local.assign_public_ip ?')) {
        return str(evaluate(`\${${expression}}`, { 'local.assign_public_ip': assignPublicIp }) as string);
      }
      if (!(expression in sample)) throw new Error(`unexpected \${${expression}} in db_roles_command`);
      return sample[expression];
    };
    const text = str(tf().output.db_roles_command.value);
    const list = /^\$\{local\.deploy_service \? join\(" && ", \[([\s\S]*)\]\) : null\}$/.exec(text)?.[1];
    if (list === undefined) throw new Error(`db_roles_command is not a join(" && ", [...]) of steps: ${text}`);
    const steps: string[] = [];
    for (let i = 0; ;) {
      while (/[\s,]/.test(list[i] ?? '')) i += 1;
      if (i >= list.length) break;
      const { out, end } = renderString(list, i, value);
      steps.push(out);
      i = end;
    }
    return { command: steps.join(' && '), used };
  }

  /** Runs the command under sh with a stand-in aws CLI; returns its exit status, output and the aws calls. */
  function run(command: string, stub: { exitCode?: string; runTaskFails?: boolean }) {
    const dir = mkdtempSync(path.join(tmpdir(), 'db-roles-command-'));
    try {
      const log = path.join(dir, 'calls');
      writeFileSync(
        path.join(dir, 'aws'),
        [
          '#!/bin/sh',
          `{ printf '%s\\n' "$@"; echo --; } >> '${log}'`,
          'case "$2" in',
          `  run-task) [ -z "$RUN_TASK_FAILS" ] || exit 254; echo '${arn}' ;;`,
          '  wait) ;;',
          '  describe-tasks) echo "$EXIT_CODE" ;;',
          '  *) exit 64 ;;',
          'esac',
          '',
        ].join('\n'),
      );
      chmodSync(path.join(dir, 'aws'), 0o755);
      const result = spawnSync('sh', [], {
        input: command,
        encoding: 'utf8',
        env: {
          ...process.env,
          PATH: `${dir}${path.delimiter}${process.env.PATH ?? ''}`,
          EXIT_CODE: stub.exitCode ?? '0',
          RUN_TASK_FAILS: stub.runTaskFails ? '1' : '',
        },
      });
      const calls = existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('--\n')
            .filter(Boolean)
            .map((call) => call.split('\n').filter(Boolean))
        : [];
      return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("uses the service's cluster, subnets, security group and public IP setting, and nothing else", () => {
    const network = block(resource('aws_ecs_service', 'this'), 'network_configuration');
    expect(network).toEqual({
      subnets: '${local.service_subnet_ids}',
      security_groups: ['${aws_security_group.service.id}'],
      assign_public_ip: '${local.assign_public_ip}',
    });
    expect(resource('aws_ecs_service', 'this').cluster).toBe('${aws_ecs_cluster.this.arn}');
    expect(local('ecs_cli_cluster')).toBe('--region ${local.region} --cluster ${aws_ecs_cluster.this.name}');
    expect([...render(true).used].sort()).toEqual(
      [
        'aws_ecs_cluster.this.name',
        'aws_ecs_task_definition.db_roles[0].family',
        'aws_ecs_task_definition.db_roles[0].revision',
        'aws_security_group.service.id',
        'join(",", local.service_subnet_ids)',
        'local.assign_public_ip ? "ENABLED" : "DISABLED"',
        'local.ecs_cli_cluster',
        'local.region',
      ].sort(),
    );
    expect(str(tf().output.db_roles_command.description)).toMatch(/terraform output -raw db_roles_command \| sh/);
  });

  it.each([
    { mode: 'public-ip', private_tasks: false, enable_nat_gateway: false, assignPublicIp: 'ENABLED' },
    { mode: 'nat', private_tasks: false, enable_nat_gateway: true, assignPublicIp: 'DISABLED' },
    { mode: 'vpc-endpoints', private_tasks: true, enable_nat_gateway: false, assignPublicIp: 'DISABLED' },
  ])(
    'runs the task once in the $mode mode, waits for it to stop and exits with its exit code',
    ({ private_tasks, enable_nat_gateway, assignPublicIp }) => {
      const vars = { 'var.private_tasks': private_tasks, 'var.enable_nat_gateway': enable_nat_gateway };
      const inPrivateSubnets = evaluate(local('tasks_in_private_subnets'), vars);
      const publicIp = evaluate(local('assign_public_ip'), {
        ...vars,
        'local.tasks_in_private_subnets': inPrivateSubnets,
      });
      expect(typeof publicIp).toBe('boolean');
      const { command } = render(publicIp as boolean);

      const ok = run(command, { exitCode: '0' });
      expect(ok.stderr).toBe('');
      expect(ok.status).toBe(0);
      expect(ok.stdout).toContain(`db-roles task: ${arn}`);
      expect(ok.stdout).toContain('db-roles exit code: 0');
      const cluster = ['--region', 'eu-west-1', '--cluster', 'taskoverflow'];
      expect(ok.calls).toEqual([
        [
          'ecs',
          'run-task',
          ...cluster,
          '--launch-type',
          'FARGATE',
          '--task-definition',
          'taskoverflow-db-roles:7',
          '--network-configuration',
          `awsvpcConfiguration={subnets=[subnet-0a,subnet-0b],securityGroups=[sg-0123],assignPublicIp=${assignPublicIp}}`,
          '--query',
          'tasks[0].taskArn',
          '--output',
          'text',
        ],
        ['ecs', 'wait', 'tasks-stopped', ...cluster, '--tasks', arn],
        [
          'ecs',
          'describe-tasks',
          ...cluster,
          '--tasks',
          arn,
          '--query',
          'tasks[0].containers[0].exitCode',
          '--output',
          'text',
        ],
      ]);

      // A failed run fails the command; "None": the container never ran (e.g. the image could not be pulled).
      for (const exitCode of ['1', 'None']) {
        const failed = run(command, { exitCode });
        expect({ exitCode, status: failed.status }).toEqual({ exitCode, status: 1 });
        expect(failed.stdout).toContain(`db-roles exit code: ${exitCode}`);
      }
      // No task started: nothing to wait for.
      const refused = run(command, { runTaskFails: true });
      expect(refused.status).not.toBe(0);
      expect(refused.calls.map((call) => call[1])).toEqual(['run-task']);
    },
  );
});

describe('README.md', () => {
  it('tells how to set up the roles after the first apply, and how to rotate their passwords', () => {
    const readme = readFileSync(path.join(terraformDir, 'README.md'), 'utf8');
    const start = readme.indexOf('## Database roles');
    expect(start).toBeGreaterThan(0);
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    for (const text of [
      '`db_app_username`',
      '`db_migrations_username`',
      'terraform output -raw db_roles_command | sh',
      'rollout_command',
      'AWSPENDING',
      'AWSCURRENT',
    ]) {
      expect(section).toContain(text);
    }
    expect(section).toMatch(/rotate/i);
    expect(section).toMatch(/without\s+a\s+restart/);
  });
});
