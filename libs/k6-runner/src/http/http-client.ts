/**
 * HTTP for the VUs, done by the engine's thread with undici (Node's own HTTP
 * client library, half the CPU per request of node:http): each VU has its own
 * keep-alive connections and cookie jar (as in k6), redirects are followed,
 * and every request (each redirect too) is measured the way k6 splits a
 * request's time: blocked, connecting, tls_handshaking, sending, waiting,
 * receiving.
 */
import { lookup as dnsLookup } from 'node:dns';
import type { LookupFunction, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { TLSSocket } from 'node:tls';
import zlib from 'node:zlib';
import { Cookie, CookieJar } from 'tough-cookie';
import { Pool, buildConnector } from 'undici';
import type { HttpSettings } from '../options/run-plan';
import type { HttpRequestSpec, HttpResponseData, HttpTimings, ResponseCookieData } from '../vu/protocol';

/** One request on the wire (a redirect is another), with what its metrics need. */
export interface Exchange {
  method: string;
  url: string;
  status: number;
  proto: string;
  tlsVersion: string;
  error: string;
  errorCode: number;
  timings: HttpTimings;
  bytesSent: number;
  bytesReceived: number;
}

export interface HttpOutcome {
  response: HttpResponseData;
  exchanges: Exchange[];
  /** What the run's log should say about this request (k6 prints these as warnings). */
  warnings: string[];
}

/** Response headers by lower-case name; Set-Cookie keeps each of its values. */
type ResponseHeaders = Record<string, string> & { 'set-cookie'?: string[] };

/** One exchange as it came off the wire, before it becomes a k6 Response. */
interface Received {
  exchange: Exchange;
  headers: ResponseHeaders;
  setCookies: string[];
  statusMessage: string;
  body: Buffer;
  remoteIp: string;
  remotePort: number;
  sentHeaders: [string, string][];
  sentCookies: Map<string, string>;
}

/** When a connection was asked for and reached each step (performance.now() ms). */
interface ConnectTiming {
  start: number;
  lookup?: number;
  connect?: number;
  secure?: number;
  ready?: number;
}

/** The VU's connections to one origin, and what its latest connection took. */
interface OriginPool {
  pool: Pool;
  latest: ConnectTiming | undefined;
  socket: Socket | undefined;
}

const canonicalNames = new Map<string, string>();
/** Header names seen are few; remembering their canonical form spares a regex per header of every response. */
const CANONICAL_NAMES_KEPT = 1000;

/** Go's canonical header key (what k6 shows): `content-type` → `Content-Type`. */
export function canonicalHeader(name: string): string {
  let canonical = canonicalNames.get(name);
  if (canonical === undefined) {
    canonical = name
      .toLowerCase()
      .replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
    if (canonicalNames.size < CANONICAL_NAMES_KEPT) canonicalNames.set(name, canonical);
  }
  return canonical;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function tlsVersionName(protocol: string | null): string {
  if (protocol === null) return '';
  const match = /^TLSv(\d)(?:\.(\d))?$/.exec(protocol);
  return match === null ? protocol.toLowerCase() : `tls${match[1]}.${match[2] ?? '0'}`;
}

/** k6's error codes (k6 docs, "Error codes") for what went wrong below HTTP. */
function classify(
  error: NodeJS.ErrnoException & { code?: string },
  method: string,
  url: URL,
): { code: number; text: string } {
  const prefix = `${method.charAt(0)}${method.slice(1).toLowerCase()} "${url.href}"`;
  const hostPort = `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
  switch (error.code) {
    case 'K6_TIMEOUT':
      return { code: 1050, text: 'request timeout' };
    case 'UND_ERR_SOCKET':
      return { code: 1220, text: `${prefix}: read: connection reset by peer` };
    case 'UND_ERR_CONNECT_TIMEOUT':
      return { code: 1211, text: `${prefix}: dial tcp ${hostPort}: i/o timeout` };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { code: 1101, text: `${prefix}: lookup ${url.hostname}: no such host` };
    case 'ECONNREFUSED':
      return { code: 1212, text: `${prefix}: dial tcp ${hostPort}: connect: connection refused` };
    case 'ETIMEDOUT':
      return { code: 1211, text: `${prefix}: dial tcp ${hostPort}: i/o timeout` };
    case 'ECONNRESET':
      return { code: 1220, text: `${prefix}: read: connection reset by peer` };
    case 'EPIPE':
      return { code: 1201, text: `${prefix}: write: broken pipe` };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return { code: 1210, text: `${prefix}: dial tcp ${hostPort}: ${error.message}` };
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return { code: 1310, text: `${prefix}: x509: certificate signed by unknown authority` };
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return { code: 1311, text: `${prefix}: x509: certificate is not valid for ${url.hostname}` };
    default:
      if (typeof error.code === 'string' && error.code.startsWith('ERR_SSL'))
        return { code: 1300, text: `${prefix}: ${error.message}` };
      return { code: 1000, text: `${prefix}: ${error.message}` };
  }
}

/** Decompresses a body by its Content-Encoding, as k6 does for gzip, deflate and br. */
function decode(body: Buffer, encoding: string | undefined): Buffer {
  switch ((encoding ?? '').trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return zlib.gunzipSync(body);
    case 'deflate':
      return zlib.inflateSync(body);
    case 'br':
      return zlib.brotliDecompressSync(body);
    default:
      return body;
  }
}

function parseSetCookie(header: string): ResponseCookieData | undefined {
  const cookie = Cookie.parse(header);
  if (cookie === undefined) return undefined;
  const expires = cookie.expires instanceof Date ? cookie.expires.getTime() : 0;
  const maxAge = typeof cookie.maxAge === 'number' ? cookie.maxAge : 0;
  return {
    name: cookie.key,
    value: cookie.value,
    domain: cookie.domain ?? '',
    path: cookie.path ?? '',
    http_only: cookie.httpOnly,
    secure: cookie.secure,
    max_age: maxAge,
    expires,
  };
}

/** A VU's own connections and cookies. */
export class VuHttp {
  private readonly origins = new Map<string, OriginPool>();
  private readonly lookup: LookupFunction | undefined;
  /** Created with the first cookie: most load tests never see one, and an empty jar still costs a lookup per request. */
  private jar: CookieJar | undefined;
  private iteration = -1;

  constructor(private readonly settings: HttpSettings) {
    const hosts = settings.hosts;
    if (Object.keys(hosts).length > 0) {
      this.lookup = ((hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
        const address = hosts[hostname];
        if (address === undefined) return dnsLookup(hostname, options, callback as never);
        const family = address.includes(':') ? 6 : 4;
        if (options.all === true) return callback(null, [{ address, family }]);
        return callback(null, address, family);
      }) as LookupFunction;
    }
  }

  /** The VU's pool of connections to an origin, whose connector notes when each connection reached each step. */
  private originFor(target: URL): OriginPool {
    let origin = this.origins.get(target.origin);
    if (origin !== undefined) return origin;
    const base = buildConnector({
      rejectUnauthorized: !this.settings.insecureSkipTLSVerify,
      ...(this.lookup === undefined ? {} : { lookup: this.lookup }),
      // The request's own timeout bounds connecting too.
      timeout: 0,
    });
    const entry: OriginPool = {
      latest: undefined,
      socket: undefined,
      pool: new Pool(target.origin, {
        connections: this.settings.batchPerHost > 0 ? this.settings.batchPerHost : null,
        pipelining: 1,
        connect: (options, callback) => {
          const timing: ConnectTiming = { start: performance.now() };
          entry.latest = timing;
          const socket = base(options, (error, connected) => {
            timing.ready = performance.now();
            if (error === null) entry.socket = connected;
            (callback as (error: Error | null, socket: unknown) => void)(error, connected);
          }) as unknown as Socket;
          socket.once('lookup', () => (timing.lookup = performance.now()));
          socket.once('connect', () => (timing.connect = performance.now()));
          socket.once('secureConnect', () => (timing.secure = performance.now()));
          return socket as never;
        },
      }),
    };
    origin = entry;
    this.origins.set(target.origin, origin);
    return origin;
  }

  /**
   * Called with the iteration (the VU's iterationInInstance) of every request:
   * a new iteration gets a new cookie jar (unless noCookiesReset) and new
   * connections with noVUConnectionReuse. -1 is outside any iteration (setup, teardown).
   */
  enterIteration(iteration: number): void {
    if (iteration === this.iteration) return;
    this.iteration = iteration;
    if (!this.settings.noCookiesReset) this.jar = undefined;
    if (this.settings.noVUConnectionReuse) this.close();
  }

  close(): void {
    for (const { pool } of this.origins.values()) void pool.destroy().catch(() => undefined);
    this.origins.clear();
  }

  /** http.cookieJar(): the cookies this VU would send to a URL, by name. */
  cookiesFor(url: string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const cookie of this.jar?.getCookiesSync(url) ?? []) (out[cookie.key] ??= []).push(cookie.value);
    return out;
  }

  private cookieJar(): CookieJar {
    this.jar ??= new CookieJar();
    return this.jar;
  }

  setCookie(url: string, name: string, value: string, options: Record<string, unknown>): void {
    const parts = [`${name}=${value}`];
    if (typeof options.domain === 'string') parts.push(`Domain=${options.domain}`);
    if (typeof options.path === 'string') parts.push(`Path=${options.path}`);
    if (typeof options.expires === 'string') parts.push(`Expires=${options.expires}`);
    if (typeof options.max_age === 'number') parts.push(`Max-Age=${options.max_age}`);
    if (options.secure === true) parts.push('Secure');
    if (options.http_only === true) parts.push('HttpOnly');
    this.cookieJar().setCookieSync(parts.join('; '), url);
  }

  clearCookies(url: string): void {
    for (const cookie of this.jar?.getCookiesSync(url) ?? []) this.deleteCookie(url, cookie.key);
  }

  deleteCookie(url: string, name: string): void {
    const jar = this.jar;
    if (jar === undefined) return;
    for (const cookie of jar.getCookiesSync(url)) {
      if (cookie.key === name) jar.setCookieSync(`${name}=; Path=${cookie.path ?? '/'}; Max-Age=0`, url);
    }
  }

  /** Performs a request (following redirects) and measures each exchange. */
  async perform(spec: HttpRequestSpec): Promise<HttpOutcome> {
    const exchanges: Exchange[] = [];
    const warnings: string[] = [];
    const deadline = performance.now() + spec.timeoutMs;
    let method = spec.method;
    let body = spec.body;
    let headers = spec.headers;
    let target: URL;
    try {
      target = new URL(spec.url);
      if (target.protocol !== 'http:' && target.protocol !== 'https:')
        throw new Error(`unsupported protocol scheme "${target.protocol}"`);
    } catch (error) {
      const text = `invalid URL "${spec.url}": ${(error as Error).message}`;
      const timings: HttpTimings = {
        blocked: 0,
        connecting: 0,
        tls_handshaking: 0,
        sending: 0,
        waiting: 0,
        receiving: 0,
        duration: 0,
      };
      exchanges.push({
        method,
        url: spec.url,
        status: 0,
        proto: '',
        tlsVersion: '',
        error: text,
        errorCode: 1020,
        timings,
        bytesSent: 0,
        bytesReceived: 0,
      });
      return { response: failedResponse(spec, text, 1020), exchanges, warnings };
    }
    for (let redirectsLeft = spec.redirects; ; redirectsLeft--) {
      const received = await this.exchange(spec, method, target, headers, body, deadline);
      exchanges.push(received.exchange);
      const location = received.headers.location;
      if (received.exchange.error === '' && REDIRECTS.has(received.exchange.status) && typeof location === 'string') {
        if (redirectsLeft > 0) {
          if (
            received.exchange.status !== 307 &&
            received.exchange.status !== 308 &&
            method !== 'GET' &&
            method !== 'HEAD'
          ) {
            method = 'GET';
            body = null;
            headers = headers.filter(([name]) => !['content-type', 'content-length'].includes(name.toLowerCase()));
          }
          target = new URL(location, target);
          continue;
        }
        if (spec.redirects > 0) {
          warnings.push(
            `Stopped after ${spec.redirects} redirects and returned the redirection; pass { redirects: n } in request params or set global maxRedirects to avoid this`,
          );
        }
      }
      return { response: toResponse(spec, method, body, received, warnings), exchanges, warnings };
    }
  }

  private requestCookies(spec: HttpRequestSpec, target: URL): Map<string, string> {
    const cookies = new Map<string, string>();
    for (const cookie of spec.cookies) cookies.set(cookie.name, cookie.value);
    if (spec.useJar && this.jar !== undefined) {
      for (const cookie of this.jar.getCookiesSync(target.href)) {
        const scoped = spec.cookies.find((c) => c.name === cookie.key);
        if (scoped === undefined || !scoped.replace) cookies.set(cookie.key, cookie.value);
      }
    }
    return cookies;
  }

  private exchange(
    spec: HttpRequestSpec,
    method: string,
    target: URL,
    specHeaders: [string, string][],
    body: string | ArrayBuffer | null,
    deadline: number,
  ): Promise<Received> {
    const payload =
      body === null ? undefined : typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
    const headers: [string, string][] = [...specHeaders];
    const given = new Set(specHeaders.map(([name]) => name.toLowerCase()));
    // What Go's client (and so k6) adds: it asks for gzip and says how long the body is.
    if (!given.has('accept-encoding')) headers.push(['Accept-Encoding', 'gzip']);
    if (payload !== undefined && !given.has('content-length')) headers.push(['Content-Length', String(payload.length)]);
    const cookies = this.requestCookies(spec, target);
    if (cookies.size > 0 && !given.has('cookie'))
      headers.push(['Cookie', [...cookies].map(([name, value]) => `${name}=${value}`).join('; ')]);
    const path = `${target.pathname}${target.search}`;
    const origin = this.originFor(target);
    const reuse = !this.settings.noConnectionReuse;

    const start = performance.now();
    const at: { ready?: number; sent?: number; firstByte?: number } = {};
    let status = 0;
    let statusMessage = '';
    let rawHeaders: Buffer[] = [];
    const chunks: Buffer[] = [];
    let bodyBytes = 0;

    return new Promise<Received>((resolve) => {
      let settled = false;
      let abort: ((error: Error) => void) | undefined;
      const finish = (error?: NodeJS.ErrnoException): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const end = performance.now();
        // A connection this request waited for, or one already open.
        const connection = origin.latest !== undefined && origin.latest.start >= start ? origin.latest : undefined;
        const ready = Math.max(at.ready ?? end, connection?.ready ?? 0);
        const firstByte = at.firstByte ?? end;
        const sent = Math.min(at.sent ?? firstByte, firstByte);
        const connectStart = connection === undefined ? ready : (connection.lookup ?? connection.start);
        const timings: HttpTimings = {
          blocked: Math.max(0, connectStart - start),
          connecting:
            connection === undefined ? 0 : Math.max(0, (connection.connect ?? connection.ready ?? end) - connectStart),
          tls_handshaking:
            connection?.secure === undefined || connection.connect === undefined
              ? 0
              : Math.max(0, connection.secure - connection.connect),
          sending: Math.max(0, sent - ready),
          waiting: at.firstByte === undefined ? 0 : Math.max(0, at.firstByte - sent),
          receiving: at.firstByte === undefined ? 0 : Math.max(0, end - at.firstByte),
          duration: 0,
        };
        timings.duration = timings.sending + timings.waiting + timings.receiving;
        const failure = error === undefined ? undefined : classify(error, method, target);
        const finalStatus = failure === undefined ? status : 0;
        const responseHeaders: ResponseHeaders = {};
        const setCookies: string[] = [];
        let headerBytes = 0;
        if (finalStatus !== 0) {
          for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
            const name = rawHeaders[i].toString('latin1').toLowerCase();
            const value = rawHeaders[i + 1].toString('latin1');
            headerBytes += rawHeaders[i].length + rawHeaders[i + 1].length + 4;
            if (name === 'set-cookie') setCookies.push(value);
            else
              responseHeaders[name] =
                responseHeaders[name] === undefined ? value : `${responseHeaders[name]}, ${value}`;
          }
          if (setCookies.length > 0) responseHeaders['set-cookie'] = setCookies;
        }
        if (spec.useJar) {
          for (const header of setCookies) this.cookieJar().setCookieSync(header, target.href, { ignoreError: true });
        }
        const socket = origin.socket;
        const tlsVersion =
          socket !== undefined && 'getProtocol' in socket ? tlsVersionName((socket as TLSSocket).getProtocol()) : '';
        resolve({
          exchange: {
            method,
            url: target.href,
            status: finalStatus,
            proto: finalStatus === 0 ? '' : 'HTTP/1.1',
            tlsVersion,
            error: failure?.text ?? '',
            errorCode: failure?.code ?? (finalStatus >= 400 ? 1000 + finalStatus : 0),
            timings,
            // Counted from what crossed the wire: request line, headers and body each way.
            bytesSent:
              at.ready === undefined
                ? 0
                : method.length +
                  path.length +
                  12 +
                  headers.reduce((n, [k, v]) => n + k.length + v.length + 4, 0) +
                  target.host.length +
                  10 +
                  (payload?.length ?? 0),
            bytesReceived:
              finalStatus === 0 && at.firstByte === undefined ? 0 : 17 + statusMessage.length + headerBytes + bodyBytes,
          },
          headers: responseHeaders,
          setCookies,
          statusMessage,
          body: Buffer.concat(chunks),
          remoteIp: socket?.remoteAddress ?? '',
          remotePort: socket?.remotePort ?? 0,
          sentHeaders: headers,
          sentCookies: cookies,
        });
      };

      const timer = setTimeout(
        () => {
          const timeout = Object.assign(new Error('request timeout'), { code: 'K6_TIMEOUT' });
          if (abort !== undefined) abort(timeout);
          finish(timeout);
        },
        Math.max(0, deadline - performance.now()),
      );

      // undici's handler hooks as its Request calls them: onConnect when the request is about to
      // be written, onRequestSent when it is, onResponseStarted at the first byte of the answer.
      const handler = {
        onConnect: (abortRequest: (error: Error) => void) => {
          abort = abortRequest;
          at.ready = performance.now();
          if (settled) abortRequest(new Error('request timeout'));
        },
        onRequestSent: () => {
          at.sent = performance.now();
        },
        onResponseStarted: () => {
          at.firstByte = performance.now();
        },
        onHeaders: (statusCode: number, raw: Buffer[], _resume: () => void, text: string) => {
          at.firstByte ??= performance.now();
          status = statusCode;
          statusMessage = text;
          rawHeaders = raw;
          return true;
        },
        onData: (chunk: Buffer) => {
          bodyBytes += chunk.length;
          if (spec.responseType !== 'none') chunks.push(chunk);
          return true;
        },
        onComplete: () => finish(),
        onError: (error: Error) => finish(error),
      };
      origin.pool.dispatch(
        {
          origin: target.origin,
          path,
          method: method,
          headers: headers.flat(),
          body: payload ?? null,
          reset: !reuse,
          headersTimeout: 0,
          bodyTimeout: 0,
        },
        handler,
      );
    });
  }
}

/** The k6 Response of the last exchange of a request. */
function toResponse(
  spec: HttpRequestSpec,
  method: string,
  sentBody: string | ArrayBuffer | null,
  received: Received,
  warnings: string[],
): HttpResponseData {
  const { exchange } = received;
  let body: string | ArrayBuffer | null = null;
  if (exchange.status !== 0 && spec.responseType !== 'none') {
    let bytes = received.body;
    const encoding = received.headers['content-encoding'];
    try {
      bytes = decode(bytes, encoding);
    } catch (error) {
      warnings.push(`the response body could not be decompressed (${String(encoding)}): ${(error as Error).message}`);
    }
    body =
      spec.responseType === 'binary'
        ? (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer)
        : bytes.toString('utf8');
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(received.headers)) {
    headers[canonicalHeader(name)] = Array.isArray(value) ? value.join(', ') : value;
  }
  const cookies: Record<string, ResponseCookieData[]> = {};
  for (const header of received.setCookies) {
    const cookie = parseSetCookie(header);
    if (cookie !== undefined) (cookies[cookie.name] ??= []).push(cookie);
  }
  const requestHeaders: Record<string, string[]> = {};
  for (const [name, value] of received.sentHeaders) (requestHeaders[canonicalHeader(name)] ??= []).push(value);
  const requestCookies: Record<string, { name: string; value: string; replace: boolean }[]> = {};
  for (const [name, value] of received.sentCookies) requestCookies[name] = [{ name, value, replace: false }];
  return {
    status: exchange.status,
    status_text: exchange.status === 0 ? '' : `${exchange.status} ${received.statusMessage}`.trim(),
    proto: exchange.proto,
    url: exchange.url,
    headers,
    body,
    error: exchange.error,
    error_code: exchange.errorCode,
    timings: exchange.timings,
    remote_ip: received.remoteIp,
    remote_port: received.remotePort,
    tls_version: exchange.tlsVersion,
    cookies,
    request: {
      method,
      url: exchange.url,
      headers: requestHeaders,
      body: sentBody === null ? '' : typeof sentBody === 'string' ? sentBody : Buffer.from(sentBody).toString('latin1'),
      cookies: requestCookies,
    },
  };
}

function failedResponse(spec: HttpRequestSpec, error: string, code: number): HttpResponseData {
  return {
    status: 0,
    status_text: '',
    proto: '',
    url: spec.url,
    headers: {},
    body: null,
    error,
    error_code: code,
    timings: { blocked: 0, connecting: 0, tls_handshaking: 0, sending: 0, waiting: 0, receiving: 0, duration: 0 },
    remote_ip: '',
    remote_port: 0,
    tls_version: '',
    cookies: {},
    request: { method: spec.method, url: spec.url, headers: {}, body: '', cookies: {} },
  };
}
