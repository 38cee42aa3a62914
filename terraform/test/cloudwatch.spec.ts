import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  isObj,
  obj,
  arr,
  str,
  block,
  blocks,
  resources,
  resource,
  local,
  variable,
  validations,
  evaluate,
  Ref,
  tf,
  terraformDir,
  useTerraformModule,
  type Json,
} from './support/terraform-module';

/* CloudWatch: the log group, metric filters, alarms and the dashboard. */

/** Retention periods CloudWatch Logs accepts (PutRetentionPolicy), plus 0 = never expire. */
const CLOUDWATCH_RETENTION_DAYS = [
  0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

useTerraformModule();

const templatePath = path.join(terraformDir, 'templates', 'dashboard.json.tftpl');

/**
 * The dashboard body: templatefile()'s arguments as written in cloudwatch.tf,
 * and the template rendered with "<name>" for each, parsed as JSON. Only the
 * two forms the template uses are rendered; any other template syntax fails.
 */
function renderDashboard(): { variables: Record<string, string>; placeholders: Set<string>; dashboard: Json } {
  const body = str(resource('aws_cloudwatch_dashboard', 'this').dashboard_body);
  const call = /^\$\{templatefile\("\$\{path\.module\}\/templates\/dashboard\.json\.tftpl", \{([^}]*)\}\)\}$/.exec(
    body,
  );
  if (!call) throw new Error(`dashboard_body is not the dashboard template: ${body}`);
  const variables = Object.fromEntries([...call[1].matchAll(/^\s*(\w+)\s*=\s*(\S+)\s*$/gm)].map((m) => [m[1], m[2]]));
  const template = readFileSync(templatePath, 'utf8');
  const placeholders = new Set<string>();
  const rendered = template.replace(/\$\{(?:jsonencode\((\w+)\)|(\w+))\}/g, (_, encoded?: string, raw?: string) => {
    const name = (encoded ?? raw)!;
    placeholders.add(name);
    return encoded ? JSON.stringify(`<${name}>`) : `<${name}>`;
  });
  expect(rendered).not.toMatch(/[$%]\{/);
  return { variables, placeholders, dashboard: JSON.parse(rendered) as Json };
}

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
    const widgets = arr(obj(renderDashboard().dashboard).widgets).map((w) => obj(w));
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

  it('fills every name in the dashboard template from the module, as JSON strings', () => {
    const { variables, placeholders, dashboard } = renderDashboard();
    expect(Object.keys(variables).sort()).toEqual([...placeholders].sort());
    expect(variables).toMatchObject({
      region: 'local.region',
      load_balancer: 'local.alb_dimension',
      target_group: 'local.tg_dimension',
      log_group: 'aws_cloudwatch_log_group.service.name',
    });
    const text = JSON.stringify(dashboard);
    for (const name of placeholders) expect(text).toContain(`<${name}>`);
    const log = arr(obj(dashboard).widgets)
      .map((w) => obj(obj(w).properties))
      .find((p) => p.query !== undefined);
    expect(str(log?.query)).toMatch(/^SOURCE '<log_group>' \| filter message = "Request finished" \|/);
  });

  it('alarms on the target 5XX rate, p99 latency and unhealthy targets', () => {
    const list = Object.values(resources('aws_cloudwatch_metric_alarm'));

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
  });

  it('points every alarm, old and new, at the alarm topic when it fires and when it recovers', () => {
    const alarms = Object.entries(resources('aws_cloudwatch_metric_alarm'));
    expect(alarms.map(([id]) => id).sort()).toEqual([
      'db_free_storage',
      'p99_latency',
      'requests',
      'target_5xx_rate',
      'unhealthy_hosts',
    ]);
    for (const [id, alarm] of alarms) {
      expect({ id, alarm: alarm.alarm_actions, ok: alarm.ok_actions }).toEqual({
        id,
        alarm: '${local.alarm_actions}',
        ok: '${local.alarm_actions}',
      });
    }
    expect(local('alarm_actions')).toEqual(['${local.alarm_topic_arn}']);
    // The output names every alarm resource.
    const names = str(tf().output.alarm_names.value);
    for (const [id] of alarms) {
      expect(names).toMatch(new RegExp(`aws_cloudwatch_metric_alarm\\.${id}\\b`));
    }
    expect(names).toContain('[for alarm in aws_cloudwatch_metric_alarm.requests : alarm.alarm_name]');
  });
});

describe('the alarm topic', () => {
  it.each([
    { given: null, created: true, topic: 'aws_sns_topic.alarms[0].arn' },
    { given: 'arn:aws:sns:us-east-1:123456789012:alerts', created: false, topic: null },
  ])('is created, encrypted, unless alarm_sns_topic_arn is given ($given)', ({ given, created, topic }) => {
    expect(variable('alarm_sns_topic_arn').default).toBeNull();
    const bindings = { 'var.alarm_sns_topic_arn': given, 'var.kms_key_arn': null };
    expect(evaluate(local('create_alarm_topic'), bindings)).toBe(created);
    const withTopic = { ...bindings, 'local.create_alarm_topic': created };
    expect(evaluate(resource('aws_sns_topic', 'alarms').count, withTopic)).toBe(created ? 1 : 0);
    // The given topic is used instead, not as well: one notification per alarm change.
    expect(evaluate(local('alarm_topic_arn'), withTopic)).toEqual(topic === null ? given : new Ref(topic));
  });

  it("is encrypted with a customer managed key CloudWatch may use (aws/sns would silence every alarm), or kms_key_arn's", () => {
    const topic = resource('aws_sns_topic', 'alarms');
    expect(topic.kms_master_key_id).toBe(
      '${local.create_alarm_topic_key ? aws_kms_key.alarms[0].arn : var.kms_key_arn}',
    );
    expect(local('create_alarm_topic_key')).toBe('${local.create_alarm_topic && var.kms_key_arn == null}');
    const key = resource('aws_kms_key', 'alarms');
    expect(key.count).toBe('${local.create_alarm_topic_key ? 1 : 0}');
    expect(key.enable_key_rotation).toBe(true);
    // jsonencode({...}) as hcl2json writes it: the CloudWatch statement's principal and actions.
    const policy = str(key.policy);
    expect(policy).toMatch(/Principal\s*=\s*\{\s*Service\s*=\s*"cloudwatch\.amazonaws\.com"\s*\}/);
    expect(policy).toMatch(/Action\s*=\s*\["kms:Decrypt", "kms:GenerateDataKey\*"\]/);
    expect(policy).toMatch(/"aws:SourceAccount"\s*=\s*local\.account_id/);
    expect(policy).not.toMatch(/Principal\s*=\s*"\*"|AWS\s*=\s*"\*"/);
    expect(str(variable('kms_key_arn').description)).toContain('cloudwatch.amazonaws.com');
  });

  it('subscribes alarm_email, validated as an address, when given', () => {
    expect(variable('alarm_email')).toMatchObject({ type: '${string}', default: null });
    const subscription = resource('aws_sns_topic_subscription', 'alarm_email');
    expect(subscription).toMatchObject({
      count: '${var.alarm_email == null ? 0 : 1}',
      topic_arn: '${local.alarm_topic_arn}',
      protocol: 'email',
      endpoint: '${var.alarm_email}',
    });
    const [condition] = validations('alarm_email');
    const pattern = /regex\("(.+)", var\.alarm_email\)/.exec(condition)?.[1];
    expect(pattern).toBeDefined();
    const address = new RegExp(JSON.parse(`"${pattern!}"`) as string);
    for (const good of ['sre@example.com', 'on-call+taskoverflow@ops.example.co.uk']) expect(good).toMatch(address);
    for (const bad of ['sre', 'sre@', '@example.com', 'sre@example', 'a b@example.com'])
      expect(bad).not.toMatch(address);
  });

  it('is an output, for more subscriptions', () => {
    expect(tf().output.alarm_topic_arn.value).toBe('${local.alarm_topic_arn}');
  });
});

describe("alarms from the service's log", () => {
  const expected = {
    unauthorized: {
      pattern: '{ $.message = "Request finished" && $.status_code = 401 }',
      variable: 'alarm_unauthorized_per_minute',
    },
    rate_limited: {
      pattern: '{ $.message = "Request finished" && $.status_code = 429 }',
      variable: 'alarm_rate_limited_per_minute',
    },
    deletes: {
      pattern:
        '{ $.message = "Request finished" && $.method = "DELETE" && $.status_code >= 200 && $.status_code < 300 }',
      variable: 'alarm_deletes_per_minute',
    },
  };

  it('count 401s, 429s and successful DELETEs from the Request finished lines, in a namespace per service', () => {
    const metrics = obj(local('log_metrics'));
    expect(Object.keys(metrics).sort()).toEqual(Object.keys(expected).sort());
    for (const [key, { pattern, variable: name }] of Object.entries(expected)) {
      expect({ key, pattern: obj(metrics[key]).pattern }).toEqual({ key, pattern });
      expect({ key, threshold: obj(metrics[key]).threshold }).toEqual({ key, threshold: `\${var.${name}}` });
      expect(variable(name).type).toBe('${number}');
      expect(variable(name).default).toBeGreaterThanOrEqual(1);
      expect(validations(name)).toHaveLength(1);
    }
    const filter = resource('aws_cloudwatch_log_metric_filter', 'requests');
    expect(filter).toMatchObject({
      for_each: '${local.log_metrics}',
      log_group_name: '${aws_cloudwatch_log_group.service.name}',
      pattern: '${each.value.pattern}',
    });
    expect(block(filter, 'metric_transformation')).toMatchObject({
      name: '${each.value.metric_name}',
      namespace: '${local.metric_namespace}',
      value: '1',
    });
    expect(local('metric_namespace')).toBe('TaskOverflow/${local.name}');
  });

  it('alarm on each count per minute above its threshold in 3 of 5 minutes, silent without traffic', () => {
    const alarm = resource('aws_cloudwatch_metric_alarm', 'requests');
    expect(alarm).toMatchObject({
      for_each: '${local.log_metrics}',
      namespace: '${local.metric_namespace}',
      metric_name: '${aws_cloudwatch_log_metric_filter.requests[each.key].metric_transformation[0].name}',
      statistic: 'Sum',
      period: 60,
      comparison_operator: 'GreaterThanThreshold',
      threshold: '${each.value.threshold}',
      evaluation_periods: 5,
      datapoints_to_alarm: 3,
      treat_missing_data: 'notBreaching',
    });
  });
});

describe('the database free storage alarm', () => {
  it('fires below alarm_db_free_storage_bytes, 10 % of db_allocated_storage in bytes by default', () => {
    const alarm = resource('aws_cloudwatch_metric_alarm', 'db_free_storage');
    expect(alarm).toMatchObject({
      namespace: 'AWS/RDS',
      metric_name: 'FreeStorageSpace',
      dimensions: { DBInstanceIdentifier: '${aws_db_instance.this.identifier}' },
      statistic: 'Minimum',
      comparison_operator: 'LessThanThreshold',
      threshold: '${local.db_free_storage_alarm_bytes}',
    });
    expect(variable('alarm_db_free_storage_bytes')).toMatchObject({ type: '${number}', default: null });
    expect(local('db_free_storage_alarm_bytes')).toBe(
      '${coalesce(var.alarm_db_free_storage_bytes, floor(var.db_allocated_storage * 1073741824 / 10))}',
    );
    // 20 GiB (the default) -> 2 GiB.
    expect(Math.floor((Number(variable('db_allocated_storage').default) * 1073741824) / 10)).toBe(2147483648);
  });
});
