import { parse } from '@cdktf/hcl2json';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  isObj,
  obj,
  arr,
  str,
  block,
  blocks,
  strings,
  entries,
  tf,
  resources,
  resource,
  local,
  deref,
  variable,
  validations,
  evaluate,
  terraformDir,
  useTerraformModule,
  type Obj,
} from './support/terraform-module';

/* What is reachable from where: security groups, subnets and the load balancer. */

useTerraformModule();

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
    // 443 only with a certificate (and an HTTPS listener); 80 not at all behind CloudFront.
    expect(resource('aws_vpc_security_group_ingress_rule', 'alb_https_ipv4').count).toBe('${local.https ? 1 : 0}');
    expect(local('https')).toBe('${var.certificate_arn != null}');
    for (const id of ['alb_http_ipv4', 'alb_http_ipv6']) {
      expect(resource('aws_vpc_security_group_ingress_rule', id).count).toBe('${var.enable_cloudfront ? 0 : 1}');
    }
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
      // Every ingress rule names a source: a security group, (ALB only) the internet, or CloudFront's prefix list.
      const fromCloudFront = body.prefix_list_id === '${data.aws_ec2_managed_prefix_list.cloudfront[0].id}';
      expect({ id, sourced: Boolean(body.referenced_security_group_id) || open(body) || fromCloudFront }).toEqual({
        id,
        sourced: true,
      });
      if (body.prefix_list_id !== undefined) expect({ id, fromCloudFront }).toEqual({ id, fromCloudFront: true });
    }
  });

  it('lets traffic out only where it must go: ALB to tasks, tasks to the database and to AWS APIs over HTTPS', () => {
    const egress = Object.values(resources('aws_vpc_security_group_egress_rule')).map((r) => ({
      from: r.security_group_id,
      to: r.referenced_security_group_id ?? r.cidr_ipv4 ?? r.cidr_ipv6 ?? r.prefix_list_id,
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
        // AWS APIs: anywhere on 443 (public IP or NAT), or only the VPC endpoints with private_tasks (private-tasks.spec.ts).
        { from: '${aws_security_group.service.id}', to: '0.0.0.0/0', port: 443, toPort: 443 },
        {
          from: '${aws_security_group.service.id}',
          to: '${aws_security_group.endpoints[0].id}',
          port: 443,
          toPort: 443,
        },
        {
          from: '${aws_security_group.service.id}',
          to: '${aws_vpc_endpoint.s3[0].prefix_list_id}',
          port: 443,
          toPort: 443,
        },
      ]),
    );
    expect(egress).toHaveLength(5); // the database and the endpoints initiate nothing
    for (const group of Object.values(resources('aws_security_group'))) {
      expect(group).not.toHaveProperty('ingress');
      expect(group).not.toHaveProperty('egress');
    }
  });

  it('has no port 22 (SSH) anywhere', () => {
    const ports = entries([tf().resource, tf().locals]).filter(([key]) => /port/i.test(key));
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
    for (const text of Object.values(tf().text)) expect(code(text)).not.toMatch(/\b(ssh|port\s*=\s*22)\b/i);
  });

  it('uses the default VPC by default, or a created one with public and private subnets', () => {
    expect(variable('create_vpc').default).toBe(false);
    expect(tf().data.aws_vpc.default.default).toBe(true);
    expect(tf().data.aws_vpc.default.count).toBe('${var.create_vpc ? 0 : 1}');
    expect(resource('aws_vpc', 'this').count).toBe('${var.create_vpc ? 1 : 0}');
    expect(resource('aws_subnet', 'public').count).toBe('${var.create_vpc ? var.az_count : 0}');
    expect(resource('aws_subnet', 'private')).toBeDefined();
    expect(resource('aws_nat_gateway', 'this').count).toBe('${local.create_nat_gateway ? 1 : 0}');
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

describe('the load balancer', () => {
  it('drops malformed headers, and writes access logs by default, to a bucket of its own unless one is given', () => {
    const lb = resource('aws_lb', 'this');
    expect(lb.drop_invalid_header_fields).toBe(true);
    expect(lb.enable_deletion_protection).toBe('${var.alb_deletion_protection}');
    const logs = blocks(obj(lb.dynamic), 'access_logs');
    expect(logs).toHaveLength(1);
    expect(logs[0].for_each).toBe('${var.enable_alb_access_logs ? [local.alb_access_logs_bucket] : []}');
    expect(obj(arr(logs[0].content)[0])).toEqual({
      bucket: '${access_logs.value}',
      prefix: '${local.name}',
      enabled: true,
    });
    expect(variable('enable_alb_access_logs')).toMatchObject({ type: '${bool}', default: true });
    expect(variable('alb_access_logs_bucket').default).toBeNull();
    expect(local('create_alb_logs_bucket')).toBe('${var.enable_alb_access_logs && var.alb_access_logs_bucket == null}');
    expect(local('alb_access_logs_bucket')).toBe(
      '${var.alb_access_logs_bucket != null ? var.alb_access_logs_bucket : one(aws_s3_bucket.alb_logs[*].id)}',
    );
    // ELB tests its write access when logging is turned on: the policy must be there first.
    expect(lb.depends_on).toEqual(['${aws_s3_bucket_policy.alb_logs}']);
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

describe('HTTPS whenever API keys are on', () => {
  const preconditions = () => blocks(block(resource('aws_lb_listener', 'http'), 'lifecycle'), 'precondition');
  const keysNeedHttps = () => {
    const found = preconditions().filter((p) => str(p.condition).includes('var.enable_api_keys'));
    expect(found).toHaveLength(1);
    return found[0];
  };

  it.each([
    { keys: true, certificate: false, cloudfront: false, accepted: false },
    { keys: true, certificate: true, cloudfront: false, accepted: true },
    { keys: true, certificate: false, cloudfront: true, accepted: true },
    { keys: false, certificate: false, cloudfront: false, accepted: true },
  ])(
    'plans API keys $keys with a certificate $certificate and CloudFront $cloudfront: accepted $accepted',
    ({ keys, certificate, cloudfront, accepted }) => {
      const bindings = {
        'var.enable_api_keys': keys,
        'local.https': certificate,
        'var.enable_cloudfront': cloudfront,
      };
      expect(evaluate(keysNeedHttps().condition, bindings)).toBe(accepted);
    },
  );

  it('passes with the settings of terraform.tfvars.example, so a copied example plans', async () => {
    const text = readFileSync(path.join(terraformDir, 'terraform.tfvars.example'), 'utf8');
    const example = (await parse('terraform.tfvars', text)) as Obj;
    const setting = (name: string) => (name in example ? example[name] : variable(name).default) as boolean;
    const bindings = {
      'var.enable_api_keys': setting('enable_api_keys'),
      'local.https': 'certificate_arn' in example,
      'var.enable_cloudfront': setting('enable_cloudfront'),
    };
    expect(bindings['var.enable_api_keys']).toBe(true);
    for (const check of preconditions()) expect(evaluate(check.condition, bindings)).toBe(true);
  });

  it('says how to fix a refused plan: a certificate, CloudFront, or no keys', () => {
    const message = str(keysNeedHttps().error_message);
    for (const fix of ['certificate_arn', 'enable_cloudfront = true', 'enable_api_keys = false']) {
      expect(message).toContain(fix);
    }
    expect(variable('enable_cloudfront')).toMatchObject({ type: '${bool}', default: false });
  });

  it('refuses a certificate together with CloudFront (whose HTTP origin would be redirected)', () => {
    const both = preconditions().find((p) => str(p.condition).includes('var.enable_cloudfront && local.https'));
    expect(both).toBeDefined();
    for (const [cloudfront, https] of [
      [true, true],
      [true, false],
      [false, true],
    ]) {
      expect(evaluate(both!.condition, { 'var.enable_cloudfront': cloudfront, 'local.https': https })).toBe(
        !(cloudfront && https),
      );
    }
  });

  it('puts CloudFront in front of the ALB: HTTPS for viewers, no caching, every method and header passed on', () => {
    const distribution = resource('aws_cloudfront_distribution', 'this');
    expect(distribution.count).toBe('${var.enable_cloudfront ? 1 : 0}');
    expect(block(distribution, 'viewer_certificate')).toEqual({ cloudfront_default_certificate: true });
    const origin = block(distribution, 'origin');
    expect(origin.domain_name).toBe('${aws_lb.this.dns_name}');
    const behaviour = block(distribution, 'default_cache_behavior');
    expect(behaviour.target_origin_id).toBe(origin.origin_id);
    expect(behaviour.viewer_protocol_policy).toBe('redirect-to-https');
    expect(arr(behaviour.allowed_methods).sort()).toEqual(
      ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'].sort(),
    );
    // Managed policies, looked up by name: nothing cached, everything (Authorization included) forwarded.
    expect(behaviour.cache_policy_id).toBe('${data.aws_cloudfront_cache_policy.caching_disabled[0].id}');
    expect(tf().data.aws_cloudfront_cache_policy.caching_disabled.name).toBe('Managed-CachingDisabled');
    expect(behaviour.origin_request_policy_id).toBe('${data.aws_cloudfront_origin_request_policy.all_viewer[0].id}');
    expect(tf().data.aws_cloudfront_origin_request_policy.all_viewer.name).toBe('Managed-AllViewer');
    expect(behaviour).not.toHaveProperty('forwarded_values');
  });

  it('reaches the ALB over HTTP only from CloudFront: port 80 admits its origin-facing prefix list, nothing else', () => {
    const origin = block(block(resource('aws_cloudfront_distribution', 'this'), 'origin'), 'custom_origin_config');
    expect(origin).toMatchObject({ origin_protocol_policy: 'http-only', http_port: 80 });
    expect(tf().data.aws_ec2_managed_prefix_list.cloudfront).toMatchObject({
      name: 'com.amazonaws.global.cloudfront.origin-facing',
      count: '${var.enable_cloudfront ? 1 : 0}',
    });
    const fromCloudFront = resource('aws_vpc_security_group_ingress_rule', 'alb_http_from_cloudfront');
    expect(fromCloudFront).toMatchObject({
      count: '${var.enable_cloudfront ? 1 : 0}',
      security_group_id: '${aws_security_group.alb.id}',
      from_port: 80,
      to_port: 80,
      prefix_list_id: '${data.aws_ec2_managed_prefix_list.cloudfront[0].id}',
    });
    // The internet's rules on 80 are the exact complement; 443 needs a certificate, refused with CloudFront.
    for (const id of ['alb_http_ipv4', 'alb_http_ipv6']) {
      const count = resource('aws_vpc_security_group_ingress_rule', id).count;
      for (const cloudfront of [true, false]) {
        expect(evaluate(count, { 'var.enable_cloudfront': cloudfront })).toBe(cloudfront ? 0 : 1);
      }
    }
    // Existing deployments keep their rules (now counted) instead of replacing them.
    expect(tf().moved).toEqual(
      expect.arrayContaining([
        {
          from: '${aws_vpc_security_group_ingress_rule.alb_http_ipv4}',
          to: '${aws_vpc_security_group_ingress_rule.alb_http_ipv4[0]}',
        },
      ]),
    );
  });

  it('gives clients the HTTPS URL: endpoint_url is the CloudFront URL when CloudFront is on', () => {
    const endpoint = str(tf().output.endpoint_url.value);
    expect(endpoint).toMatch(
      /^\$\{var\.enable_cloudfront \? "https:\/\/\$\{aws_cloudfront_distribution\.this\[0\]\.domain_name\}" : /,
    );
    expect(tf().output.cloudfront_url.value).toBe(
      '${var.enable_cloudfront ? "https://${aws_cloudfront_distribution.this[0].domain_name}" : null}',
    );
  });
});

describe('the access logs bucket', () => {
  const bucketResource = (type: string) => {
    const body = resource(type, 'alb_logs');
    expect({ type, count: body.count }).toEqual({ type, count: '${local.create_alb_logs_bucket ? 1 : 0}' });
    if (type !== 'aws_s3_bucket') expect(body.bucket).toBe('${aws_s3_bucket.alb_logs[0].id}');
    return body;
  };

  it('is encrypted with SSE-S3, the only encryption ALB log delivery supports', () => {
    const rule = block(bucketResource('aws_s3_bucket_server_side_encryption_configuration'), 'rule');
    expect(block(rule, 'apply_server_side_encryption_by_default')).toEqual({ sse_algorithm: 'AES256' });
  });

  it('blocks all public access and disables ACLs', () => {
    expect(bucketResource('aws_s3_bucket_public_access_block')).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(block(bucketResource('aws_s3_bucket_ownership_controls'), 'rule')).toEqual({
      object_ownership: 'BucketOwnerEnforced',
    });
  });

  it('expires logs after alb_access_logs_retention_days (90 by default), and is emptied on destroy only when asked', () => {
    const rule = block(bucketResource('aws_s3_bucket_lifecycle_configuration'), 'rule');
    expect(rule.status).toBe('Enabled');
    expect(block(rule, 'expiration')).toEqual({ days: '${var.alb_access_logs_retention_days}' });
    expect(variable('alb_access_logs_retention_days').default).toBe(90);
    expect(validations('alb_access_logs_retention_days')).toHaveLength(1);
    const bucket = bucketResource('aws_s3_bucket');
    expect(bucket.force_destroy).toBe('${var.alb_access_logs_force_destroy}');
    expect(variable('alb_access_logs_force_destroy').default).toBe(false);
    expect(str(bucket.bucket_prefix)).toMatch(/^\$\{local\.name\}-/);
  });

  it("lets only the Region's Elastic Load Balancing account write, under this ALB's prefix, and only over TLS", () => {
    expect(bucketResource('aws_s3_bucket_policy').policy).toBe('${data.aws_iam_policy_document.alb_logs[0].json}');
    const [write, tls, ...rest] = blocks(tf().data.aws_iam_policy_document.alb_logs, 'statement');
    expect(rest).toEqual([]);
    expect(write.effect ?? 'Allow').toBe('Allow');
    expect(write.actions).toEqual(['s3:PutObject']);
    expect(write.resources).toEqual(['${aws_s3_bucket.alb_logs[0].arn}/${local.name}/AWSLogs/${local.account_id}/*']);
    expect(block(write, 'principals')).toEqual({
      type: 'AWS',
      identifiers: ['${data.aws_elb_service_account.this[0].arn}'],
    });
    expect(tls.effect).toBe('Deny');
    expect(block(tls, 'condition')).toEqual({ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] });
    // The ALB's prefix is the one the policy allows.
    const logs = blocks(obj(resource('aws_lb', 'this').dynamic), 'access_logs');
    expect(obj(arr(logs[0].content)[0]).prefix).toBe('${local.name}');
  });
});

describe('AWS WAF', () => {
  const acl = () => resource('aws_wafv2_web_acl', 'this');
  const rules = () => blocks(acl(), 'rule');

  it('is optional (off by default), regional, and associated with the ALB', () => {
    expect(variable('enable_waf')).toMatchObject({ type: '${bool}', default: false });
    expect(acl()).toMatchObject({ count: '${var.enable_waf ? 1 : 0}', scope: 'REGIONAL' });
    expect(block(acl(), 'default_action')).toHaveProperty('allow');
    expect(resource('aws_wafv2_web_acl_association', 'this')).toMatchObject({
      count: '${var.enable_waf ? 1 : 0}',
      resource_arn: '${aws_lb.this.arn}',
      web_acl_arn: '${aws_wafv2_web_acl.this[0].arn}',
    });
  });

  it('blocks a client IP over waf_rate_limit_per_5_minutes (at least 100)', () => {
    const rate = rules().find((r) => block(r, 'statement').rate_based_statement !== undefined);
    expect(rate).toBeDefined();
    expect(block(rate!, 'action')).toHaveProperty('block');
    expect(block(block(rate!, 'statement'), 'rate_based_statement')).toMatchObject({
      limit: '${var.waf_rate_limit_per_5_minutes}',
      evaluation_window_sec: 300,
      aggregate_key_type: 'IP',
    });
    expect(variable('waf_rate_limit_per_5_minutes').default).toBeGreaterThanOrEqual(100);
    expect(validations('waf_rate_limit_per_5_minutes')).toEqual([
      expect.stringContaining('var.waf_rate_limit_per_5_minutes >= 100'),
    ]);
  });

  it("applies AWS's Known bad inputs managed rule group", () => {
    const managed = rules()
      .map((r) => block(r, 'statement').managed_rule_group_statement)
      .filter(Boolean);
    expect(managed.map((m) => obj(arr(m)[0]))).toEqual([
      { vendor_name: 'AWS', name: 'AWSManagedRulesKnownBadInputsRuleSet' },
    ]);
  });

  it('publishes metrics and sampled requests for the ACL and every rule', () => {
    for (const body of [acl(), ...rules()]) {
      expect(block(body, 'visibility_config')).toMatchObject({
        cloudwatch_metrics_enabled: true,
        sampled_requests_enabled: true,
      });
    }
    const priorities = rules().map((r) => r.priority);
    expect(new Set(priorities).size).toBe(priorities.length);
  });

  it('is refused behind CloudFront, where it would see CloudFront addresses instead of clients', () => {
    const [check] = blocks(block(acl(), 'lifecycle'), 'precondition');
    expect(evaluate(check.condition, { 'var.enable_cloudfront': true })).toBe(false);
    expect(evaluate(check.condition, { 'var.enable_cloudfront': false })).toBe(true);
  });
});
