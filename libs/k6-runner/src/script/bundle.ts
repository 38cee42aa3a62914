/**
 * Turns a k6 script (.js or .ts, with its imports) into one program a VU's
 * context evaluates, with esbuild: TypeScript types stripped (as k6 does),
 * `k6/*` imports bound to this runner's modules, remote (https) modules
 * fetched once, and `import.meta` per file. Imports resolve as k6 resolves
 * them: relative paths literally (with their extension), no node_modules, no
 * Node built-ins, so a script that runs here also runs under k6.
 */
import { type Plugin, build } from 'esbuild';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The runtime modules (vu/js), as .ts when running from source and .js when built. */
const RUNTIME_DIR = path.resolve(__dirname, '../vu/js');
const RUNTIME_EXT = path.extname(__filename);

/** This runner's sources: their imports resolve normally, and their frames are left out of script stack traces. */
export const RUNTIME_ROOT = path.resolve(RUNTIME_DIR, '..', '..');

function runtimeModule(name: string): string {
  return path.join(RUNTIME_DIR, `${name}${RUNTIME_EXT}`);
}

/** k6's modules this runner provides, with the names each exports. */
const MODULES: Record<string, { file: string; exports: string[] }> = {
  k6: { file: 'k6', exports: ['check', 'group', 'sleep', 'fail', 'randomSeed'] },
  'k6/http': {
    file: 'http',
    exports: [
      'request',
      'asyncRequest',
      'get',
      'head',
      'post',
      'put',
      'patch',
      'del',
      'options',
      'batch',
      'url',
      'file',
      'cookieJar',
      'expectedStatuses',
      'setResponseCallback',
      'TLS_1_0',
      'TLS_1_1',
      'TLS_1_2',
      'TLS_1_3',
      'SSL_3_0',
    ],
  },
  'k6/execution': { file: 'execution', exports: ['vu', 'scenario', 'instance', 'test'] },
  'k6/metrics': { file: 'metrics', exports: ['Counter', 'Gauge', 'Rate', 'Trend'] },
};

export class BundleError extends Error {}

export interface Bundle {
  /** The program: evaluating it defines `__k6_bundle`, whose `controller` drives the VU. */
  code: string;
  /** Its source map (JSON), sources as absolute paths or URLs. */
  sourceMap: string;
  /** The script's own files, for messages. */
  entry: string;
  /** The runner's sources (RUNTIME_ROOT): stack traces leave their frames out. */
  runtimeRoot: string;
}

function isRemote(specifier: string): boolean {
  return /^https?:\/\//i.test(specifier);
}

function isInside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** How a k6 module maps onto this runner's: named re-exports, so an unknown name fails at bundle time. */
function moduleSource(name: string): string {
  const module = MODULES[name];
  const file = JSON.stringify(runtimeModule(module.file));
  return [
    `import * as m from ${file};`,
    'export default m.default;',
    ...module.exports.map((key) => `export const ${key} = m.${key};`),
  ].join('\n');
}

const REMOTE_TIMEOUT_MS = 30_000;

async function fetchRemote(url: string): Promise<string> {
  let response: Awaited<ReturnType<typeof fetch>>;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(REMOTE_TIMEOUT_MS), redirect: 'follow' });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new BundleError(
      `could not fetch the remote module ${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
    );
  }
  if (!response.ok) throw new BundleError(`could not fetch the remote module ${url}: HTTP ${response.status}`);
  return response.text();
}

function loaderFor(file: string): 'ts' | 'js' {
  const ext = path.extname(new URL(file, 'file:///').pathname).toLowerCase();
  if (ext === '.ts' || ext === '.mts' || ext === '.cts') return 'ts';
  return 'js';
}

/** Gives each module its own `import.meta` (url and resolve), as k6 does. */
function withImportMeta(source: string, url: string): string {
  if (!source.includes('import.meta')) return source;
  // Prepended on the first line, so the source map's line numbers stay right.
  return `const __k6_import_meta = __k6_meta(${JSON.stringify(url)});${source}`;
}

const K6_PLUGIN: Plugin = {
  name: 'k6-modules',
  setup(builder) {
    builder.onResolve({ filter: /.*/ }, (args) => {
      const { path: specifier, importer, namespace } = args;
      if (namespace === 'k6') return { path: specifier }; // a module shim's import of its runtime module
      if (importer !== '' && namespace === 'file' && isInside(importer, RUNTIME_ROOT)) {
        return undefined; // the runtime's own imports resolve normally
      }
      if (specifier === 'k6' || specifier.startsWith('k6/')) {
        if (MODULES[specifier] !== undefined) return { path: specifier, namespace: 'k6' };
        return {
          errors: [
            {
              text: `the module "${specifier}" is not supported by this runner (it has ${Object.keys(MODULES).join(', ')}); run this script with k6`,
            },
          ],
        };
      }
      if (namespace === 'remote') {
        return { path: new URL(specifier, importer).href, namespace: 'remote' };
      }
      if (isRemote(specifier)) return { path: specifier, namespace: 'remote' };
      const bare = specifier.replace(/^node:/, '');
      if (specifier.startsWith('node:') || builtinModules.includes(bare)) {
        return { errors: [{ text: `k6 scripts cannot import Node.js modules ("${specifier}"): k6 is not Node.js` }] };
      }
      let file: string;
      if (specifier.startsWith('file://')) file = fileURLToPath(specifier);
      else if (path.isAbsolute(specifier)) file = specifier;
      else if (specifier.startsWith('./') || specifier.startsWith('../'))
        file = path.resolve(args.resolveDir, specifier);
      else {
        return {
          errors: [
            {
              text: `k6 cannot import "${specifier}" (k6 does not read node_modules): import a file by its relative path, with its extension`,
            },
          ],
        };
      }
      if (!existsSync(file) || !statSync(file).isFile()) {
        return {
          errors: [
            {
              text: `cannot find "${specifier}" (${file}); k6 resolves imports literally, so give the file's own name with its extension`,
            },
          ],
        };
      }
      return { path: file };
    });

    builder.onLoad({ filter: /.*/, namespace: 'k6' }, (args) => ({
      contents: moduleSource(args.path),
      loader: 'js',
      resolveDir: RUNTIME_DIR,
    }));

    builder.onLoad({ filter: /.*/, namespace: 'remote' }, async (args) => ({
      contents: withImportMeta(await fetchRemote(args.path), args.path),
      loader: loaderFor(args.path),
    }));

    builder.onLoad({ filter: /.*/, namespace: 'file' }, (args) => {
      if (isInside(args.path, RUNTIME_ROOT)) {
        // Without its own source map, the runner's code maps to files under RUNTIME_ROOT, which stack traces leave out.
        const source = readFileSync(args.path, 'utf8').replace(/^\/\/# sourceMappingURL=.*$/m, '');
        return { contents: source, loader: loaderFor(args.path), resolveDir: path.dirname(args.path) };
      }
      const ext = path.extname(args.path).toLowerCase();
      if (!['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'].includes(ext)) {
        return {
          errors: [
            {
              text: `k6 imports JavaScript and TypeScript files only; ${args.path} is neither (read data with open())`,
            },
          ],
        };
      }
      return {
        contents: withImportMeta(readFileSync(args.path, 'utf8'), pathToFileURL(args.path).href),
        loader: loaderFor(args.path),
      };
    });
  },
};

/** The entry: k6's globals first, then the script (its init code), then the controller the worker drives. */
function entrySource(scriptPath: string): string {
  return [
    `import ${JSON.stringify(runtimeModule('globals'))};`,
    `import * as script from ${JSON.stringify(scriptPath)};`,
    `import { createController } from ${JSON.stringify(runtimeModule('controller'))};`,
    'export const controller = createController(script);',
  ].join('\n');
}

export async function bundleScript(scriptPath: string): Promise<Bundle> {
  const entry = path.resolve(scriptPath);
  if (!existsSync(entry) || !statSync(entry).isFile()) throw new BundleError(`the script ${scriptPath} does not exist`);
  const outfile = path.join(path.dirname(entry), '__k6_bundle__.js');
  const result = await build({
    // The entry counts as the runner's own code (its frames are left out of stack traces).
    stdin: {
      contents: entrySource(entry),
      loader: 'js',
      resolveDir: path.dirname(entry),
      sourcefile: path.join(RUNTIME_ROOT, 'entry.js'),
    },
    bundle: true,
    write: false,
    format: 'iife',
    globalName: '__k6_bundle',
    platform: 'neutral',
    target: 'esnext',
    outfile,
    sourcemap: 'external',
    sourcesContent: false,
    define: { 'import.meta': '__k6_import_meta' },
    // Functions keep their names (`default`, not the bundle's `script_default`) in stack traces and .name.
    keepNames: true,
    tsconfigRaw: {},
    logLevel: 'silent',
    plugins: [K6_PLUGIN],
  }).catch(
    (error: { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }) => {
      const messages = (error.errors ?? []).map((e) =>
        e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ${e.text}` : e.text,
      );
      throw new BundleError(
        messages.length > 0
          ? messages.join('\n')
          : error instanceof Error
            ? error.message
            : 'the script could not be bundled',
      );
    },
  );
  const code = result.outputFiles.find((f) => f.path.endsWith('.js'))?.text ?? '';
  const rawMap = JSON.parse(result.outputFiles.find((f) => f.path.endsWith('.map'))?.text ?? '{}') as {
    sources?: string[];
  };
  rawMap.sources = (rawMap.sources ?? []).map((source) =>
    /^[a-z][a-z0-9+.-]*:/i.test(source) && !/^[a-z]:[\\/]/i.test(source)
      ? source
      : path.resolve(path.dirname(outfile), source),
  );
  return { code, sourceMap: JSON.stringify(rawMap), entry, runtimeRoot: RUNTIME_ROOT };
}
