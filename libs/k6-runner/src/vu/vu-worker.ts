/**
 * One VU: a worker thread holding the script in its own JavaScript context.
 *
 * The thread is synchronous, as a k6 VU is: it blocks (Atomics.wait) until the
 * engine hands it a command or answers its request, so `http.get()` returns
 * the response on the next line and `sleep()` pauses only this VU. The engine
 * posts on the VU's port, then raises the `signal` cell and wakes the thread.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { type MessagePort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { StackMapper } from '../script/stack-map';
import { compileBundle } from '../script/compile';
import type { Controller } from './js/controller';
import type { HostBridge } from './js/host';
import type { LoopCommand, ScriptError, VuCommand, VuCommandResult, VuMessage, VuNotice, VuRequest } from './protocol';

export interface VuWorkerData {
  vuId: number;
  code: string;
  sourceMap: string;
  /** The script's path: relative open() paths fall back to its directory. */
  entry: string;
  /** The runner's sources, left out of stack traces. */
  runtimeRoot: string;
  /** V8's code cache of the compiled bundle, made once by the engine for every VU. */
  codeCache: Buffer | undefined;
  port: MessagePort;
  /** Two cells: [0] the engine posted a message; [1] the engine asks a loop to stop. */
  signal: SharedArrayBuffer;
  envJson: string;
  throwErrors: boolean;
  /** The run's configuration (JSON); absent for the VU that first reads the options. */
  configuration?: string;
}

const data = workerData as VuWorkerData;
const VU_NICE = 5;
const signal = new Int32Array(data.signal);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const mapper = new StackMapper(data.sourceMap, data.runtimeRoot);

function post(message: VuMessage): void {
  data.port.postMessage(message);
}

const MESSAGE = 0;
const STOP = 1;

/** Blocks until the engine has posted the next message for this VU. */
function nextMessage(): unknown {
  for (;;) {
    while (Atomics.load(signal, MESSAGE) === 0) Atomics.wait(signal, MESSAGE, 0);
    Atomics.store(signal, MESSAGE, 0);
    const received = receiveMessageOnPort(data.port);
    if (received !== undefined) return received.message;
  }
}

function notify(notice: VuNotice): void {
  post({ sync: false, ...notice });
}

function mapError(error: ScriptError): ScriptError {
  return { message: error.message, stack: mapper.mapStack(error.stack) };
}

/** A relative open() path is relative to the module that calls open(), as in k6. */
function openFile(file: string, binary: boolean, stack: string): string | ArrayBuffer {
  let target = file;
  if (file.startsWith('file://')) target = fileURLToPath(file);
  else if (!path.isAbsolute(file)) {
    const caller = mapper.frames(stack)[0]?.location.file;
    if (caller !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(caller)) {
      throw new Error(`open("${file}"): a remote module cannot open local files by a relative path`);
    }
    target = path.resolve(path.dirname(caller ?? data.entry), file);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(target);
  } catch (error) {
    throw new Error(
      `open("${file}"): ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? `no file ${target}` : (error as Error).message}`,
    );
  }
  if (!binary) return bytes.toString('utf8');
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

const host: HostBridge = {
  vuId: data.vuId,
  envJson: data.envJson,
  throwErrors: data.throwErrors,
  request(request: VuRequest): unknown {
    post({ sync: true, ...request });
    return nextMessage();
  },
  notify,
  now: () => performance.now(),
  sleep(ms: number): void {
    Atomics.wait(sleeper, 0, 0, ms);
  },
  open: openFile,
};

function importMeta(url: string): { url: string; resolve(specifier: string): string } {
  return { url, resolve: (specifier) => new URL(specifier, url).href };
}

function load(): Controller | undefined {
  const context = vm.createContext({}, { name: `VU ${data.vuId}`, codeGeneration: { strings: true, wasm: false } });
  try {
    const factory = compileBundle(data.code, data.codeCache).runInContext(context) as (
      bridge: HostBridge,
      meta: typeof importMeta,
      global: object,
    ) => Controller;
    return factory(host, importMeta, vm.runInContext('globalThis', context) as object);
  } catch (error) {
    // The error comes from the script's realm: `instanceof` this realm's classes does not hold.
    const fields = typeof error === 'object' && error !== null ? (error as { stack?: unknown; message?: unknown }) : {};
    const stack = typeof fields.stack === 'string' ? fields.stack : String(error);
    const message = typeof fields.message === 'string' ? fields.message : String(error);
    notify({ kind: 'initFailed', error: { message, stack: mapper.mapStack(stack) } });
    return undefined;
  }
}

function isThenable(value: unknown): value is PromiseLike<VuCommandResult> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}

/** Iterations one after another until the engine says stop or a limit is reached (see LoopCommand). */
async function loop(controller: Controller, command: LoopCommand): Promise<VuCommandResult> {
  const counter = new Int32Array(command.counter);
  let done = 0;
  while (Atomics.load(signal, STOP) === 0 && (command.vuLimit === null || done < command.vuLimit)) {
    const inTest = Atomics.add(counter, 0, 1);
    if (command.sharedLimit !== null && inTest >= command.sharedLimit) break;
    const state = {
      ...command.state,
      iterationInScenario: command.state.iterationInScenario + done,
      iterationInInstance: command.state.iterationInInstance + done,
      scenarioIterationInTest: inTest,
    };
    const pending = controller.iterate(command.exec, state, command.setupData);
    const result = isThenable(pending) ? await pending : pending;
    if (result.kind === 'aborted') return result;
    done++;
    if (result.kind === 'iterated' && result.error !== undefined) {
      notify({
        kind: 'iterationError',
        error: mapError(result.error),
        scenario: state.scenario,
        executor: state.executor,
      });
    }
  }
  return { kind: 'looped', iterations: done };
}

function run(controller: Controller, command: VuCommand): VuCommandResult | PromiseLike<VuCommandResult> {
  switch (command.kind) {
    case 'loop':
      return loop(controller, command);
    case 'configure':
      controller.configure(command.configuration);
      return { kind: 'called', value: undefined };
    case 'iterate':
      return controller.iterate(command.exec, command.state, command.setupData);
    case 'call':
      return controller.call(command.fn, command.arg, command.state);
  }
}

async function serve(controller: Controller): Promise<never> {
  for (;;) {
    const command = nextMessage() as VuCommand;
    const pending = run(controller, command);
    // Only an async script function makes the VU wait here, so its promises settle.
    const result = isThenable(pending) ? await pending : pending;
    notify({
      kind: 'result',
      result: 'error' in result && result.error !== undefined ? { ...result, error: mapError(result.error) } : result,
      samples: controller.takeSamples(),
    });
  }
}

/**
 * The engine's thread does every VU's HTTP: when the VUs outnumber the cores,
 * the scheduler's fairness among threads would starve it, and every VU would
 * wait on it. Each VU's thread yields to it (a higher nice value; Linux only,
 * where a thread has its own).
 */
function yieldToEngine(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, VU_NICE);
  } catch {
    // not Linux, or not allowed: the VU runs at the engine's priority
  }
}

yieldToEngine();
const controller = load();
if (controller !== undefined) {
  if (data.configuration !== undefined) controller.configure(data.configuration);
  notify({ kind: 'ready', shape: controller.shape() });
  void serve(controller);
}
