import {
  str,
  block,
  blocks,
  tf,
  resources,
  resource,
  local,
  variable,
  validations,
  useTerraformModule,
} from './support/terraform-module';

/* The RDS PostgreSQL instance: sizing, backups, parameters and encryption at rest. */

useTerraformModule();

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
    // Its only route, to a NAT gateway (outbound only), with enable_nat_gateway alone.
    const privateRoutes = Object.entries(resources('aws_route')).filter(([, r]) =>
      str(r.route_table_id).includes('aws_route_table.private'),
    );
    expect(privateRoutes.map(([id]) => id)).toEqual(['private_nat']);
    const [, nat] = privateRoutes[0];
    expect(nat.nat_gateway_id).toBe('${aws_nat_gateway.this[0].id}');
    expect(nat).not.toHaveProperty('gateway_id');
    expect(nat.count).toBe('${local.create_nat_gateway ? 1 : 0}');
    expect(local('create_nat_gateway')).toBe('${var.enable_nat_gateway}');
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
    expect(tf().output.db_deletion_protection.value).toBe('${aws_db_instance.this.deletion_protection}');
    expect(tf().output.db_backup_retention_days.value).toBe('${aws_db_instance.this.backup_retention_period}');
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
