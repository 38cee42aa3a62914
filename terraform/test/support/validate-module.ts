import type { BlockSchema, ProviderSchema } from './provider-schema';
import { isObj, obj, strings, type Json, type Obj, type TerraformModule } from './terraform-module';

/*
 * What `terraform validate` checks against the providers' schemas, on a
 * module loaded by loadModule(): every argument and nested block of the
 * resources, data sources and the aws provider configuration is in the
 * schema, required ones are present, and every reference to a resource's or
 * data source's attribute names an attribute it has.
 */

/** Types Terraform itself provides rather than hashicorp/aws, which are not checked. */
export const builtInResourceTypes = ['terraform_data'];
export const builtInDataSourceTypes = ['terraform_remote_state'];

const resourceMetaArguments = ['count', 'for_each', 'depends_on', 'provider', 'lifecycle', 'provisioner', 'connection'];
const dataMetaArguments = ['count', 'for_each', 'depends_on', 'provider', 'lifecycle'];
const providerMetaArguments = ['alias', 'version'];

/** The module's errors, e.g. `aws_ecs_service.this: unsupported argument "desired_cont"`; none when it is valid. */
export function validateModule(mod: TerraformModule, schema: ProviderSchema): string[] {
  const errors = new Set<string>();
  const scopedData = Object.values(mod.check).flatMap((check) => declarations(check.data));
  const data = [...declarations(mod.data), ...scopedData];

  for (const [type, name, body] of declarations(mod.resource)) {
    const block = own(schema.resources, type);
    if (block) checkBody(`${type}.${name}`, body, block, resourceMetaArguments, errors);
    else if (!builtInResourceTypes.includes(type)) errors.add(`${type}.${name}: resource type not in hashicorp/aws`);
  }
  for (const [type, name, body] of data) {
    const block = own(schema.dataSources, type);
    if (block) checkBody(`data.${type}.${name}`, body, block, dataMetaArguments, errors);
    else if (!builtInDataSourceTypes.includes(type))
      errors.add(`data.${type}.${name}: data source type not in hashicorp/aws`);
  }
  for (const [name, bodies] of Object.entries(mod.provider)) {
    if (name !== 'aws') errors.add(`provider "${name}": not hashicorp/aws, whose schema is the only one known`);
    else for (const body of bodies) checkBody('provider.aws', body, schema.provider, providerMetaArguments, errors);
  }

  const declared = new Set([
    ...declarations(mod.resource).map(([type, name]) => `${type}.${name}`),
    ...data.map(([type, name]) => `data.${type}.${name}`),
  ]);
  const everything: Json[] = [mod.resource, mod.data, mod.locals, mod.output, mod.check, mod.provider];
  for (const expression of everything.flatMap(strings).flatMap(interpolations)) {
    for (const ref of references(expression)) {
      const address = `${ref.data ? 'data.' : ''}${ref.type}.${ref.name}`;
      if (!declared.has(address))
        errors.add(`${address}: reference to an undeclared ${ref.data ? 'data source' : 'resource'}`);
      const block = own(ref.data ? schema.dataSources : schema.resources, ref.type);
      if (block) checkAttributePath(address, ref.attributes, block, errors);
    }
  }
  return [...errors];
}

/** record[key] when the record has it itself: keys come from the module, which could say `constructor`. */
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** [type, name, body] of each `resource`/`data` block in a type -> name -> body record (or hcl2json's lists). */
function declarations(record: Json | undefined): [string, string, Obj][] {
  if (record === undefined) return [];
  return Object.entries(obj(record)).flatMap(([type, byName]) =>
    Object.entries(obj(byName)).map(([name, body]): [string, string, Obj] => [
      type,
      name,
      obj(Array.isArray(body) ? body[0] : body),
    ]),
  );
}

function checkBody(path: string, body: Obj, block: BlockSchema, metaArguments: string[], errors: Set<string>): void {
  const dynamicTypes = new Set<string>();
  for (const [key, value] of Object.entries(body)) {
    if (metaArguments.includes(key) || Object.hasOwn(block.arguments, key)) continue;
    if (key === 'dynamic') {
      // dynamic "x" { for_each = …, content { … } } writes blocks of type x, each with content's arguments.
      for (const [type, generators] of Object.entries(obj(value, `${path} dynamic`))) {
        dynamicTypes.add(type);
        const nested = own(block.blocks, type);
        if (!nested) errors.add(`${path}: unsupported block type "${type}"`);
        else
          for (const content of asBodies(generators).flatMap((g) => asBodies(g.content))) {
            checkBody(`${path}.${type}`, content, nested, [], errors);
          }
      }
    } else if (Object.hasOwn(block.blocks, key)) {
      const nested = block.blocks[key];
      const bodies = asBodies(value);
      if (bodies.length === 0 && !nested.argument) errors.add(`${path}: "${key}" is a block, not an argument`);
      for (const body of bodies) checkBody(`${path}.${key}`, body, nested, [], errors);
    } else if (block.computed.includes(key)) {
      errors.add(`${path}: "${key}" is read-only, it cannot be set`);
    } else {
      errors.add(`${path}: unsupported ${asBodies(value).length > 0 ? 'block type' : 'argument'} "${key}"`);
    }
  }
  for (const [name, use] of Object.entries(block.arguments)) {
    if (use === 'required' && !Object.hasOwn(body, name)) errors.add(`${path}: missing required argument "${name}"`);
  }
  for (const [name, nested] of Object.entries(block.blocks)) {
    if (nested.required && !Object.hasOwn(body, name) && !dynamicTypes.has(name)) {
      errors.add(`${path}: missing required block "${name}"`);
    }
  }
}

/** hcl2json writes each nested block as a list of bodies; anything else is an argument's value. */
function asBodies(value: Json | undefined): Obj[] {
  return Array.isArray(value) && value.length > 0 && value.every(isObj) ? value : [];
}

/** Follows `a[0].b` through nested blocks and object attributes; anything past a plain attribute is its value's. */
function checkAttributePath(address: string, attributes: string[], root: BlockSchema, errors: Set<string>): void {
  let block: BlockSchema | undefined = root;
  let path = address;
  for (const attribute of attributes) {
    if (!block) return;
    path += `.${attribute}`;
    if (Object.hasOwn(block.blocks, attribute)) block = block.blocks[attribute];
    else if (Object.hasOwn(block.objects, attribute)) block = block.objects[attribute];
    else if (Object.hasOwn(block.arguments, attribute) || block.computed.includes(attribute)) block = undefined;
    else return void errors.add(`${path}: unsupported attribute`);
  }
}

/**
 * The expressions a hcl2json string interpolates ("${…}", "%{…}"), nested ones
 * included, with comments and the text of string literals and heredocs left
 * out: an ARN or a message mentioning aws_lb.this.x is not a reference.
 */
export function interpolations(template: string): string[] {
  const found: string[] = [];
  scanTemplate(template, 0, template.length, false, found);
  return found;
}

/** Scans template text up to `end`, or past the closing quote of a quoted one; returns where it stopped. */
function scanTemplate(s: string, start: number, end: number, quoted: boolean, found: string[]): number {
  let i = start;
  while (i < end) {
    if (quoted && s[i] === '"') return i + 1;
    if (quoted && s[i] === '\\') i += 2;
    else if (s.startsWith('$${', i) || s.startsWith('%%{', i)) i += 3;
    else if ((s[i] === '$' || s[i] === '%') && s[i + 1] === '{') i = scanExpression(s, i + 2, found);
    else i++;
  }
  return i;
}

/** Scans an expression up to its closing brace, adding its code to `found`; returns the index past the brace. */
function scanExpression(s: string, start: number, found: string[]): number {
  let code = '';
  let depth = 0;
  let i = start;
  while (i < s.length) {
    const heredoc = s.startsWith('<<', i) ? /^<<-?(\w+)\n/.exec(s.slice(i, i + 100)) : null;
    if (s[i] === '"') {
      code += '""';
      i = scanTemplate(s, i + 1, s.length, true, found);
    } else if (heredoc) {
      const terminator = new RegExp(`\\n[ \\t]*${heredoc[1]}[ \\t]*(?=\\n|$)`, 'g');
      terminator.lastIndex = i + heredoc[0].length - 1;
      const close = terminator.exec(s);
      const end = close ? close.index : s.length;
      scanTemplate(s, i + heredoc[0].length, end, false, found);
      code += '""';
      i = close ? end + close[0].length : s.length;
    } else if (s[i] === '#' || s.startsWith('//', i)) {
      i = s.includes('\n', i) ? s.indexOf('\n', i) : s.length;
    } else if (s.startsWith('/*', i)) {
      i = s.includes('*/', i) ? s.indexOf('*/', i) + 2 : s.length;
    } else if (s[i] === '}' && depth === 0) {
      break;
    } else {
      if (s[i] === '{') depth++;
      if (s[i] === '}') depth--;
      code += s[i++];
    }
  }
  found.push(code);
  return i + 1;
}

interface Reference {
  data: boolean;
  type: string;
  name: string;
  /** The attribute names after the resource, indexes and splats left out. */
  attributes: string[];
}

/** `aws_x.name[…].attr…` and `data.aws_x.name.attr…` in an expression's code. */
export function references(code: string): Reference[] {
  const found: Reference[] = [];
  for (const m of code.matchAll(/(?<![\w.-])(data\.)?(aws_\w+)\.([A-Za-z_][\w-]*)/g)) {
    const attributes: string[] = [];
    let i = m.index + m[0].length;
    for (;;) {
      if (code[i] === '[') {
        i = closingBracket(code, i) + 1;
      } else if (code.startsWith('.*', i)) {
        i += 2;
      } else {
        const step = /^\.([A-Za-z_][\w-]*|\d+)/.exec(code.slice(i, i + 200));
        if (!step) break;
        if (!/^\d/.test(step[1])) attributes.push(step[1]);
        i += step[0].length;
      }
    }
    found.push({ data: Boolean(m[1]), type: m[2], name: m[3], attributes });
  }
  return found;
}

function closingBracket(code: string, open: number): number {
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    if (code[i] === '[') depth++;
    else if (code[i] === ']' && --depth === 0) return i;
  }
  return code.length;
}
