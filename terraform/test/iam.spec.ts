import {
  isObj,
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
  variable,
  containerEnvironment,
  evaluate,
  Ref,
  useTerraformModule,
  type Json,
  type Obj,
} from './support/terraform-module';

/* IAM: the task execution role and the two task roles (the service's, db-roles'), least privilege in both role modes. */

useTerraformModule();

describe('IAM', () => {
  const statements = (name: string) => blocks(tf().data.aws_iam_policy_document[name], 'statement');
  /** The policy documents the roles use: their trust policies and inline policies (not, e.g., bucket policies). */
  const roleDocuments = () =>
    Object.keys(tf().data.aws_iam_policy_document).filter((document) =>
      [...Object.values(resources('aws_iam_role')), ...Object.values(resources('aws_iam_role_policy'))].some((r) =>
        strings([r.assume_role_policy, r.policy]).some((p) =>
          new RegExp(`data\\.aws_iam_policy_document\\.${document}(\\[0\\])?\\.json`).test(p),
        ),
      ),
    );
  /** `dynamic "statement"` blocks: their for_each and their single content body. */
  const dynamicStatements = (name: string) => {
    const dynamic = tf().data.aws_iam_policy_document[name].dynamic;
    return (isObj(dynamic) ? blocks(dynamic, 'statement') : []).map((d) => ({
      for_each: d.for_each,
      content: obj(arr(d.content)[0]),
    }));
  };
  /** Every statement of a document, dynamic ones included (with their for_each). */
  const allStatements = (name: string): { for_each?: Json; statement: Obj }[] => [
    ...statements(name).map((statement) => ({ statement })),
    ...dynamicStatements(name).map((d) => ({ for_each: d.for_each, statement: d.content })),
  ];
  /** The documents of the inline policies attached to a created role, e.g. 'task' for aws_iam_role.task. */
  const documentsOfRole = (role: string) =>
    Object.values(resources('aws_iam_role_policy'))
      .filter((p) => p.role === `\${aws_iam_role.${role}[0].id}`)
      .map((p) => /data\.aws_iam_policy_document\.([a-z_]+)(\[0\])?\.json/.exec(str(p.policy))?.[1] ?? str(p.policy));
  /** action -> resources, over every statement of a role's documents (dynamic ones as written). */
  const grants = (role: string): Record<string, string[]> => {
    const byAction: Record<string, string[]> = {};
    for (const document of documentsOfRole(role)) {
      for (const { statement } of allStatements(document)) {
        for (const action of arr(statement.actions).map((a) => str(a))) {
          byAction[action] = [...(byAction[action] ?? []), ...arr(statement.resources).map((r) => str(r))];
        }
      }
    }
    return byAction;
  };
  const masterSecret = '${aws_db_instance.this.master_user_secret[0].secret_arn}';
  const roleSecrets = ['${aws_secretsmanager_secret.db_app.arn}', '${aws_secretsmanager_secret.db_migrations.arn}'];
  /** The KMS statement of a role with var.kms_key_arn: these actions on that key, through Secrets Manager only. */
  const kmsStatement = (sid: string, actions: string[]) => ({
    for_each: '${var.kms_key_arn == null ? [] : [var.kms_key_arn]}',
    statement: {
      sid,
      actions,
      resources: ['${statement.value}'],
      condition: [
        { test: 'StringEquals', variable: 'kms:ViaService', values: ['secretsmanager.${local.region}.amazonaws.com'] },
      ],
    },
  });

  it('creates the execution role by default, or uses existing_iam_role_name (e.g. LabRole)', () => {
    expect(variable('existing_iam_role_name').default).toBeNull();
    expect(local('create_iam_roles')).toBe('${var.existing_iam_role_name == null}');
    expect(tf().data.aws_iam_role.existing.count).toBe('${local.create_iam_roles ? 0 : 1}');
    expect(resource('aws_iam_role', 'execution').count).toBe('${local.create_iam_roles ? 1 : 0}');
    const task = resource('aws_ecs_task_definition', 'this');
    expect(task.execution_role_arn).toBe('${local.execution_role_arn}');
    expect(task.task_role_arn).toBe('${local.task_role_arn}');
    // The db-roles task starts with the same execution role, and has a task role of its own.
    const dbRoles = resource('aws_ecs_task_definition', 'db_roles');
    expect(dbRoles.execution_role_arn).toBe('${local.execution_role_arn}');
    expect(dbRoles.task_role_arn).toBe('${local.db_roles_task_role_arn}');
    for (const create of [true, false]) {
      expect(evaluate(local('execution_role_arn'), { 'local.create_iam_roles': create })).toEqual(
        new Ref(create ? 'aws_iam_role.execution[0].arn' : 'data.aws_iam_role.existing[0].arn'),
      );
    }
  });

  // Both role modes x log self-shipping on and off, evaluated as `terraform plan` would.
  it.each([
    { mode: 'created roles', create: true, selfShipping: false },
    { mode: 'created roles', create: true, selfShipping: true },
    { mode: 'LabRole', create: false, selfShipping: false },
    { mode: 'LabRole', create: false, selfShipping: true },
  ])(
    'gives the service a task role of its own, with LabRole none unless it ships its logs, and db-roles one in every mode ($mode, self-shipping $selfShipping)',
    ({ create, selfShipping }) => {
      const bindings = { 'local.create_iam_roles': create, 'local.self_shipping_logs': selfShipping };
      // Created roles: the service reads its database passwords itself. LabRole: ECS injects
      // them, so the service's code gets the lab's broad role only to ship its own logs.
      expect(evaluate(local('task_role_arn'), bindings)).toEqual(
        create
          ? new Ref('aws_iam_role.task[0].arn')
          : selfShipping
            ? new Ref('data.aws_iam_role.existing[0].arn')
            : null,
      );
      expect(evaluate(local('db_roles_task_role_arn'), bindings)).toEqual(
        new Ref(create ? 'aws_iam_role.db_roles[0].arn' : 'data.aws_iam_role.existing[0].arn'),
      );
      // Created roles and their policies exist only in the created-roles mode; self-shipping only when on.
      const count = (type: string, name: string) => evaluate(resource(type, name).count, bindings);
      expect({
        task: count('aws_iam_role', 'task'),
        taskDbSecrets: count('aws_iam_role_policy', 'task_db_secrets'),
        taskSelfShipping: count('aws_iam_role_policy', 'task_self_shipping'),
        dbRoles: count('aws_iam_role', 'db_roles'),
        dbRolesPolicy: count('aws_iam_role_policy', 'db_roles'),
      }).toEqual({
        task: create ? 1 : 0,
        taskDbSecrets: create ? 1 : 0,
        taskSelfShipping: create && selfShipping ? 1 : 0,
        dbRoles: create ? 1 : 0,
        dbRolesPolicy: create ? 1 : 0,
      });
    },
  );

  it('lets the execution role pull the image, write logs and read the API keys secret, and nothing more', () => {
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
    });
    expect(dynamicStatements('execution')).toEqual([
      {
        // The API keys secret, when there is one.
        for_each: '${aws_secretsmanager_secret.api_keys[*].arn}',
        content: {
          sid: 'ReadApiKeysSecret',
          actions: ['secretsmanager:GetSecretValue'],
          resources: ['${statement.value}'],
        },
      },
      {
        // The key decrypts the API keys secret, the only secret this role reads.
        for_each: '${var.enable_api_keys && var.kms_key_arn != null ? [var.kms_key_arn] : []}',
        content: {
          sid: 'DecryptSecrets',
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
    expect(roleDocuments().sort()).toEqual([
      'db_roles',
      'ecs_tasks_assume_role',
      'execution',
      'task_db_secrets',
      'task_self_shipping',
    ]);
    for (const document of roleDocuments()) {
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
    expect(scoped).toBeGreaterThanOrEqual(12);
  });

  it('gives the roles inline policies only, one set per role, and no managed policy', () => {
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
    expect(Object.keys(resources('aws_iam_role')).sort()).toEqual(['db_roles', 'execution', 'task']);
    expect(resource('aws_iam_role', 'task').count).toBe('${local.create_iam_roles ? 1 : 0}');
    expect(policies.sort()).toEqual([
      ['db_roles', '${aws_iam_role.db_roles[0].id}', '${local.create_iam_roles ? 1 : 0}'],
      ['execution', '${aws_iam_role.execution[0].id}', '${local.create_iam_roles ? 1 : 0}'],
      ['task_db_secrets', '${aws_iam_role.task[0].id}', '${local.create_iam_roles ? 1 : 0}'],
      [
        'task_self_shipping',
        '${aws_iam_role.task[0].id}',
        '${local.create_iam_roles && local.self_shipping_logs ? 1 : 0}',
      ],
    ]);
    expect(variable('self_shipping_log_group_name').default).toBeNull();
    // Only ECS tasks of this account may assume any of the roles.
    const [assume] = statements('ecs_tasks_assume_role');
    expect(block(assume, 'principals')).toEqual({ type: 'Service', identifiers: ['ecs-tasks.amazonaws.com'] });
    expect(block(assume, 'condition')).toEqual({
      test: 'StringEquals',
      variable: 'aws:SourceAccount',
      values: ['${local.account_id}'],
    });
  });

  it('gives the task role the log-shipping actions only when self-shipping is on', () => {
    const actions = statements('task_self_shipping').flatMap((s) => arr(s.actions).map((a) => str(a)));
    expect(actions.sort()).toEqual(['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']);
    expect(tf().data.aws_iam_policy_document.task_self_shipping.count).toBe('${local.self_shipping_logs ? 1 : 0}');
    expect(resource('aws_iam_role_policy', 'task_self_shipping').count).toBe(
      '${local.create_iam_roles && local.self_shipping_logs ? 1 : 0}',
    );
    for (const s of statements('task_self_shipping')) {
      for (const r of arr(s.resources)) expect(str(r)).toContain('local.self_shipping_log_group_arn');
    }
    const env = containerEnvironment().find((e) => e.name === 'CLOUDWATCH_LOG_GROUP');
    expect(env?.value).toBe('${var.self_shipping_log_group_name}');
  });

  it("lets the service's task role read exactly its two database roles' secrets, never the master user's", () => {
    expect(documentsOfRole('task').sort()).toEqual(['task_db_secrets', 'task_self_shipping']);
    expect(allStatements('task_db_secrets')).toEqual([
      {
        statement: {
          sid: 'ReadDatabaseRoleSecrets',
          actions: ['secretsmanager:GetSecretValue'],
          resources: roleSecrets,
        },
      },
      kmsStatement('DecryptSecrets', ['kms:Decrypt']),
    ]);
    // Across every policy of the role, self-shipping included: Secrets Manager only on the two secrets.
    const secretActions = Object.entries(grants('task')).filter(([action]) => action.startsWith('secretsmanager:'));
    expect(secretActions).toEqual([['secretsmanager:GetSecretValue', roleSecrets]]);
    expect(JSON.stringify(documentsOfRole('task').map((d) => allStatements(d)))).not.toContain('master_user_secret');
    // The task definition the service runs gets this role (created-roles mode).
    expect(
      evaluate(local('task_role_arn'), { 'local.create_iam_roles': true, 'local.self_shipping_logs': false }),
    ).toEqual(new Ref('aws_iam_role.task[0].arn'));
  });

  it('lets the execution role read no database secret: ECS injects none', () => {
    const secretResources = Object.entries(grants('execution'))
      .filter(([action]) => action.startsWith('secretsmanager:'))
      .flatMap(([, r]) => r);
    for (const r of secretResources) expect(r).toBe('${statement.value}'); // the API keys secret, dynamic
    const text = JSON.stringify(allStatements('execution'));
    for (const secret of [masterSecret, ...roleSecrets]) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/master_user_secret|db_app|db_migrations/);
  });

  it("lets the db-roles task role read the master user's secret and rotate the two role secrets, and nothing more", () => {
    expect(documentsOfRole('db_roles')).toEqual(['db_roles']);
    expect(resource('aws_iam_role', 'db_roles').assume_role_policy).toBe(
      '${data.aws_iam_policy_document.ecs_tasks_assume_role.json}',
    );
    expect(allStatements('db_roles')).toEqual([
      {
        statement: {
          sid: 'ReadMasterUserSecret',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [masterSecret],
        },
      },
      {
        statement: {
          sid: 'RotateDatabaseRoleSecrets',
          actions: [
            'secretsmanager:DescribeSecret',
            'secretsmanager:PutSecretValue',
            'secretsmanager:UpdateSecretVersionStage',
          ],
          resources: roleSecrets,
        },
      },
      // PutSecretValue with a customer managed key needs GenerateDataKey too.
      kmsStatement('EncryptDecryptSecrets', ['kms:Decrypt', 'kms:GenerateDataKey']),
    ]);
    // No secret to create, delete, or re-point; no rotation Lambda to configure.
    for (const action of Object.keys(grants('db_roles'))) {
      expect(action).not.toMatch(/Create|Delete|RotateSecret|PutResourcePolicy|UpdateSecret$|Tag/);
    }
  });

  it("lets only the db-roles task role read the master user's secret", () => {
    const readers = roleDocuments().filter((d) => JSON.stringify(allStatements(d)).includes('master_user_secret'));
    expect(readers).toEqual(['db_roles']);
  });

  it('grants the roles no wildcard actions', () => {
    for (const document of roleDocuments()) {
      for (const s of statements(document)) {
        for (const a of strings(s.actions)) expect(a).not.toMatch(/\*/);
      }
    }
  });
});
