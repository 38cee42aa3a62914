/**
 * The `k6/http` module (k6 docs, "k6/http"). A request blocks this VU until
 * its answer is complete, as in k6; the engine performs it and records its
 * metrics. A request that gets no answer returns status 0 with `error` and
 * `error_code` set (and throws only with options.throw).
 */
import { parseDuration } from '../../options/duration';
import type { ExpectedStatuses, HttpRequestSpec, HttpResponseData, HttpTimings, ResponseCookieData } from '../protocol';
import { adopt, host } from './host';
import { selectJson } from './json-selector';
import { currentTags, takeSamples, vu } from './state';

export const TLS_1_0 = 'tls1.0';
export const TLS_1_1 = 'tls1.1';
export const TLS_1_2 = 'tls1.2';
export const TLS_1_3 = 'tls1.3';
export const SSL_3_0 = 'ssl3.0';

export interface HttpDefaults {
  userAgent: string;
  maxRedirects: number;
  discardResponseBodies: boolean;
}

let defaults: HttpDefaults = { userAgent: '', maxRedirects: 10, discardResponseBodies: false };

export function setHttpDefaults(value: HttpDefaults): void {
  defaults = value;
}

const DEFAULT_TIMEOUT_MS = 60_000;

function unsupported(what: string): Error {
  return new Error(`${what} is not supported by this runner; run this script with k6`);
}

// ---------------------------------------------------------------------------
// Expected statuses

/** What http.expectedStatuses() returns: the only response callback k6 has. */
class ExpectedStatusesCallback {
  constructor(readonly ranges: [number, number][]) {
    Object.freeze(this);
  }
}

export function expectedStatuses(...statuses: unknown[]): ExpectedStatusesCallback {
  const ranges = statuses.map((status, i): [number, number] => {
    if (typeof status === 'number' && Number.isInteger(status)) return [status, status];
    if (status !== null && typeof status === 'object') {
      const { min, max } = status as { min?: unknown; max?: unknown };
      if (typeof min === 'number' && typeof max === 'number' && Number.isInteger(min) && Number.isInteger(max)) {
        return [min, max];
      }
    }
    throw new TypeError(
      `argument number ${i + 1} to expectedStatuses was neither an integer nor an object like {min:100, max:200}`,
    );
  });
  return new ExpectedStatusesCallback(ranges);
}

function expectedFrom(callback: unknown, where: string): ExpectedStatuses {
  if (callback === null) return null;
  if (callback instanceof ExpectedStatusesCallback) return callback.ranges;
  throw new TypeError(`${where} must be the result of http.expectedStatuses() or null`);
}

/** Sets which statuses count as expected (not failed) for this VU's requests from now on. */
export function setResponseCallback(callback: unknown): void {
  vu.expected = expectedFrom(callback, 'setResponseCallback()');
}

// ---------------------------------------------------------------------------
// http.url``: a URL whose `name` tag keeps the template, so ids group together

class HttpUrl {
  constructor(
    readonly url: string,
    readonly name: string,
  ) {}

  toString(): string {
    return this.url;
  }
}

export function url(strings: TemplateStringsArray, ...values: unknown[]): HttpUrl {
  let text = strings[0];
  let name = strings[0];
  for (let i = 0; i < values.length; i++) {
    text += String(values[i]) + strings[i + 1];
    name += `\${}${strings[i + 1]}`;
  }
  return new HttpUrl(text, name);
}

// ---------------------------------------------------------------------------
// Cookie jars

/** The VU's cookie jar (k6 has one per VU; it is emptied before each iteration). */
class CookieJar {
  cookiesForURL(target: string): Record<string, string[]> {
    return adopt(host.request({ kind: 'cookieJar', op: 'get', url: String(target), iteration: iterationNow() }));
  }

  set(target: string, name: string, value: string, options?: Record<string, unknown>): void {
    jarReply(
      host.request({
        kind: 'cookieJar',
        op: 'set',
        url: String(target),
        name: String(name),
        value: String(value),
        options: options ?? {},
        iteration: iterationNow(),
      }),
    );
  }

  clear(target: string): void {
    jarReply(host.request({ kind: 'cookieJar', op: 'clear', url: String(target), iteration: iterationNow() }));
  }

  delete(target: string, name: string): void {
    jarReply(
      host.request({
        kind: 'cookieJar',
        op: 'delete',
        url: String(target),
        name: String(name),
        iteration: iterationNow(),
      }),
    );
  }
}

function iterationNow(): number {
  return vu.iteration?.iterationInInstance ?? -1;
}

function jarReply(reply: unknown): void {
  const { error } = adopt<{ error?: string }>(reply);
  if (error !== undefined) throw new Error(error);
}

const theJar = new CookieJar();

export function cookieJar(): CookieJar {
  return theJar;
}

// ---------------------------------------------------------------------------
// Responses

export class Response {
  status!: number;
  status_text!: string;
  proto!: string;
  url!: string;
  headers!: Record<string, string>;
  body!: string | ArrayBuffer | null;
  error!: string;
  error_code!: number;
  timings!: HttpTimings;
  remote_ip!: string;
  remote_port!: number;
  tls_version!: string;
  tls_cipher_suite = '';
  ocsp = { produced_at: 0, this_update: 0, next_update: 0, revocation_reason: '', revoked_at: 0, status: '' };
  cookies!: Record<string, ResponseCookieData[]>;
  request!: HttpResponseData['request'];
  private parsed: { value: unknown } | undefined;

  constructor(data: HttpResponseData) {
    Object.assign(this, data);
    Object.defineProperty(this, 'parsed', { enumerable: false, writable: true, value: undefined });
  }

  /** The body parsed as JSON, or the part of it a GJSON-style selector names. */
  json(selector?: string): unknown {
    if (this.parsed === undefined) {
      if (this.body === null) {
        throw new Error(
          "the body is null so we can't transform it to JSON - this likely was because of a request error getting the response",
        );
      }
      const text = typeof this.body === 'string' ? this.body : new TextDecoderLite().decode(this.body);
      try {
        this.parsed = { value: JSON.parse(text) };
      } catch (error) {
        throw new Error(`cannot parse json due to an error: ${(error as Error).message}`);
      }
    }
    return selector === undefined ? this.parsed.value : selectJson(this.parsed.value, String(selector));
  }

  html(): never {
    throw unsupported('Response.html() (k6/html)');
  }

  clickLink(): never {
    throw unsupported('Response.clickLink() (k6/html)');
  }

  submitForm(): never {
    throw unsupported('Response.submitForm() (k6/html)');
  }
}

/** UTF-8 decoding without TextDecoder, which k6's runtime (and this context) lacks. */
class TextDecoderLite {
  decode(buffer: ArrayBuffer): string {
    const bytes = new Uint8Array(buffer);
    let encoded = '';
    for (let i = 0; i < bytes.length; i++) encoded += `%${bytes[i].toString(16).padStart(2, '0')}`;
    try {
      return decodeURIComponent(encoded);
    } catch {
      return String.fromCharCode(...bytes);
    }
  }
}

// ---------------------------------------------------------------------------
// Requests

type Params = {
  headers?: Record<string, unknown>;
  tags?: Record<string, unknown>;
  timeout?: unknown;
  redirects?: unknown;
  responseType?: unknown;
  responseCallback?: unknown;
  cookies?: Record<string, unknown>;
  jar?: unknown;
  auth?: unknown;
  compression?: unknown;
};

const PARAMS = [
  'headers',
  'tags',
  'timeout',
  'redirects',
  'responseType',
  'responseCallback',
  'cookies',
  'jar',
  'auth',
  'compression',
];

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function encodeForm(fields: Record<string, unknown>): string {
  return Object.keys(fields)
    .map((key) => {
      const value = fields[key];
      if (isRecord(value) && 'data' in value) throw unsupported('http.file() (multipart bodies)');
      return `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`;
    })
    .join('&');
}

function hasHeader(headers: [string, string][], name: string): boolean {
  const wanted = name.toLowerCase();
  return headers.some(([key]) => key.toLowerCase() === wanted);
}

function buildSpec(method: unknown, target: unknown, body: unknown, rawParams: unknown): HttpRequestSpec {
  if (typeof method !== 'string' || method === '') throw new TypeError('the request method must be a non-empty string');
  if (rawParams !== undefined && rawParams !== null && !isRecord(rawParams))
    throw new TypeError('request params must be an object');
  const params: Params = rawParams ?? {};
  for (const key of Object.keys(params)) {
    if (!PARAMS.includes(key)) throw new TypeError(`unknown request param "${key}" (k6 has: ${PARAMS.join(', ')})`);
  }
  if (params.compression !== undefined && params.compression !== '') throw unsupported('the compression param');
  if (params.auth !== undefined && params.auth !== 'basic') throw unsupported(`auth: "${String(params.auth)}"`);
  if (params.jar !== undefined && params.jar !== null && params.jar !== theJar) {
    throw unsupported("a cookie jar other than the VU's own (http.cookieJar())");
  }

  const urlText = target instanceof HttpUrl ? target.url : String(target);
  const nameTag = target instanceof HttpUrl ? target.name : urlText;

  const headers: [string, string][] = [];
  if (params.headers !== undefined && params.headers !== null) {
    if (!isRecord(params.headers)) throw new TypeError('params.headers must be an object of header names to values');
    for (const key of Object.keys(params.headers)) headers.push([key, String(params.headers[key])]);
  }
  if (defaults.userAgent !== '' && !hasHeader(headers, 'User-Agent')) headers.push(['User-Agent', defaults.userAgent]);

  let payload: string | ArrayBuffer | null = null;
  if (body !== undefined && body !== null) {
    if (typeof body === 'string') {
      payload = body;
    } else if (body instanceof ArrayBuffer) {
      payload = body;
    } else if (ArrayBuffer.isView(body)) {
      payload = new Uint8Array(body.buffer, body.byteOffset, body.byteLength).slice().buffer;
    } else if (isRecord(body)) {
      payload = encodeForm(body);
      if (!hasHeader(headers, 'Content-Type')) headers.push(['Content-Type', 'application/x-www-form-urlencoded']);
    } else {
      payload = String(body);
    }
  }

  const tags = currentTags();
  if (params.tags !== undefined && params.tags !== null) {
    if (!isRecord(params.tags)) throw new TypeError('params.tags must be an object');
    for (const key of Object.keys(params.tags)) tags[key] = String(params.tags[key]);
  }
  if (tags.name === undefined) tags.name = nameTag;

  const responseType = params.responseType ?? (defaults.discardResponseBodies ? 'none' : 'text');
  if (responseType !== 'text' && responseType !== 'binary' && responseType !== 'none') {
    throw new TypeError(`responseType must be "text", "binary" or "none"; got ${JSON.stringify(responseType)}`);
  }

  const cookies: HttpRequestSpec['cookies'] = [];
  if (params.cookies !== undefined && params.cookies !== null) {
    if (!isRecord(params.cookies)) throw new TypeError('params.cookies must be an object');
    for (const name of Object.keys(params.cookies)) {
      const value = params.cookies[name];
      if (isRecord(value)) cookies.push({ name, value: String(value.value ?? ''), replace: value.replace === true });
      else cookies.push({ name, value: String(value), replace: false });
    }
  }

  const redirects = params.redirects ?? defaults.maxRedirects;
  if (typeof redirects !== 'number' || !Number.isInteger(redirects) || redirects < 0) {
    throw new TypeError('params.redirects must be a whole number of redirects to follow');
  }

  return {
    method: method.toUpperCase(),
    url: urlText,
    headers,
    body: payload,
    timeoutMs:
      params.timeout === undefined || params.timeout === null
        ? DEFAULT_TIMEOUT_MS
        : parseDuration(params.timeout, 'params.timeout'),
    redirects,
    responseType,
    tags,
    expected:
      params.responseCallback === undefined
        ? vu.expected
        : expectedFrom(params.responseCallback, 'params.responseCallback'),
    cookies,
    useJar: params.jar !== null,
  };
}

function perform(specs: HttpRequestSpec[]): Response[] {
  if (vu.lifecycle === 'init') throw new Error('making HTTP requests in the init context is not supported');
  const data = adopt<HttpResponseData[]>(
    host.request({
      kind: 'http',
      requests: specs,
      samples: takeSamples(),
      iteration: vu.iteration?.iterationInInstance ?? -1,
    }),
  );
  return data.map((item) => {
    if (item.error !== '' && host.throwErrors) throw new Error(item.error);
    return new Response(item);
  });
}

export function request(method: string, target: unknown, body?: unknown, params?: unknown): Response {
  return perform([buildSpec(method, target, body, params)])[0];
}

/** k6's promise-returning request; here it completes before the promise is returned. */
export function asyncRequest(method: string, target: unknown, body?: unknown, params?: unknown): Promise<Response> {
  return new Promise((resolve) => resolve(request(method, target, body, params)));
}

export const get = (target: unknown, params?: unknown): Response => request('GET', target, null, params);
export const head = (target: unknown, params?: unknown): Response => request('HEAD', target, null, params);
export const post = (target: unknown, body?: unknown, params?: unknown): Response =>
  request('POST', target, body, params);
export const put = (target: unknown, body?: unknown, params?: unknown): Response =>
  request('PUT', target, body, params);
export const patch = (target: unknown, body?: unknown, params?: unknown): Response =>
  request('PATCH', target, body, params);
export const del = (target: unknown, body?: unknown, params?: unknown): Response =>
  request('DELETE', target, body, params);
export const options = (target: unknown, body?: unknown, params?: unknown): Response =>
  request('OPTIONS', target, body, params);

function batchItem(item: unknown): HttpRequestSpec {
  if (typeof item === 'string' || item instanceof HttpUrl) return buildSpec('GET', item, null, undefined);
  if (Array.isArray(item)) return buildSpec(item[0], item[1], item[2], item[3]);
  if (isRecord(item)) return buildSpec(item.method ?? 'GET', item.url, item.body, item.params);
  throw new TypeError('each batch request must be a URL, [method, url, body, params] or { method, url, body, params }');
}

/** Sends the requests in parallel and returns their responses in the same shape (array or object). */
export function batch(requests: unknown): Response[] | Record<string, Response> {
  if (Array.isArray(requests)) return perform(requests.map(batchItem));
  if (!isRecord(requests)) throw new TypeError('batch() needs an array or an object of requests');
  const keys = Object.keys(requests);
  const responses = perform(keys.map((key) => batchItem(requests[key])));
  const out: Record<string, Response> = {};
  keys.forEach((key, i) => (out[key] = responses[i]));
  return out;
}

export function file(): never {
  throw unsupported('http.file() (multipart bodies)');
}

export default {
  request,
  asyncRequest,
  get,
  head,
  post,
  put,
  patch,
  del,
  options,
  batch,
  url,
  file,
  cookieJar,
  expectedStatuses,
  setResponseCallback,
  TLS_1_0,
  TLS_1_1,
  TLS_1_2,
  TLS_1_3,
  SSL_3_0,
};
