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
} from './support/terraform-module';

/* IAM: the task execution role and task role, least privilege in both role modes. */

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

  it('creates the execution role by default, or uses existing_iam_role_name (e.g. LabRole)', () => {
    expect(variable('existing_iam_role_name').default).toBeNull();
    expect(local('create_iam_roles')).toBe('${var.existing_iam_role_name == null}');
    expect(tf().data.aws_iam_role.existing.count).toBe('${local.create_iam_roles ? 0 : 1}');
    expect(resource('aws_iam_role', 'execution').count).toBe('${local.create_iam_roles ? 1 : 0}');
    const task = resource('aws_ecs_task_definition', 'this');
    expect(task.execution_role_arn).toBe('${local.execution_role_arn}');
    expect(task.task_role_arn).toBe('${local.task_role_arn}');
    for (const create of [true, false]) {
      expect(evaluate(local('execution_role_arn'), { 'local.create_iam_roles': create })).toEqual(
        new Ref(create ? 'aws_iam_role.execution[0].arn' : 'data.aws_iam_role.existing[0].arn'),
      );
    }
  });

  // Both role modes x log self-shipping on and off, evaluated as `terraform plan` would.
  it.each([
    { mode: 'created roles', create: true, selfShipping: false, role: null },
    { mode: 'created roles', create: true, selfShipping: true, role: 'aws_iam_role.task[0].arn' },
    { mode: 'LabRole', create: false, selfShipping: false, role: null },
    { mode: 'LabRole', create: false, selfShipping: true, role: 'data.aws_iam_role.existing[0].arn' },
  ])(
    'gives the tasks no task role unless they ship their own logs ($mode, self-shipping $selfShipping)',
    ({ create, selfShipping, role }) => {
      const bindings = { 'local.create_iam_roles': create, 'local.self_shipping_logs': selfShipping };
      expect(evaluate(local('task_role_arn'), bindings)).toEqual(role === null ? null : new Ref(role));
      // The role itself exists only when created and used.
      expect(evaluate(resource('aws_iam_role', 'task').count, bindings)).toBe(create && selfShipping ? 1 : 0);
      expect(evaluate(resource('aws_iam_role_policy', 'task_self_shipping').count, bindings)).toBe(
        create && selfShipping ? 1 : 0,
      );
    },
  );

  it('lets the execution role pull the image, write logs and read the two secrets, and nothing more', () => {
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
        // The API keys secret, when there is one.
        for_each: '${aws_secretsmanager_secret.api_keys[*].arn}',
        content: {
          sid: 'ReadApiKeysSecret',
          actions: ['secretsmanager:GetSecretValue'],
          resources: ['${statement.value}'],
        },
      },
      {
        for_each: '${var.kms_key_arn == null ? [] : [var.kms_key_arn]}',
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
    expect(roleDocuments().sort()).toEqual(['ecs_tasks_assume_role', 'execution', 'task_self_shipping']);
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
    expect(resource('aws_iam_role', 'task').count).toBe(
      '${local.create_iam_roles && local.self_shipping_logs ? 1 : 0}',
    );
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

  it('grants the roles no wildcard actions', () => {
    for (const document of roleDocuments()) {
      for (const s of statements(document)) {
        for (const a of strings(s.actions)) expect(a).not.toMatch(/\*/);
      }
    }
  });
});
