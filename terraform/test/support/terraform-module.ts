import { parse } from '@cdktf/hcl2json';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/*
 * The Terraform root module as data. Providers cannot be downloaded where the
 * tests run, so `terraform validate` is not available: every .tf file is
 * parsed to JSON with @cdktf/hcl2json and the specs assert on that data.
 *
 * hcl2json keeps literals as JSON values and writes every expression as a
 * "${...}" string, e.g. `cpu = var.task_cpu` becomes "${var.task_cpu}", and
 * every block as a list of bodies.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Obj = { [key: string]: Json };

export const terraformDir = path.resolve(__dirname, '..', '..');
export const repoRoot = path.resolve(terraformDir, '..');

export interface TerraformModule {
  /** The module's directory. */
  dir: string;
  /** Its .tf files, sorted. */
  files: string[];
  /** type -> name -> body */
  resource: Record<string, Record<string, Obj>>;
  data: Record<string, Record<string, Obj>>;
  variable: Record<string, Obj>;
  output: Record<string, Obj>;
  locals: Obj;
  check: Record<string, Obj>;
  terraform: Obj[];
  provider: Record<string, Obj[]>;
  /** Renamed addresses: { from, to } as reference expressions. */
  moved: Obj[];
  /** Raw text of each .tf file. */
  text: Record<string, string>;
}

export const isObj = (v: Json | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const obj = (v: Json | undefined, what = 'value'): Obj => {
  if (!isObj(v)) throw new Error(`${what} is not an object: ${JSON.stringify(v)}`);
  return v;
};
export const arr = (v: Json | undefined, what = 'value'): Json[] => {
  if (!Array.isArray(v)) throw new Error(`${what} is not a list: ${JSON.stringify(v)}`);
  return v;
};
export const str = (v: Json | undefined, what = 'value'): string => {
  if (typeof v !== 'string') throw new Error(`${what} is not a string: ${JSON.stringify(v)}`);
  return v;
};
/** A nested block: its single body. */
export const block = (body: Obj, name: string): Obj => {
  const bodies = arr(body[name], name);
  if (bodies.length !== 1) throw new Error(`expected one "${name}" block, found ${bodies.length}`);
  return obj(bodies[0], name);
};
/** A nested block's bodies, none when it is absent. */
export const blocks = (body: Obj, name: string): Obj[] =>
  body[name] === undefined ? [] : arr(body[name], name).map((b) => obj(b, name));

/** Every string in a JSON value, recursively. */
export function strings(v: Json | undefined): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (isObj(v)) return Object.values(v).flatMap(strings);
  return [];
}

/** Every [key, value] pair in a JSON value, recursively. */
export function entries(v: Json | undefined): [string, Json][] {
  if (Array.isArray(v)) return v.flatMap(entries);
  if (isObj(v)) return Object.entries(v).flatMap(([k, x]) => [[k, x] as [string, Json], ...entries(x)]);
  return [];
}

function declareOnce<T>(record: Record<string, T>, name: string, value: T, what: string): void {
  if (name in record) throw new Error(`${what} "${name}" is declared twice`);
  record[name] = value;
}

/** Parses every .tf file of a module directory (the repository's terraform/ unless given). */
export async function loadModule(dir = terraformDir): Promise<TerraformModule> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.tf'))
    .sort();
  const mod: TerraformModule = {
    dir,
    files,
    resource: {},
    data: {},
    variable: {},
    output: {},
    locals: {},
    check: {},
    terraform: [],
    provider: {},
    moved: [],
    text: {},
  };
  for (const file of files) {
    const text = readFileSync(path.join(dir, file), 'utf8');
    mod.text[file] = text;
    const json = (await parse(file, text)) as Obj;
    for (const [kind, value] of Object.entries(json)) {
      if (kind === 'resource' || kind === 'data') {
        for (const [type, byName] of Object.entries(obj(value))) {
          for (const [name, bodies] of Object.entries(obj(byName))) {
            mod[kind][type] ??= {};
            declareOnce(mod[kind][type], name, obj(arr(bodies)[0]), `${kind} ${type}`);
          }
        }
      } else if (kind === 'variable' || kind === 'output' || kind === 'check') {
        for (const [name, bodies] of Object.entries(obj(value))) {
          declareOnce(mod[kind], name, obj(arr(bodies)[0]), kind);
        }
      } else if (kind === 'locals') {
        for (const body of arr(value)) {
          for (const [name, v] of Object.entries(obj(body))) declareOnce(mod.locals, name, v, 'local');
        }
      } else if (kind === 'terraform') {
        mod.terraform.push(...arr(value).map((b) => obj(b)));
      } else if (kind === 'provider') {
        for (const [name, bodies] of Object.entries(obj(value))) {
          mod.provider[name] = [...(mod.provider[name] ?? []), ...arr(bodies).map((b) => obj(b))];
        }
      } else if (kind === 'moved') {
        mod.moved.push(...arr(value).map((b) => obj(b)));
      } else {
        throw new Error(`${file}: unexpected top-level block "${kind}"`);
      }
    }
  }
  return mod;
}

let loaded: TerraformModule | undefined;

/** Loads terraform/ once before a spec file's tests; tf() then returns it. */
export function useTerraformModule(): void {
  beforeAll(async () => {
    loaded ??= await loadModule();
  });
}

export function tf(): TerraformModule {
  if (!loaded) throw new Error('call useTerraformModule() in the spec file first');
  return loaded;
}

export const resources = (type: string): Record<string, Obj> => tf().resource[type] ?? {};
export const resource = (type: string, name: string): Obj => {
  const body = resources(type)[name];
  if (!body) throw new Error(`resource ${type}.${name} is not declared`);
  return body;
};
export const local = (name: string): Json => {
  if (!(name in tf().locals)) throw new Error(`local.${name} is not declared`);
  return tf().locals[name];
};
/** "${local.x}" -> the value of local.x (once); anything else unchanged. */
export const deref = (v: Json): Json => {
  const m = typeof v === 'string' ? /^\$\{local\.([a-z0-9_]+)\}$/.exec(v) : null;
  return m ? local(m[1]) : v;
};
export const variable = (name: string): Obj => {
  const body = tf().variable[name];
  if (!body) throw new Error(`variable "${name}" is not declared`);
  return body;
};
export const validations = (name: string): string[] =>
  blocks(variable(name), 'validation').map((v) => str(v.condition, `${name} validation`));

/**
 * A list of the container definition (environment or secrets), with every list it may be assembled from:
 * written inline, or with concat() and conditionals over local lists.
 */
function containerList(
  key: 'environment' | 'secrets',
  valueKey: 'value' | 'valueFrom',
): { name: string; value: Json }[] {
  const definition = obj(deref(local('container_definition')), 'container_definition');
  const resolved = deref(definition[key]);
  const lists: Json[] = [];
  if (Array.isArray(resolved)) lists.push(resolved);
  else {
    // Assembled with concat() and conditionals: every local list it names.
    for (const [, name] of str(resolved).matchAll(/local\.([a-z0-9_]+)/g)) {
      const value = local(name);
      if (Array.isArray(value)) lists.push(value);
    }
  }
  if (lists.length === 0) throw new Error(`the container definition has no ${key} list`);
  return lists.flatMap((list) =>
    arr(list).map((entry) => {
      const e = obj(entry, `${key} entry`);
      return { name: str(e.name, `${key} name`), value: e[valueKey] };
    }),
  );
}

/** The environment list of the container definition, with every list it may be assembled from. */
export const containerEnvironment = (): { name: string; value: Json }[] => containerList('environment', 'value');

/** The secrets list of the container definition ({ name, valueFrom } as { name, value }), every list it may be assembled from. */
export const containerSecrets = (): { name: string; value: Json }[] => containerList('secrets', 'valueFrom');

/** A reference evaluate() has no binding for: returned as is, and refused where a boolean or a comparison needs it. */
export class Ref {
  constructor(readonly text: string) {}
}
export type Value = null | boolean | number | string | Ref;

/**
 * Evaluates a hcl2json expression ("${...}") of the small language conditions are written in: references
 * (bound by name in `bindings`, else a Ref), true/false/null, numbers, plain strings, !, &&, ||, ==, !=, <, <=,
 * >, >=, ?: and parentheses. Lets a spec run a condition or a conditional for each combination of settings,
 * as `terraform plan` would. Anything else (function calls, templates) throws.
 */
export function evaluate(expression: Json, bindings: Record<string, Value>): Value {
  const m = /^\$\{([\s\S]*)\}$/.exec(str(expression, 'expression'));
  if (!m) throw new Error(`not an expression: ${JSON.stringify(expression)}`);
  const source = m[1];
  const token =
    /\s*("(?:[^"\\]|\\.)*"|[0-9]+(?:\.[0-9]+)?|[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[(?:\d+|\*)\])*|&&|\|\||==|!=|<=|>=|[!?:()<>,])\s*/y;
  const tokens: string[] = [];
  while (token.lastIndex < source.length) {
    const at = token.lastIndex;
    const t = token.exec(source);
    // Something the tokenizer does not know: refuse rather than guess.
    if (!t) throw new Error(`cannot evaluate ${source} at ${source.slice(at)}`);
    tokens.push(t[1]);
  }
  let i = 0;
  const peek = () => tokens[i];
  const take = (t?: string) => {
    if (t !== undefined && tokens[i] !== t)
      throw new Error(`expected ${t} at ${tokens.slice(i).join(' ')} in ${source}`);
    return tokens[i++];
  };
  const bool = (v: Value): boolean => {
    if (typeof v !== 'boolean') throw new Error(`not a boolean: ${v instanceof Ref ? v.text : JSON.stringify(v)}`);
    return v;
  };
  const plain = (v: Value): Exclude<Value, Ref> => {
    if (v instanceof Ref) throw new Error(`unbound reference ${v.text} in ${source}`);
    return v;
  };
  const conditional = (): Value => {
    const condition = or();
    if (peek() !== '?') return condition;
    take('?');
    const then = conditional();
    take(':');
    const otherwise = conditional();
    return bool(condition) ? then : otherwise;
  };
  const or = (): Value => {
    let v = and();
    while (peek() === '||') {
      take();
      const right = and();
      v = bool(v) || bool(right);
    }
    return v;
  };
  const and = (): Value => {
    let v = comparison();
    while (peek() === '&&') {
      take();
      const right = comparison();
      v = bool(v) && bool(right);
    }
    return v;
  };
  const comparison = (): Value => {
    const v = unary();
    const op = peek();
    if (!['==', '!=', '<', '<=', '>', '>='].includes(op)) return v;
    take();
    const [a, b] = [plain(v), plain(unary())];
    if (op === '==') return a === b;
    if (op === '!=') return a !== b;
    if (typeof a !== 'number' || typeof b !== 'number') throw new Error(`${op} needs numbers in ${source}`);
    return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
  };
  const unary = (): Value => {
    if (peek() === '!') {
      take();
      return !bool(unary());
    }
    if (peek() === '(') {
      take('(');
      const v = conditional();
      take(')');
      return v;
    }
    const t = take();
    if (t === undefined) throw new Error(`unexpected end of ${source}`);
    if (t === 'true' || t === 'false') return t === 'true';
    if (t === 'null') return null;
    if (/^[0-9]/.test(t)) return Number(t);
    if (t.startsWith('"')) {
      if (/[$%]\{/.test(t)) throw new Error(`cannot evaluate the template ${t}`);
      return JSON.parse(t) as string;
    }
    if (peek() === '(') throw new Error(`cannot evaluate the function call ${t}(...) in ${source}`);
    return Object.hasOwn(bindings, t) ? bindings[t] : new Ref(t);
  };
  const value = conditional();
  if (i !== tokens.length) throw new Error(`cannot evaluate ${source} past ${tokens.slice(i).join(' ')}`);
  return value;
}
