import { parse } from '@cdktf/hcl2json';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  arr,
  str,
  block,
  blocks,
  tf,
  resources,
  resource,
  local,
  variable,
  evaluate,
  Ref,
  terraformDir,
  useTerraformModule,
  type Obj,
  type Value,
} from './support/terraform-module';

/* private_tasks: tasks in private subnets reaching AWS only through VPC endpoints, never the internet. */

useTerraformModule();

const interfaceServices = ['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager'];

/** The task network locals for a combination of settings, as `terraform plan` would compute them. */
function tasksNetwork(settings: { private_tasks: boolean; enable_nat_gateway: boolean }) {
  const vars = { 'var.private_tasks': settings.private_tasks, 'var.enable_nat_gateway': settings.enable_nat_gateway };
  const inPrivateSubnets = evaluate(local('tasks_in_private_subnets'), vars);
  const bindings = { ...vars, 'local.tasks_in_private_subnets': inPrivateSubnets };
  const subnets = evaluate(local('service_subnet_ids'), bindings);
  return {
    assignPublicIp: evaluate(local('assign_public_ip'), bindings),
    subnets: subnets instanceof Ref ? subnets.text : subnets,
    natGateway: evaluate(local('create_nat_gateway'), bindings),
    mode: evaluate(local('tasks_network_mode'), bindings),
  };
}

/** Whether a resource written with `count = <conditional>` exists for these bindings (no count: always). */
const exists = (body: Obj, bindings: Record<string, Value>): boolean =>
  body.count === undefined ? true : evaluate(body.count, bindings) === 1;

describe('private tasks (private_tasks)', () => {
  it('is an option, off by default', () => {
    expect(variable('private_tasks')).toMatchObject({ type: '${bool}', default: false });
    expect(str(variable('private_tasks').description)).toMatch(/VPC endpoints/);
  });

  it('runs the tasks in the private subnets without a public IP, and adds no NAT gateway', () => {
    const service = block(resource('aws_ecs_service', 'this'), 'network_configuration');
    expect(service.subnets).toBe('${local.service_subnet_ids}');
    expect(service.assign_public_ip).toBe('${local.assign_public_ip}');
    expect(tasksNetwork({ private_tasks: true, enable_nat_gateway: false })).toEqual({
      assignPublicIp: false,
      subnets: 'local.private_subnet_ids',
      natGateway: false,
      mode: 'vpc-endpoints',
    });
    // The module's private subnets exist in either VPC (added to the default VPC too) ...
    expect(local('private_subnet_ids')).toBe('${aws_subnet.private[*].id}');
    expect(resource('aws_subnet', 'private').count).toBe('${var.az_count}');
    // ... on a route table whose only route out is the NAT gateway's, absent here.
    expect(resource('aws_route', 'private_nat').count).toBe('${local.create_nat_gateway ? 1 : 0}');
    expect(blocks(resource('aws_route_table', 'private'), 'route')).toEqual([]);
  });

  it('keeps the public-IP mode by default and the NAT mode with enable_nat_gateway, in either VPC', () => {
    expect(tasksNetwork({ private_tasks: false, enable_nat_gateway: false })).toEqual({
      assignPublicIp: true,
      subnets: 'local.public_subnet_ids',
      natGateway: false,
      mode: 'public-ip',
    });
    expect(tasksNetwork({ private_tasks: false, enable_nat_gateway: true })).toEqual({
      assignPublicIp: false,
      subnets: 'local.private_subnet_ids',
      natGateway: true,
      mode: 'nat',
    });
    // NAT in the default VPC too: the gateway goes in a public subnet of whichever VPC is used.
    expect(resource('aws_nat_gateway', 'this')).toMatchObject({
      count: '${local.create_nat_gateway ? 1 : 0}',
      subnet_id: '${local.nat_subnet_id}',
    });
    expect(local('nat_subnet_id')).toBe(
      '${var.create_vpc ? aws_subnet.public[0].id : sort(data.aws_subnets.default[0].ids)[0]}',
    );
  });

  it('creates interface endpoints for ecr.api, ecr.dkr, logs and secretsmanager, with private DNS, in the tasks’ subnets', () => {
    const endpoint = resource('aws_vpc_endpoint', 'interface');
    expect(endpoint.for_each).toBe('${var.private_tasks ? toset(local.interface_endpoint_services) : toset([])}');
    expect(local('interface_endpoint_services')).toEqual(interfaceServices);
    // Service names built from the Region, one endpoint per service (the logs one also serves self-shipping).
    const serviceName = str(endpoint.service_name);
    expect(serviceName).toBe('com.amazonaws.${local.region}.${each.key}');
    expect(interfaceServices.map((service) => serviceName.replace('${each.key}', service))).toEqual([
      'com.amazonaws.${local.region}.ecr.api',
      'com.amazonaws.${local.region}.ecr.dkr',
      'com.amazonaws.${local.region}.logs',
      'com.amazonaws.${local.region}.secretsmanager',
    ]);
    expect(endpoint).toMatchObject({
      vpc_id: '${local.vpc_id}',
      vpc_endpoint_type: 'Interface',
      private_dns_enabled: true,
      subnet_ids: '${local.service_subnet_ids}',
      security_group_ids: ['${aws_security_group.endpoints[0].id}'],
    });
    // Tasks start only once they can reach AWS: endpoints and the rules to them first.
    expect(resource('aws_ecs_service', 'this').depends_on).toEqual(
      expect.arrayContaining([
        '${aws_vpc_endpoint.interface}',
        '${aws_vpc_endpoint.s3}',
        '${aws_vpc_security_group_egress_rule.service_to_endpoints}',
        '${aws_vpc_security_group_egress_rule.service_to_s3}',
      ]),
    );
  });

  it('admits only HTTPS from the tasks’ security group to the endpoints', () => {
    const group = resource('aws_security_group', 'endpoints');
    expect(group).toMatchObject({ count: '${var.private_tasks ? 1 : 0}', vpc_id: '${local.vpc_id}' });
    expect(group).not.toHaveProperty('ingress');
    expect(group).not.toHaveProperty('egress');
    const id = '${aws_security_group.endpoints[0].id}';
    const ingress = Object.values(resources('aws_vpc_security_group_ingress_rule')).filter(
      (r) => r.security_group_id === id,
    );
    expect(ingress).toEqual([
      expect.objectContaining({
        count: '${var.private_tasks ? 1 : 0}',
        ip_protocol: 'tcp',
        from_port: 443,
        to_port: 443,
        referenced_security_group_id: '${aws_security_group.service.id}',
      }),
    ]);
    for (const key of ['cidr_ipv4', 'cidr_ipv6', 'prefix_list_id']) expect(ingress[0]).not.toHaveProperty(key);
    // The endpoints only answer.
    const egress = Object.values(resources('aws_vpc_security_group_egress_rule'));
    expect(egress.filter((r) => r.security_group_id === id)).toEqual([]);
  });

  it('adds S3 (ECR’s image layers) as a gateway endpoint on the tasks’ private route table, for ECR’s layer bucket only', () => {
    const s3 = resource('aws_vpc_endpoint', 's3');
    expect(s3).toMatchObject({
      count: '${var.private_tasks ? 1 : 0}',
      vpc_id: '${local.vpc_id}',
      service_name: 'com.amazonaws.${local.region}.s3',
      vpc_endpoint_type: 'Gateway',
      route_table_ids: ['${aws_route_table.private.id}'],
      policy: '${data.aws_iam_policy_document.s3_endpoint[0].json}',
    });
    // That table is the one of every private subnet, the tasks' in this mode.
    expect(resource('aws_route_table_association', 'private')).toMatchObject({
      subnet_id: '${aws_subnet.private[count.index].id}',
      route_table_id: '${aws_route_table.private.id}',
    });
    const [statement, ...rest] = blocks(tf().data.aws_iam_policy_document.s3_endpoint, 'statement');
    expect(rest).toEqual([]);
    expect(statement.effect ?? 'Allow').toBe('Allow');
    expect(statement.actions).toEqual(['s3:GetObject']);
    expect(statement.resources).toEqual(['${local.ecr_layer_bucket_arn}/*']);
    expect(local('ecr_layer_bucket_arn')).toBe(
      'arn:${local.partition}:s3:::prod-${local.region}-starport-layer-bucket',
    );
  });

  it('lets only principals of this account use the interface endpoints', () => {
    expect(resource('aws_vpc_endpoint', 'interface').policy).toBe(
      '${data.aws_iam_policy_document.interface_endpoints[0].json}',
    );
    const [statement, ...rest] = blocks(tf().data.aws_iam_policy_document.interface_endpoints, 'statement');
    expect(rest).toEqual([]);
    expect(statement.effect ?? 'Allow').toBe('Allow');
    expect(arr(statement.actions).sort()).toEqual(['ecr:*', 'logs:*', 'secretsmanager:*']);
    expect(block(statement, 'condition')).toEqual({
      test: 'StringEquals',
      variable: 'aws:PrincipalAccount',
      values: ['${local.account_id}'],
    });
  });

  it.each([
    {
      private_tasks: true,
      to: [
        { to: '${aws_security_group.endpoints[0].id}', port: 443 },
        { to: '${aws_vpc_endpoint.s3[0].prefix_list_id}', port: 443 },
        { to: '${aws_security_group.db.id}', port: 5432 },
      ],
    },
    {
      private_tasks: false,
      to: [
        { to: '0.0.0.0/0', port: 443 },
        { to: '${aws_security_group.db.id}', port: 5432 },
      ],
    },
  ])(
    'lets the tasks out, with private_tasks $private_tasks, only to $to.length destinations',
    ({ private_tasks, to }) => {
      const bindings = { 'var.private_tasks': private_tasks };
      const egress = Object.values(resources('aws_vpc_security_group_egress_rule'))
        .filter((r) => r.security_group_id === '${aws_security_group.service.id}' && exists(r, bindings))
        .map((r) => {
          expect(r.ip_protocol).toBe('tcp');
          expect(r.to_port).toBe(r.from_port);
          return {
            to: r.referenced_security_group_id ?? r.cidr_ipv4 ?? r.cidr_ipv6 ?? r.prefix_list_id,
            port: r.from_port,
          };
        });
      expect(egress).toEqual(expect.arrayContaining(to));
      expect(egress).toHaveLength(to.length);
      // The service's group has no inline rules that could add to these.
      expect(resource('aws_security_group', 'service')).not.toHaveProperty('egress');
      // Existing deployments keep their HTTPS rule (now counted) instead of replacing it.
      expect(tf().moved).toEqual(
        expect.arrayContaining([
          {
            from: '${aws_vpc_security_group_egress_rule.service_https}',
            to: '${aws_vpc_security_group_egress_rule.service_https[0]}',
          },
        ]),
      );
    },
  );

  describe('refuses contradictory settings at plan time', () => {
    const preconditions = () => {
      const found = blocks(block(resource('aws_security_group', 'service'), 'lifecycle'), 'precondition');
      // One for both private modes at once, one for the default VPC's DNS: an accepted row proves nothing without them.
      expect(found.filter((p) => str(p.condition).includes('var.private_tasks'))).toHaveLength(2);
      return found;
    };
    const plans = (settings: {
      private_tasks: boolean;
      enable_nat_gateway: boolean;
      create_vpc: boolean;
      default_vpc_dns: boolean;
    }) => {
      const bindings = {
        'var.private_tasks': settings.private_tasks,
        'var.enable_nat_gateway': settings.enable_nat_gateway,
        'var.create_vpc': settings.create_vpc,
        'data.aws_vpc.default[0].enable_dns_support': settings.default_vpc_dns,
        'data.aws_vpc.default[0].enable_dns_hostnames': settings.default_vpc_dns,
      };
      return preconditions().filter((p) => evaluate(p.condition, bindings) !== true);
    };

    it.each([
      { private_tasks: false, enable_nat_gateway: false, create_vpc: false, default_vpc_dns: true, accepted: true },
      { private_tasks: false, enable_nat_gateway: false, create_vpc: true, default_vpc_dns: true, accepted: true },
      { private_tasks: false, enable_nat_gateway: true, create_vpc: false, default_vpc_dns: true, accepted: true },
      { private_tasks: false, enable_nat_gateway: true, create_vpc: true, default_vpc_dns: true, accepted: true },
      { private_tasks: true, enable_nat_gateway: false, create_vpc: false, default_vpc_dns: true, accepted: true },
      { private_tasks: true, enable_nat_gateway: false, create_vpc: true, default_vpc_dns: true, accepted: true },
      // Both private modes at once: the NAT gateway would be paid for and unusable.
      { private_tasks: true, enable_nat_gateway: true, create_vpc: false, default_vpc_dns: true, accepted: false },
      { private_tasks: true, enable_nat_gateway: true, create_vpc: true, default_vpc_dns: true, accepted: false },
      // Endpoints' private DNS needs DNS support and hostnames on the default VPC; a created VPC has them.
      { private_tasks: true, enable_nat_gateway: false, create_vpc: false, default_vpc_dns: false, accepted: false },
      { private_tasks: true, enable_nat_gateway: false, create_vpc: true, default_vpc_dns: false, accepted: true },
      { private_tasks: false, enable_nat_gateway: false, create_vpc: false, default_vpc_dns: false, accepted: true },
      { private_tasks: false, enable_nat_gateway: true, create_vpc: false, default_vpc_dns: false, accepted: true },
    ])(
      'plans private_tasks $private_tasks, enable_nat_gateway $enable_nat_gateway, create_vpc $create_vpc, default VPC DNS $default_vpc_dns: accepted $accepted',
      ({ accepted, ...settings }) => {
        expect(plans(settings).length === 0).toBe(accepted);
      },
    );

    it('names the settings to change in each refusal', () => {
      const both = plans({ private_tasks: true, enable_nat_gateway: true, create_vpc: true, default_vpc_dns: true });
      expect(both).toHaveLength(1);
      expect(str(both[0].error_message)).toMatch(/private_tasks = true.*enable_nat_gateway = true/);
      const dns = plans({ private_tasks: true, enable_nat_gateway: false, create_vpc: false, default_vpc_dns: false });
      expect(dns).toHaveLength(1);
      expect(str(dns[0].error_message)).toMatch(/DNS hostnames.*create_vpc = true/);
    });

    it('passes with the settings of terraform.tfvars.example', async () => {
      const text = readFileSync(path.join(terraformDir, 'terraform.tfvars.example'), 'utf8');
      const example = (await parse('terraform.tfvars', text)) as Obj;
      const setting = (name: string) => (name in example ? example[name] : variable(name).default) as boolean;
      expect('private_tasks' in example).toBe(true);
      const refused = plans({
        private_tasks: setting('private_tasks'),
        enable_nat_gateway: setting('enable_nat_gateway'),
        create_vpc: setting('create_vpc'),
        default_vpc_dns: true,
      });
      expect(refused).toEqual([]);
    });
  });

  it('outputs the mode in use, the tasks’ subnets and the endpoint IDs', () => {
    const outputs = tf().output;
    expect(outputs.tasks_network_mode.value).toBe('${local.tasks_network_mode}');
    expect(outputs.tasks_subnet_ids.value).toBe('${local.service_subnet_ids}');
    const ids = str(outputs.vpc_endpoint_ids.value);
    expect(ids).toContain('for service, endpoint in aws_vpc_endpoint.interface : service => endpoint.id');
    expect(ids).toContain('for endpoint in aws_vpc_endpoint.s3 : "s3" => endpoint.id');
    // The mode for every accepted combination (both private modes at once is refused above).
    const modes = [
      [false, false],
      [false, true],
      [true, false],
    ].map(([private_tasks, enable_nat_gateway]) => tasksNetwork({ private_tasks, enable_nat_gateway }).mode);
    expect(modes).toEqual(['public-ip', 'nat', 'vpc-endpoints']);
  });

  it('is documented in README.md with the monthly cost of each way tasks reach AWS', () => {
    const readme = readFileSync(path.join(terraformDir, 'README.md'), 'utf8');
    const network = readme.slice(
      readme.indexOf('## Network'),
      readme.indexOf('\n## ', readme.indexOf('## Network') + 1),
    );
    expect(network).toContain('### How the tasks reach AWS');
    for (const mode of [
      '`public-ip`',
      '`nat`',
      '`vpc-endpoints`',
      '`private_tasks = true`',
      '`enable_nat_gateway = true`',
    ]) {
      expect(network).toContain(mode);
    }
    // us-east-1 list prices, 730 hours a month: NAT $0.045/h, interface endpoints $0.01/h per AZ, S3 gateway free.
    expect(network).toMatch(/us-east-1 on-demand list prices at the time of writing, for 730\s+hours a month/);
    for (const price of ['$32.85', '$0.045 per GB', '$7.30', '4 endpoints × 2 AZs ≈ $58.40', '$0.01 per GB']) {
      expect(network).toContain(price);
    }
    expect(network).toMatch(/S3 gateway endpoint is free/);
    expect(network).toMatch(/endpoints cost more than one NAT gateway/);
    expect(network).toMatch(/NAT gateway lives in one AZ/);
  });
});
