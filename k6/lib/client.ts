/**
 * A typed client for the TaskOverflow API (docs/api.md).
 *
 * Every request carries its own X-Request-Id, built from the scenario, the VU
 * and the iteration plus a counter (`planners-vu3-it12-r2`: the second request
 * of VU 3's iteration 12, counted from 0, in the planners scenario), which the
 * service logs as
 * `request_id` on every line of that request and echoes back. A failing check
 * prints it (see checks.ts), so the request can be found in the service's
 * logs. Every request is also tagged with a `name` (`GET /api/v1/todos/:id`)
 * so that URLs with ids group into one series in the metrics.
 */
import http, { type Params, type RequestBody, type Response } from 'k6/http';
import exec from 'k6/execution';
import { API, API_KEY, ENDPOINT, HTTP_TIMEOUT_SECONDS, RUN_ID } from './config.ts';
import type { NewTodo, Todo, TodoChanges } from './todo.ts';

/** The deployment's API key, when one is given (API_KEY). */
const AUTHORIZATION: Record<string, string> = API_KEY === undefined ? {} : { Authorization: `Bearer ${API_KEY}` };

export type { NewTodo, Todo, TodoChanges } from './todo.ts';

/** The query of GET /todos. */
export interface ListFilter {
  /** Only completed (true) or only open (false) todos. */
  completed?: boolean;
  /** Only todos due by now + this many whole days. */
  window?: number;
  /** Only todos with an id greater than this (the cursor of a page). */
  afterId?: number;
  /** At most this many todos (1 to 1000; no answer holds more than 1000). */
  limit?: number;
}

/** Every error body: `{"error": "...", "details": [...]}` (details for validation errors). */
export interface ApiError {
  error: string;
  details?: { field: string; message: string }[];
}

/** One request's outcome. */
export interface ApiResponse<T> {
  /** k6's response (status 0 when the request never got an answer). */
  res: Response;
  /** The X-Request-Id this request was sent with. */
  requestId: string;
  /** The body parsed as JSON, or undefined when it is not JSON (or absent). */
  json: unknown;
  /** The body when it has the shape T should have; undefined otherwise. */
  data: T | undefined;
}

/** DELETE answers the deleted todo, or `{}` when there was none. */
export type Deleted = Todo | Record<string, never>;

export interface CallOptions {
  /**
   * Statuses that count as expected for `http_req_failed` (k6's default:
   * 200-399). A 404 that is a legitimate outcome (a todo a concurrent planner
   * deleted) or a 4xx a smoke test provokes on purpose goes here.
   */
  expect?: number[];
  /** Extra metric tags for this request. */
  tags?: Record<string, string>;
  /** Extra or replacing request headers. */
  headers?: Record<string, string>;
}

export interface ClientOptions {
  /** Base URL without /api/v1; default ENDPOINT. */
  endpoint?: string;
  /**
   * First part of the request ids instead of the scenario's name: e.g.
   * `setup` or `teardown`, which run outside any scenario.
   */
  label?: string;
}

// ---------------------------------------------------------------------------
// Request ids

const MAX_LABEL = 40;

function sanitizeLabel(label: string): string {
  const cleaned = label.replace(/[^A-Za-z0-9._:-]+/g, '-').slice(0, MAX_LABEL);
  return cleaned === '' ? 'k6' : cleaned;
}

interface ExecutionPosition {
  scenario: string;
  vu: number;
  iteration: number;
}

/** Where this code runs; setup() and teardown() are outside any scenario. */
function executionPosition(): ExecutionPosition {
  let scenario = 'k6';
  let vu = 0;
  let iteration = 0;
  try {
    scenario = exec.scenario.name;
  } catch {
    // not in a scenario: setup(), teardown() or the init context
  }
  try {
    vu = exec.vu.idInTest;
    iteration = exec.vu.iterationInScenario;
  } catch {
    // same
  }
  return { scenario, vu, iteration };
}

// Module state is per VU: every VU has its own JavaScript runtime.
let currentIteration = '';
let requestsInIteration = 0;

/**
 * The next request id of this VU: `[RUN_ID-]<scenario>-vu<N>-it<M>-r<K>`,
 * K counting from 1 in each iteration. At most 128 characters of
 * [A-Za-z0-9._:-], so the service keeps it rather than replacing it.
 */
export function nextRequestId(label?: string): string {
  const position = executionPosition();
  const iteration = `${sanitizeLabel(label ?? position.scenario)}-vu${position.vu}-it${position.iteration}`;
  if (iteration !== currentIteration) {
    currentIteration = iteration;
    requestsInIteration = 0;
  }
  requestsInIteration += 1;
  const id = `${RUN_ID === undefined ? '' : `${RUN_ID}-`}${iteration}-r${requestsInIteration}`;
  return id.slice(0, 128);
}

// ---------------------------------------------------------------------------
// Body shapes

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?$/;
const TODO_KEYS = ['completed', 'created_at', 'deadline_at', 'description', 'id', 'title', 'updated_at'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether a value has exactly the shape of a todo. */
export function isTodo(value: unknown): value is Todo {
  if (!isRecord(value)) return false;
  const keys = Object.keys(value).sort();
  return (
    keys.length === TODO_KEYS.length &&
    keys.every((key, i) => key === TODO_KEYS[i]) &&
    typeof value.id === 'number' &&
    Number.isInteger(value.id) &&
    value.id > 0 &&
    typeof value.title === 'string' &&
    (value.description === null || typeof value.description === 'string') &&
    typeof value.completed === 'boolean' &&
    (value.deadline_at === null || (typeof value.deadline_at === 'string' && TIMESTAMP.test(value.deadline_at))) &&
    typeof value.created_at === 'string' &&
    TIMESTAMP.test(value.created_at) &&
    typeof value.updated_at === 'string' &&
    TIMESTAMP.test(value.updated_at)
  );
}

/** Whether a value is an array of todos. */
export function isTodoList(value: unknown): value is Todo[] {
  return Array.isArray(value) && value.every(isTodo);
}

/** Whether a value is `{}`. */
export function isEmptyObject(value: unknown): value is Record<string, never> {
  return isRecord(value) && Object.keys(value).length === 0;
}

/** Whether a value is the API's error body. */
export function isApiError(value: unknown): value is ApiError {
  if (!isRecord(value) || typeof value.error !== 'string') return false;
  const { details } = value;
  return (
    details === undefined ||
    (Array.isArray(details) &&
      details.every((d) => isRecord(d) && typeof d.field === 'string' && typeof d.message === 'string'))
  );
}

/** The body as JSON, or undefined (no body, a timeout, not JSON). */
export function parseJson(res: Response): unknown {
  if (typeof res.body !== 'string' || res.body === '') return undefined;
  try {
    return JSON.parse(res.body) as unknown;
  } catch {
    return undefined;
  }
}

/** A response header, whatever its case. */
export function header(res: Response, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const key of Object.keys(res.headers)) {
    if (key.toLowerCase() === wanted) return res.headers[key];
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// The client

const expectedCallbacks = new Map<string, ReturnType<typeof http.expectedStatuses>>();

function expectedStatuses(statuses: number[]): ReturnType<typeof http.expectedStatuses> {
  const key = statuses.join(',');
  let callback = expectedCallbacks.get(key);
  if (callback === undefined) {
    callback = http.expectedStatuses(...statuses);
    expectedCallbacks.set(key, callback);
  }
  return callback;
}

/** A raw request for `TodoClient.send`: what the smoke test uses for bad input. */
export interface RawRequest {
  method: string;
  /** Path under the endpoint, e.g. `/api/v1/todos/abc`. */
  path: string;
  /** The `name` tag grouping this request in the metrics. */
  name: string;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  /** Default `application/json` when there is a body. */
  contentType?: string | null;
}

export class TodoClient {
  private readonly endpoint: string;
  private readonly api: string;
  private readonly label: string | undefined;

  constructor(options: ClientOptions = {}) {
    this.endpoint = (options.endpoint ?? ENDPOINT).replace(/\/+$/, '');
    this.api = options.endpoint === undefined ? API : `${this.endpoint}/api/v1`;
    this.label = options.label;
  }

  /** GET /health: 200 `{"status":"ok"}` while the process runs. */
  health(options?: CallOptions): ApiResponse<{ status: string }> {
    return this.call(
      'GET',
      `${this.api}/health`,
      'GET /api/v1/health',
      undefined,
      options,
      (v) => isRecord(v) && typeof v.status === 'string',
    );
  }

  /** GET /health/ready: 200 when the database answers, 503 when not. */
  ready(options?: CallOptions): ApiResponse<{ status: string }> {
    return this.call(
      'GET',
      `${this.api}/health/ready`,
      'GET /api/v1/health/ready',
      undefined,
      options,
      (v) => isRecord(v) && typeof v.status === 'string',
    );
  }

  /** GET /todos, optionally filtered. */
  list(filter: ListFilter = {}, options?: CallOptions): ApiResponse<Todo[]> {
    const query: string[] = [];
    if (filter.completed !== undefined) query.push(`completed=${filter.completed}`);
    if (filter.window !== undefined) query.push(`window=${filter.window}`);
    if (filter.afterId !== undefined) query.push(`after_id=${filter.afterId}`);
    if (filter.limit !== undefined) query.push(`limit=${filter.limit}`);
    const url = `${this.api}/todos${query.length > 0 ? `?${query.join('&')}` : ''}`;
    const filterTag = query.length > 0 ? query.map((q) => q.split('=')[0]).join('+') : 'none';
    return this.call('GET', url, 'GET /api/v1/todos', undefined, withTags(options, { filter: filterTag }), isTodoList);
  }

  /** GET /todos/:id: 200 with the todo, 404 when there is none. */
  get(id: number | string, options?: CallOptions): ApiResponse<Todo> {
    return this.call('GET', this.todoUrl(id), 'GET /api/v1/todos/:id', undefined, options, isTodo);
  }

  /** POST /todos: 201 with the created todo. */
  create(todo: NewTodo, options?: CallOptions): ApiResponse<Todo> {
    return this.call('POST', `${this.api}/todos`, 'POST /api/v1/todos', todo, options, isTodo);
  }

  /** PUT /todos/:id: 200 with the changed todo, 404 when there is none. */
  update(id: number | string, changes: TodoChanges, options?: CallOptions): ApiResponse<Todo> {
    return this.call('PUT', this.todoUrl(id), 'PUT /api/v1/todos/:id', changes, options, isTodo);
  }

  /** DELETE /todos/:id: 200 with the deleted todo, or 200 `{}` when there was none. */
  remove(id: number | string, options?: CallOptions): ApiResponse<Deleted> {
    return this.call(
      'DELETE',
      this.todoUrl(id),
      'DELETE /api/v1/todos/:id',
      undefined,
      options,
      (v) => isTodo(v) || isEmptyObject(v),
    );
  }

  /** Any request, for inputs the typed methods cannot express (malformed JSON, other content types). */
  send(request: RawRequest, options?: CallOptions): ApiResponse<unknown> {
    const headers: Record<string, string> = {};
    if (request.body !== undefined && request.contentType !== null) {
      headers['Content-Type'] = request.contentType ?? 'application/json';
    }
    const body =
      typeof request.body === 'string' || request.body === undefined ? request.body : JSON.stringify(request.body);
    return this.request(
      request.method,
      `${this.endpoint}${request.path}`,
      request.name,
      body,
      { ...options, headers: { ...headers, ...options?.headers } },
      () => true,
    );
  }

  private todoUrl(id: number | string): string {
    return `${this.api}/todos/${encodeURIComponent(String(id))}`;
  }

  private call<T>(
    method: string,
    url: string,
    name: string,
    body: unknown,
    options: CallOptions | undefined,
    isShape: (value: unknown) => boolean,
  ): ApiResponse<T> {
    const headers: Record<string, string> = body === undefined ? {} : { 'Content-Type': 'application/json' };
    return this.request<T>(
      method,
      url,
      name,
      body === undefined ? undefined : JSON.stringify(body),
      { ...options, headers: { ...headers, ...options?.headers } },
      isShape,
    );
  }

  private request<T>(
    method: string,
    url: string,
    name: string,
    body: RequestBody | undefined,
    options: CallOptions,
    isShape: (value: unknown) => boolean,
  ): ApiResponse<T> {
    const requestId = nextRequestId(this.label);
    const params: Params = {
      headers: { Accept: 'application/json', 'X-Request-Id': requestId, ...AUTHORIZATION, ...options.headers },
      tags: { name, ...options.tags },
      timeout: `${HTTP_TIMEOUT_SECONDS}s`,
    };
    if (options.expect !== undefined) params.responseCallback = expectedStatuses(options.expect);
    const res = http.request(method, url, body ?? null, params);
    const json = parseJson(res);
    return { res, requestId, json, data: isShape(json) ? (json as T) : undefined };
  }
}

function withTags(options: CallOptions | undefined, tags: Record<string, string>): CallOptions {
  return { ...options, tags: { ...tags, ...options?.tags } };
}
