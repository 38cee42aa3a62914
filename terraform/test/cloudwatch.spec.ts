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
