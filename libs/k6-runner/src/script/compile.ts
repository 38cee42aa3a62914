/**
 * The bundle as each VU's context compiles it: wrapped in a function that
 * receives the host bridge, and compiled from V8's code cache, which the
 * engine makes once (every VU would otherwise parse and compile it anew).
 */
import vm from 'node:vm';
import { BUNDLE_FILENAME } from './stack-map';

/**
 * ECMAScript's global built-ins. A context made by node:vm answers every
 * global lookup through an interceptor, some 70 times slower than a local
 * binding; the bundle sees these as locals of its wrapper instead (the same
 * objects, the context's own). `eval` stays global so that direct eval keeps
 * its meaning.
 */
const BUILTINS = [
  'globalThis',
  'Infinity',
  'NaN',
  'isFinite',
  'isNaN',
  'parseFloat',
  'parseInt',
  'decodeURI',
  'decodeURIComponent',
  'encodeURI',
  'encodeURIComponent',
  'escape',
  'unescape',
  'AggregateError',
  'Array',
  'ArrayBuffer',
  'Atomics',
  'BigInt',
  'BigInt64Array',
  'BigUint64Array',
  'Boolean',
  'DataView',
  'Date',
  'Error',
  'EvalError',
  'FinalizationRegistry',
  'Float32Array',
  'Float64Array',
  'Function',
  'Int8Array',
  'Int16Array',
  'Int32Array',
  'Intl',
  'JSON',
  'Map',
  'Math',
  'Number',
  'Object',
  'Promise',
  'Proxy',
  'RangeError',
  'ReferenceError',
  'Reflect',
  'RegExp',
  'Set',
  'SharedArrayBuffer',
  'String',
  'Symbol',
  'SyntaxError',
  'TypeError',
  'Uint8Array',
  'Uint8ClampedArray',
  'Uint16Array',
  'Uint32Array',
  'URIError',
  'WeakMap',
  'WeakRef',
  'WeakSet',
];

/** The wrapped bundle: one line before it, so that lineOffset -1 keeps the bundle's own line numbers (those of its source map). */
function wrap(code: string): string {
  return (
    `(function (__k6_host, __k6_meta, __k6_global) {"use strict"; const { ${BUILTINS.join(', ')} } = __k6_global;\n` +
    `${code}\nreturn __k6_bundle.controller;\n})`
  );
}

export function compileBundle(code: string, codeCache?: Buffer): vm.Script {
  return new vm.Script(wrap(code), { filename: BUNDLE_FILENAME, lineOffset: -1, cachedData: codeCache });
}

/** V8's code cache of the compiled bundle, for compileBundle in each VU. */
export function bundleCodeCache(code: string): Buffer {
  return compileBundle(code).createCachedData();
}
