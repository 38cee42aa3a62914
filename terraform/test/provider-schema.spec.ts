import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  loadProviderSchema,
  schemaPackage,
  schemaPackageVersion,
  type ProviderSchema,
} from './support/provider-schema';
import { loadModule, terraformDir } from './support/terraform-module';
import { validateModule } from './support/validate-module';

/*
 * `terraform validate` without the provider: the module is checked against
 * hashicorp/aws's schema, derived from @cdktf/provider-aws (fetched from npm
 * on the first run, then cached under node_modules/.cache).
 */

// The first run downloads 37 MB.
jest.setTimeout(300_000);

let schema: ProviderSchema;
beforeAll(async () => {
  schema = await loadProviderSchema();
});

describe(`the hashicorp/aws schema from ${schemaPackage}@${schemaPackageVersion}`, () => {
  it('is for the provider major version versions.tf requires', async () => {
    const text = await readFile(path.join(terraformDir, 'versions.tf'), 'utf8');
    const constraint = /source\s*=\s*"hashicorp\/aws"\s*\n\s*version\s*=\s*"~> (\d+)\.\d+"/.exec(text);
    expect(constraint).not.toBeNull();
    expect(schema.providerVersion.split('.')[0]).toBe(constraint?.[1]);
  });

  it('has arguments, required ones, nested blocks and computed attributes', () => {
    const service = schema.resources.aws_ecs_service;
    expect(service.arguments).toMatchObject({ name: 'required', desired_count: 'optional', cluster: 'optional' });
    expect(service.blocks.network_configuration).toMatchObject({ required: false, arguments: { subnets: 'required' } });
    expect(service.computed).toContain('arn');
    expect(schema.resources.aws_lb.computed).toContain('arn_suffix');
    expect(schema.resources.aws_lb_listener.blocks.default_action.required).toBe(true);
    expect(schema.resources.aws_security_group.blocks.ingress.argument).toBe(true);
    expect(schema.resources.aws_ecs_service.blocks.load_balancer.argument).toBeUndefined();
    expect(schema.resources.aws_db_instance.objects.master_user_secret.computed).toContain('secret_arn');
    expect(schema.dataSources.aws_iam_policy_document.blocks.statement.blocks).toHaveProperty('condition');
    expect(schema.provider.arguments).toHaveProperty('shared_credentials_files');
    expect(schema.provider.blocks.default_tags.arguments).toHaveProperty('tags');
  });

  it('keeps Terraform names that the bindings rename', () => {
    // fetchPasswordData and selfAttribute in the bindings.
    expect(schema.resources.aws_instance.arguments).toHaveProperty('get_password_data');
    expect(schema.resources.aws_security_group_rule.arguments).toHaveProperty('self');
  });
});

describe('the Terraform module', () => {
  it('is valid against the provider schema', async () => {
    expect(validateModule(await loadModule(), schema)).toEqual([]);
  });
});

describe('a mistake planted in a copy of the module', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'terraform-module-'));
    for (const file of (await readdir(terraformDir)).filter((f) => f.endsWith('.tf'))) {
      await writeFile(path.join(dir, file), await readFile(path.join(terraformDir, file)));
    }
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Replaces the one match of `from` inside the top-level block opened by the line `within`. */
  async function plant(within: string, from: RegExp, to: string): Promise<void> {
    const files = (await readdir(dir)).filter((f) => f.endsWith('.tf'));
    const texts = await Promise.all(files.map((f) => readFile(path.join(dir, f), 'utf8')));
    const i = texts.findIndex((text) => text.includes(`\n${within}\n`) || text.startsWith(`${within}\n`));
    if (i < 0) throw new Error(`no block opened by ${within}`);
    const start = texts[i].indexOf(`${within}\n`);
    const end = texts[i].indexOf('\n}\n', start);
    const block = texts[i].slice(start, end);
    if (block.match(new RegExp(from.source, 'gm'))?.length !== 1) throw new Error(`${from} is not once in ${within}`);
    const planted = texts[i].slice(0, start) + block.replace(from, to) + texts[i].slice(end);
    await writeFile(path.join(dir, files[i]), planted);
  }

  it.each([
    {
      mistake: 'a misspelt argument',
      within: 'resource "aws_ecs_service" "this" {',
      from: /^(\s*)desired_count(\s*=)/m,
      to: '$1desired_cont$2',
      errors: ['aws_ecs_service.this: unsupported argument "desired_cont"'],
    },
    {
      mistake: 'a misspelt nested block',
      within: 'resource "aws_ecs_service" "this" {',
      from: /^(\s*)network_configuration \{/m,
      to: '$1network_configuraton {',
      errors: ['aws_ecs_service.this: unsupported block type "network_configuraton"'],
    },
    {
      mistake: 'a removed required argument',
      within: 'resource "aws_ecs_task_definition" "this" {',
      from: /^\s*family\s*=.*\n/m,
      to: '',
      errors: ['aws_ecs_task_definition.this: missing required argument "family"'],
    },
    {
      mistake: 'a misspelt required block',
      within: 'resource "aws_lb_listener" "https" {',
      from: /^(\s*)default_action \{/m,
      to: '$1default_actions {',
      errors: [
        'aws_lb_listener.https: unsupported block type "default_actions"',
        'aws_lb_listener.https: missing required block "default_action"',
      ],
    },
    {
      mistake: 'a misspelt argument in a dynamic block nested in a block',
      within: 'resource "aws_lb_listener" "http" {',
      from: /^(\s*)status_code(\s*=)/m,
      to: '$1status$2',
      errors: [
        'aws_lb_listener.http.default_action.redirect: unsupported argument "status"',
        'aws_lb_listener.http.default_action.redirect: missing required argument "status_code"',
      ],
    },
    {
      mistake: 'a misspelt data source argument',
      within: 'data "aws_vpc" "default" {',
      from: /^(\s*)default(\s*=)/m,
      to: '$1defalt$2',
      errors: ['data.aws_vpc.default: unsupported argument "defalt"'],
    },
    {
      mistake: "a misspelt argument in a data source's dynamic block",
      within: 'data "aws_iam_policy_document" "execution" {',
      from: /^(\s*)actions(\s*)= \["kms:Decrypt"\]/m,
      to: '$1acions$2= ["kms:Decrypt"]',
      errors: ['data.aws_iam_policy_document.execution.statement: unsupported argument "acions"'],
    },
    {
      mistake: 'a read-only attribute set',
      within: 'resource "aws_lb" "this" {',
      from: /^(\s*)internal(\s*=)/m,
      to: '$1dns_name = "alb.example.com"\n$1internal$2',
      errors: ['aws_lb.this: "dns_name" is read-only, it cannot be set'],
    },
    {
      mistake: 'a misspelt provider argument',
      within: 'provider "aws" {',
      from: /^(\s*)shared_credentials_files(\s*=)/m,
      to: '$1shared_credential_files$2',
      errors: ['provider.aws: unsupported argument "shared_credential_files"'],
    },
  ])('$mistake fails', async ({ within, from, to, errors }) => {
    await plant(within, from, to);
    expect(validateModule(await loadModule(dir), schema)).toEqual(errors);
  });

  it.each([
    ['aws_lb.this.arn_sufix', 'aws_lb.this.arn_sufix: unsupported attribute'],
    [
      'aws_db_instance.this.master_user_secret[0].secret_ar',
      'aws_db_instance.this.master_user_secret.secret_ar: unsupported attribute',
    ],
    [
      'aws_lb_listener.https[0].default_action[0].target_group_ar',
      'aws_lb_listener.https.default_action.target_group_ar: unsupported attribute',
    ],
    ['data.aws_caller_identity.current.acount_id', 'data.aws_caller_identity.current.acount_id: unsupported attribute'],
    ['aws_lb.other.arn', 'aws_lb.other: reference to an undeclared resource'],
  ])('a reference to %s fails', async (reference, error) => {
    await writeFile(path.join(dir, 'planted.tf'), `output "planted" {\n  value = ${reference}\n}\n`);
    expect(validateModule(await loadModule(dir), schema)).toEqual([error]);
  });

  it('text that only looks like a reference passes', async () => {
    await writeFile(
      path.join(dir, 'planted.tf'),
      [
        'locals {',
        '  planted = "aws_lb.this.arn_sufix ${jsonencode("aws_lb.this.arn_sufix")} $${aws_lb.this.arn_sufix}"',
        '  planted_heredoc = <<-EOT',
        '    data.aws_vpc.default.cidr_blok ${local.planted} # aws_lb.this.arn_sufix',
        '  EOT',
        '}',
        '',
      ].join('\n'),
    );
    expect(validateModule(await loadModule(dir), schema)).toEqual([]);
  });
});
