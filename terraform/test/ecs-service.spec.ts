import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_VARIABLES } from '../../apps/taskoverflow/src/config/app.config';
import {
  obj,
  str,
  block,
  resource,
  local,
  deref,
  variable,
  validations,
  containerEnvironment,
  containerSecrets,
  evaluate,
  terraformDir,
  repoRoot,
  tf,
  useTerraformModule,
  type Json,
} from './support/terraform-module';

/* The ECS Fargate service: task sizing, the container definition, autoscaling and the image. */

/**
 * Every environment variable the service reads, from its configuration schema:
 * apps/taskoverflow/src/config/app.config.ts (PORT, HOST, SHUTDOWN_TIMEOUT_MS,
 * WEB_CONCURRENCY), apps/taskoverflow/src/config/http.config.ts (timeouts,
 * TRUST_PROXY_HOPS, CORS_ORIGINS, RATE_LIMIT_*),
 * apps/taskoverflow/src/auth/api-keys.config.ts (API_KEYS),
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
  'API_KEYS',
  'TODOS_LIST_CACHE',
  'DATABASE_URL',
  'DB_HOST',
  'DB_PORT',
  'DB_NAME',
  'DB_USER',
  'DB_PASSWORD',
  'DB_PASSWORD_SECRET_ID',
  'DB_MIGRATIONS_USER',
  'DB_MIGRATIONS_PASSWORD',
  'DB_MIGRATIONS_PASSWORD_SECRET_ID',
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
  'LOG_REQUEST_START',
  'LOG_SQL',
  'LOG_SQL_PARAMETERS',
  'LOG_METRICS_INTERVAL_MS',
  'SLOW_QUERY_MS',
  'CLOUDWATCH_LOG_GROUP',
  'CLOUDWATCH_LOG_STREAM',
  'SERVICE_VERSION',
];
/** What the deployment must set on every task (the service reads both roles' passwords from their secrets). */
const REQUIRED_ENVIRONMENT = [
  'PORT',
  'HOST',
  'DB_HOST',
  'DB_PORT',
  'DB_NAME',
  'DB_USER',
  'DB_PASSWORD_SECRET_ID',
  'DB_MIGRATIONS_USER',
  'DB_MIGRATIONS_PASSWORD_SECRET_ID',
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

useTerraformModule();

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
    // NODE_OPTIONS is Node's own, the heap setting measured in docs/capacity.md.
    for (const name of names) expect([...SERVICE_VARIABLES, 'NODE_OPTIONS']).toContain(name);
    expect(names).toEqual(expect.arrayContaining(REQUIRED_ENVIRONMENT));
    expect(variable('node_options').default).toBe('--max-semi-space-size=8');
    const env = Object.fromEntries(containerEnvironment().map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      PORT: '${tostring(local.container_port)}',
      HOST: '0.0.0.0',
      DB_HOST: '${aws_db_instance.this.address}',
      DB_PORT: '${tostring(aws_db_instance.this.port)}',
      DB_NAME: '${var.db_name}',
      // Its own roles, never the master user (db_username).
      DB_USER: '${var.db_app_username}',
      DB_PASSWORD_SECRET_ID: '${aws_secretsmanager_secret.db_app.arn}',
      DB_MIGRATIONS_USER: '${var.db_migrations_username}',
      DB_MIGRATIONS_PASSWORD_SECRET_ID: '${aws_secretsmanager_secret.db_migrations.arn}',
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

  it('gives the container only service variables through secrets too', () => {
    const names = containerSecrets().map((e) => e.name);
    // The database passwords only with LabRole (secrets.spec.ts).
    expect(names.sort()).toEqual(['API_KEYS', 'DB_MIGRATIONS_PASSWORD', 'DB_PASSWORD']);
    for (const name of names) expect(SERVICE_VARIABLES).toContain(name);
  });

  it('limits requests per client IP by default (rate_limit_max, per minute), leaving RATE_LIMIT_MAX out when 0', () => {
    expect(variable('rate_limit_max')).toMatchObject({ type: '${number}', default: 1200 });
    expect(validations('rate_limit_max')).toEqual([expect.stringContaining('var.rate_limit_max >= 0')]);
    // Whoever load-tests from one host is told to raise it or turn it off.
    expect(str(variable('rate_limit_max').description)).toMatch(/load test.*raise it, or set 0/i);
    expect(local('container_environment_rate_limit')).toEqual([
      { name: 'RATE_LIMIT_MAX', value: '${tostring(var.rate_limit_max)}' },
      { name: 'RATE_LIMIT_WINDOW_MS', value: '60000' },
    ]);
    // In the environment only while the condition holds, i.e. for a limit above 0.
    const [, condition] =
      /\n\s*(.+) \? local\.container_environment_rate_limit : \[\],\n/.exec(str(local('container_environment'))) ?? [];
    expect(condition).toBe('var.rate_limit_max > 0');
    for (const max of [0, 1, 1200]) {
      expect({ max, set: evaluate(`\${${condition}}`, { 'var.rate_limit_max': max }) }).toEqual({ max, set: max > 0 });
    }
  });

  it('trusts exactly the proxies in front of the tasks for the client address: the ALB, and CloudFront with it', () => {
    const hops = containerEnvironment().find((e) => e.name === 'TRUST_PROXY_HOPS');
    expect(hops?.value).toBe('${tostring(var.enable_cloudfront ? 2 : 1)}');
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
    // One target-tracking policy per entry of local.scaling_policies, each.value filled in.
    const policy = resource('aws_appautoscaling_policy', 'target_tracking');
    expect(policy.for_each).toBe(
      '${{ for signal, policy in local.scaling_policies : signal => policy if local.autoscaling }}',
    );
    const config = block(policy, 'target_tracking_scaling_policy_configuration');
    expect(policy.policy_type).toBe('TargetTrackingScaling');
    expect(config.target_value).toBe('${each.value.target_value}');
    expect(block(config, 'predefined_metric_specification')).toEqual({
      predefined_metric_type: '${each.value.metric_type}',
      resource_label: '${each.value.resource_label}',
    });
    expect(obj(local('scaling_policies'))).toEqual({
      cpu: {
        name: 'cpu-target',
        metric_type: 'ECSServiceAverageCPUUtilization',
        resource_label: null,
        target_value: '${var.cpu_target_percent}',
      },
      requests: {
        name: 'requests-per-target',
        metric_type: 'ALBRequestCountPerTarget',
        resource_label: '${aws_lb.this.arn_suffix}/${aws_lb_target_group.this.arn_suffix}',
        target_value: '${var.requests_per_target}',
      },
    });
    const bounds = block(block(resource('terraform_data', 'scaling_bounds'), 'lifecycle'), 'precondition');
    expect(bounds.condition).toBe('${var.min_tasks <= var.max_tasks}');
  });

  it('keeps the policies of deployments made when each signal was its own resource', () => {
    expect(tf().moved).toEqual(
      expect.arrayContaining([
        { from: '${aws_appautoscaling_policy.cpu[0]}', to: '${aws_appautoscaling_policy.target_tracking["cpu"]}' },
        {
          from: '${aws_appautoscaling_policy.requests[0]}',
          to: '${aws_appautoscaling_policy.target_tracking["requests"]}',
        },
      ]),
    );
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
    const file = path.join(terraformDir, 'scripts/push-image.sh');
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
      ['aws_ecs_task_definition', 'db_roles'],
      ['aws_ecs_service', 'this'],
    ]) {
      expect(resource(type, name).count).toBe('${local.deploy_service ? 1 : 0}');
    }
  });
});
