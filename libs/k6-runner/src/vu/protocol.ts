/**
 * What the engine (main thread), a VU's worker thread and the script's
 * JavaScript context inside it say to each other. Messages are structured
 * clones: plain data only.
 */

/** One metric sample: metric name, value, tags, time (ms since the epoch). */
export type SampleTuple = [string, number, Record<string, string>, number];

/** Statuses counted as expected for http_req_failed, as [min, max] ranges; null: no http_req_failed sample. */
export type ExpectedStatuses = [number, number][] | null;

export interface HttpRequestSpec {
  method: string;
  url: string;
  headers: [string, string][];
  /** A string body, or bytes. */
  body: string | ArrayBuffer | null;
  timeoutMs: number;
  /** Redirects still allowed. */
  redirects: number;
  responseType: 'text' | 'binary' | 'none';
  /** Tags for this request's metrics: scenario, group, name, user tags ... */
  tags: Record<string, string>;
  expected: ExpectedStatuses;
  /** params.cookies: sent with the request, merged with (or replacing) the VU's jar. */
  cookies: { name: string; value: string; replace: boolean }[];
  /** Use the VU's cookie jar (false for params.jar: null). */
  useJar: boolean;
}

export interface HttpTimings {
  blocked: number;
  connecting: number;
  tls_handshaking: number;
  sending: number;
  waiting: number;
  receiving: number;
  duration: number;
}

export interface HttpResponseData {
  status: number;
  status_text: string;
  proto: string;
  url: string;
  headers: Record<string, string>;
  body: string | ArrayBuffer | null;
  error: string;
  error_code: number;
  timings: HttpTimings;
  remote_ip: string;
  remote_port: number;
  tls_version: string;
  cookies: Record<string, ResponseCookieData[]>;
  request: {
    method: string;
    url: string;
    headers: Record<string, string[]>;
    body: string;
    cookies: Record<string, { name: string; value: string; replace: boolean }[]>;
  };
}

export interface ResponseCookieData {
  name: string;
  value: string;
  domain: string;
  path: string;
  http_only: boolean;
  secure: boolean;
  max_age: number;
  expires: number;
}

/** Where an iteration runs: what k6/execution and __ITER report during it. */
export interface IterationState {
  scenario: string;
  executor: string;
  /** ms since the epoch when the scenario started. */
  scenarioStartTime: number;
  iterationInScenario: number;
  iterationInInstance: number;
  /** The iteration's number among all of the scenario's iterations. */
  scenarioIterationInTest: number;
  /** The scenario's env merged over the test's. */
  env: Record<string, string>;
  /** The test's and the scenario's tags. */
  tags: Record<string, string>;
}

/** What the engine asks a VU to do. */
/**
 * Iterations a VU runs on its own, one after another, until the engine raises
 * its stop cell, or the limit is reached: the looping executors, without a
 * round trip to the engine between iterations. `state` is the first
 * iteration's; `counter` holds the scenario's iterations started (its next
 * scenario.iterationInTest), shared by its VUs.
 */
export interface LoopCommand {
  kind: 'loop';
  exec: string;
  state: IterationState;
  setupData: string | undefined;
  counter: SharedArrayBuffer;
  /** shared-iterations: no iteration starts once the counter has reached this. */
  sharedLimit: number | null;
  /** per-vu-iterations: this VU's iterations. */
  vuLimit: number | null;
}

export type VuCommand =
  | { kind: 'configure'; configuration: string }
  | { kind: 'iterate'; exec: string; state: IterationState; setupData: string | undefined }
  | LoopCommand
  | { kind: 'call'; fn: 'setup' | 'teardown' | 'handleSummary'; arg: string | undefined; state: IterationState };

/** An error thrown by script code, its stack mapped to the script's own files. */
export interface ScriptError {
  message: string;
  stack: string;
}

export type VuCommandResult =
  | { kind: 'iterated'; error?: ScriptError; durationMs: number }
  /** A loop's end: the iterations it completed. */
  | { kind: 'looped'; iterations: number }
  /** setup()'s value as JSON; handleSummary()'s as returned. */
  | { kind: 'called'; value: unknown; error?: ScriptError }
  | { kind: 'aborted'; reason: string };

/** The exports of the script as a VU sees them after its init code. */
export interface ScriptShape {
  functions: string[];
  options: string;
}

/** Sent by a VU, answered (synchronously for the VU) by the engine. */
export type VuRequest =
  /** `iteration`: the VU's iteration (iterationInInstance), -1 outside one: a new one gets a new cookie jar. */
  | { kind: 'http'; requests: HttpRequestSpec[]; samples: SampleTuple[]; iteration: number }
  | { kind: 'defineMetric'; name: string; type: 'counter' | 'gauge' | 'rate' | 'trend'; isTime: boolean }
  | { kind: 'executionInfo' }
  | {
      kind: 'cookieJar';
      op: 'get' | 'set' | 'clear' | 'delete';
      url: string;
      name?: string;
      value?: string;
      options?: Record<string, unknown>;
      iteration: number;
    };

export interface ExecutionInfo {
  iterationsCompleted: number;
  iterationsInterrupted: number;
  vusActive: number;
  vusInitialized: number;
  currentTestRunDuration: number;
  scenarioProgress: Record<string, number>;
}

/** Sent by a VU without waiting. */
export type VuNotice =
  | { kind: 'ready'; shape: ScriptShape }
  | { kind: 'initFailed'; error: ScriptError }
  | { kind: 'samples'; samples: SampleTuple[] }
  | { kind: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; text: string }
  | { kind: 'abort'; reason: string }
  | { kind: 'markFailed'; reason: string }
  /** An exception that ended one iteration of a loop (the loop goes on). */
  | { kind: 'iterationError'; error: ScriptError; scenario: string; executor: string }
  /** A command's result, with the samples the VU emitted since it last sent some. */
  | { kind: 'result'; result: VuCommandResult; samples: SampleTuple[] };

export type VuMessage = ({ sync: true } & VuRequest) | ({ sync: false } & VuNotice);
