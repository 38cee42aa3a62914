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
