import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as tar from 'tar';
import { repoRoot } from './terraform-module';

/*
 * The hashicorp/aws provider's schema, as `terraform validate` would use it.
 * The provider itself cannot be downloaded where the tests run, but the npm
 * registry can be reached, and @cdktf/provider-aws is generated from the
 * provider's schema: its JavaScript keeps the real Terraform names (getters
 * read `getStringAttribute('arn_suffix')`, `synthesizeHclAttributes()` lists
 * every argument and whether it is a block) and its .d.ts files mark the
 * optional arguments with `?`. The package is 37 MB packed and 390 MB
 * unpacked, so it is fetched on demand, never installed, and only a compact
 * schema derived from it is kept.
 */

export const schemaPackage = '@cdktf/provider-aws';
/**
 * 21.x tracks hashicorp/aws 6.x; its package.json "cdktf" entry names the exact version (6.25.0 here), kept in
 * the schema as providerVersion. 21.22.1 is the last release: HashiCorp stopped publishing prebuilt bindings
 * in December 2025.
 */
export const schemaPackageVersion = '21.22.1';
/** Bump when the derived format changes, so that stale caches are derived again. */
const schemaFormat = 2;

export const schemaCacheDir = path.join(repoRoot, 'node_modules', '.cache', 'terraform-provider-aws-schema');
export const schemaCacheFile = path.join(schemaCacheDir, `${schemaPackageVersion}.json`);

/** A resource, data source, provider configuration or nested block. */
export interface BlockSchema {
  /** Arguments that can be set, and whether they must be. */
  arguments: Record<string, 'required' | 'optional'>;
  /** Attributes that can only be read. */
  computed: string[];
  blocks: Record<string, NestedBlockSchema>;
  /** Attributes holding objects (e.g. master_user_secret), with their own attributes, for references into them. */
  objects: Record<string, BlockSchema>;
}

export interface NestedBlockSchema extends BlockSchema {
  /** At least one such block must be written (min_items >= 1). */
  required: boolean;
  /** Also settable as an argument, e.g. `ingress = []` (attributes in blocks' clothing, like aws_security_group's). */
  argument?: true;
}

export interface ProviderSchema {
  format: number;
  package: string;
  packageVersion: string;
  /** The hashicorp/aws version the package was generated from. */
  providerVersion: string;
  provider: BlockSchema;
  resources: Record<string, BlockSchema>;
  dataSources: Record<string, BlockSchema>;
}

/** The schema, from the cache or else fetched from the npm registry and derived (a few seconds). */
export async function loadProviderSchema(): Promise<ProviderSchema> {
  const cached = await readFile(schemaCacheFile, 'utf8').then(
    (text) => JSON.parse(text) as ProviderSchema,
    () => undefined,
  );
  if (cached?.format === schemaFormat) return cached;

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'provider-aws-'));
  try {
    const schema = await deriveSchema(await fetchPackage(tmp));
    await mkdir(schemaCacheDir, { recursive: true });
    // Written whole then renamed, so that a concurrent run never reads half a file.
    const partial = `${schemaCacheFile}.${process.pid}`;
    await writeFile(partial, JSON.stringify(schema));
    await rename(partial, schemaCacheFile);
    return schema;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function fetchPackage(dir: string): Promise<string> {
  const spec = `${schemaPackage}@${schemaPackageVersion}`;
  try {
    // npm itself, so that the project's registry, proxy and certificate settings apply.
    await promisify(execFile)(
      'npm',
      ['pack', spec, '--pack-destination', dir, '--ignore-scripts', '--loglevel=error'],
      {
        cwd: repoRoot,
        timeout: 300_000,
        // npm is a .cmd script on Windows, which only a shell runs.
        shell: process.platform === 'win32',
      },
    );
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
    throw new Error(
      `Could not download ${spec} from the npm registry, which the provider schema is derived from ` +
        `(cached afterwards in ${schemaCacheDir}):\n${detail}`,
    );
  }
  const tarball = (await readdir(dir)).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack ${spec} wrote no tarball to ${dir}`);
  return path.join(dir, tarball);
}

/** One argument of a resource or block, from an `attrs` entry of its synthesizeHclAttributes()/…ToHclTerraform(). */
interface HclEntry {
  name: string;
  /** Its member in the config or struct interface. */
  member: string;
  isBlock: boolean;
  /** `listMapperHcl(…, false)`: a list of objects that the bindings write as blocks, but that Terraform takes either way. */
  argument: boolean;
  /** The …ToHclTerraform function of the block's struct. */
  struct?: string;
}

interface ClassInfo {
  base: string;
  terraformType?: string;
  /** The arguments of a resource, data source or provider class. */
  hcl?: HclEntry[];
  /** Readable attributes: Terraform name -> the class wrapping its value, when it is a module class. */
  attributes: Map<string, string | undefined>;
  /** The element class of a list or map class. */
  element?: string;
}

/** What one generated module (lib/<name>/) declares. */
interface ModuleInfo {
  structs: Map<string, HclEntry[]>;
  classes: Map<string, ClassInfo>;
  /** Interface -> member -> optional. */
  interfaces: Map<string, Map<string, boolean>>;
  /** Class or struct function -> the interface of its input. */
  inputs: Map<string, string>;
}

async function deriveSchema(tarball: string): Promise<ProviderSchema> {
  const modules = new Map<string, ModuleInfo>();
  let packageJson: { version?: string; cdktf?: { provider?: { version?: string } } } | undefined;
  await readTar(
    tarball,
    (name) => name === 'package/package.json' || /^package\/lib\/[^/]+\/.*\.(js|d\.ts)$/.test(name),
    (name, data) => {
      const text = data.toString('utf8');
      if (name === 'package/package.json') {
        packageJson = JSON.parse(text) as typeof packageJson;
        return;
      }
      const moduleName = name.split('/')[2];
      const info = modules.get(moduleName) ?? {
        structs: new Map(),
        classes: new Map(),
        interfaces: new Map(),
        inputs: new Map(),
      };
      modules.set(moduleName, info);
      if (name.endsWith('.d.ts')) parseDeclarations(text, info);
      else parseJavaScript(text, info);
    },
  );
  const providerVersion = packageJson?.cdktf?.provider?.version;
  if (packageJson?.version !== schemaPackageVersion || !providerVersion) {
    throw new Error(`the tarball of ${schemaPackage}@${schemaPackageVersion} names no provider version`);
  }

  const schema: ProviderSchema = {
    format: schemaFormat,
    package: schemaPackage,
    packageVersion: schemaPackageVersion,
    providerVersion,
    provider: emptyBlock(),
    resources: {},
    dataSources: {},
  };
  for (const [moduleName, info] of modules) {
    for (const [className, cls] of info.classes) {
      if (!cls.hcl) continue;
      const block = buildBlock(info, moduleName, cls.hcl, inputOf(info, className, moduleName), className);
      if (cls.base === 'TerraformProvider') schema.provider = block;
      else if (cls.terraformType && cls.base === 'TerraformResource') schema.resources[cls.terraformType] = block;
      else if (cls.terraformType && cls.base === 'TerraformDataSource') schema.dataSources[cls.terraformType] = block;
    }
  }
  if (Object.keys(schema.provider.arguments).length === 0) throw new Error('no provider configuration in the package');
  return schema;
}

function emptyBlock(): BlockSchema {
  return { arguments: {}, computed: [], blocks: {}, objects: {} };
}

/** The members of the interface a class or struct function takes. */
function inputOf(info: ModuleInfo, name: string, moduleName: string): Map<string, boolean> {
  const members = info.interfaces.get(info.inputs.get(name) ?? '');
  if (!members) throw new Error(`lib/${moduleName}: no input interface found for ${name}`);
  return members;
}

/** A block from its arguments, their optional flags, and the class whose getters read it (none for the provider). */
function buildBlock(
  info: ModuleInfo,
  moduleName: string,
  entries: HclEntry[],
  members: Map<string, boolean>,
  className: string | undefined,
): BlockSchema {
  const block = emptyBlock();
  const attributes = (className && info.classes.get(className)?.attributes) || new Map<string, string | undefined>();
  for (const entry of entries) {
    if (!members.has(entry.member)) throw new Error(`lib/${moduleName}: ${entry.name} has no interface member`);
    const required = !members.get(entry.member);
    if (!entry.isBlock) {
      block.arguments[entry.name] = required ? 'required' : 'optional';
      continue;
    }
    const struct = entry.struct && info.structs.get(entry.struct);
    if (!entry.struct || !struct) throw new Error(`lib/${moduleName}: no struct found for block ${entry.name}`);
    const element = elementClass(info, attributes.get(entry.name));
    block.blocks[entry.name] = {
      required,
      ...(entry.argument && { argument: true }),
      ...buildBlock(info, moduleName, struct, inputOf(info, entry.struct, moduleName), element),
    };
  }
  for (const [name, wrapper] of attributes) {
    if (Object.hasOwn(block.blocks, name)) continue;
    if (!Object.hasOwn(block.arguments, name)) block.computed.push(name);
    const element = elementClass(info, wrapper);
    if (element) block.objects[name] = readOnlyBlock(info, element);
  }
  return block;
}

/** The attributes of an object attribute, which are only read. */
function readOnlyBlock(info: ModuleInfo, className: string): BlockSchema {
  const block = emptyBlock();
  for (const [name, wrapper] of info.classes.get(className)?.attributes ?? []) {
    block.computed.push(name);
    const element = elementClass(info, wrapper);
    if (element) block.objects[name] = readOnlyBlock(info, element);
  }
  return block;
}

function elementClass(info: ModuleInfo, className: string | undefined): string | undefined {
  const cls = className === undefined ? undefined : info.classes.get(className);
  return cls?.element ?? (cls?.base === 'ComplexObject' ? className : undefined);
}

/** Interfaces' members (`readonly name?: type` being optional), and which interface each class and struct takes. */
function parseDeclarations(text: string, info: ModuleInfo): void {
  for (const m of text.matchAll(/^export interface (\w+)[^{\n]*\{\n([\s\S]*?)^\}/gm)) {
    const members = new Map<string, boolean>();
    for (const member of m[2].matchAll(/^\s+readonly (\w+)(\??):/gm)) members.set(member[1], member[2] === '?');
    info.interfaces.set(m[1], members);
  }
  // Names are suffixed when they clash (Wafv2WebAclAssociationConfigA), so they are read, not guessed.
  const configs =
    /^export declare class (\w+) extends cdktf\.Terraform(?:Resource|DataSource|Provider) \{$[\s\S]*?^ {4}constructor\(scope: Construct, id: string, config\??: (\w+)\);$/gm;
  for (const m of text.matchAll(configs)) info.inputs.set(m[1], m[2]);
  for (const m of text.matchAll(/^export declare function (\w+)ToHclTerraform\(struct\?: ([^)]*)\): any;$/gm)) {
    const type = m[2].split(' | ').find((t) => !t.includes('.') && !t.endsWith('OutputReference'));
    if (type) info.inputs.set(m[1], type);
  }
}

const hclEntry =
  /^\s+"?(\w+)"?: \{\n\s+value: (.*),\n\s+isBlock: (true|false),\n\s+type: "\w+",\n\s+storageClassType: "\w+",\n\s+\},$/gm;

/** A class's entries name its fields, which `fields` maps to the config's members; a struct's name the members. */
function parseHclEntries(body: string, fields = new Map<string, string>()): HclEntry[] {
  return [...body.matchAll(hclEntry)].map((m) => {
    const member = /(?:struct|this)\._?(\w+)/.exec(m[2])?.[1] ?? m[1];
    return {
      name: m[1],
      member: fields.get(member) ?? member,
      isBlock: m[3] === 'true',
      argument: /listMapperHcl\([\w.]+, false\)/.test(m[2]),
      struct: /(?<!cdktf\.)\b(\w+)ToHclTerraform\b/.exec(m[2])?.[1],
    };
  });
}

function parseJavaScript(text: string, info: ModuleInfo): void {
  for (const m of text.matchAll(/^function (\w+)ToHclTerraform\(struct\) \{\n([\s\S]*?)^\}/gm)) {
    info.structs.set(m[1], parseHclEntries(m[2]));
  }
  const starts = [...text.matchAll(/^class (\w+) extends cdktf\.(\w+) \{$/gm)];
  starts.forEach((m, i) => {
    const body = text.slice(m.index, starts[i + 1]?.index ?? text.length);
    const cls: ClassInfo = { base: m[2], attributes: new Map() };
    cls.terraformType = /terraformResourceType: '([^']+)'/.exec(body)?.[1];
    const synthesize = /^ {4}synthesizeHclAttributes\(\) \{\n([\s\S]*?)^ {4}\}/m.exec(body);
    // `this._getPasswordData = config.fetchPasswordData`: a field is not always named after its member.
    const fields = new Map(
      [...body.matchAll(/this\._(\w+)(?:\.internalValue)? = config\.(\w+);/g)].map((f) => [f[1], f[2]]),
    );
    if (synthesize) cls.hcl = parseHclEntries(synthesize[1], fields);
    cls.element = /^ {4}get\((?:index|key)\) \{\n\s+return new (?:\w+\.)?(\w+)\(/m.exec(body)?.[1];
    // Fields wrapping nested values: `this._alarms = new EcsServiceAlarmsOutputReference(this, "alarms")`.
    const wrappers = new Map<string, [string, string]>();
    for (const f of body.matchAll(/this\._(\w+) = new (?:\w+\.)?(\w+)\(this, "(\w+)"/g))
      wrappers.set(f[1], [f[3], f[2]]);
    for (const g of body.matchAll(/^ {4}get (\w+)\(\) \{\n\s+return (.*);$/gm)) {
      const read = /Attribute\('(\w+)'\)/.exec(g[2]);
      const field = /^this\._(\w+)$/.exec(g[2]);
      const wrapper = field ? wrappers.get(field[1]) : undefined;
      if (read) cls.attributes.set(read[1], undefined);
      else if (wrapper) cls.attributes.set(wrapper[0], wrapper[1]);
    }
    info.classes.set(m[1], cls);
  });
}

/** Streams a .tgz, handing each wanted file to onFile whole; the others are skipped, not buffered. */
async function readTar(
  file: string,
  want: (name: string) => boolean,
  onFile: (name: string, data: Buffer) => void,
): Promise<void> {
  await tar.t({
    file,
    filter: (name) => want(name),
    onReadEntry: (entry) => {
      const parts: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => parts.push(chunk));
      entry.on('end', () => onFile(entry.path, Buffer.concat(parts)));
    },
  });
}
