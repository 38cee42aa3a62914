/**
 * The engine's side of the VUs: a handle per worker thread, and the pool that
 * scenarios take VUs from and give them back to (VUs move between scenarios,
 * as in k6). Interrupting an iteration ends its worker: JavaScript cannot be
 * stopped from outside otherwise, and k6's interruption is not catchable
 * either. The VU is initialised afresh when it is needed again.
 */
import path from 'node:path';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import type { Bundle } from '../script/bundle';
import type { ScriptError, ScriptShape, VuCommand, VuCommandResult, VuMessage, VuNotice, VuRequest } from './protocol';
import type { VuWorkerData } from './vu-worker';

/** What the engine does with a VU's requests and notices. */
export interface VuEvents {
  /** The answer, or a promise of it. */
  request(vu: VuHandle, request: VuRequest): unknown;
  notice(vu: VuHandle, notice: VuNotice): void;
}

export class VuInitError extends Error {
  constructor(
    readonly vuId: number,
    readonly scriptError: ScriptError,
  ) {
    super(scriptError.stack);
  }
}

export type RunResult = VuCommandResult | { kind: 'interrupted' };

export interface VuSettings {
  bundle: Bundle;
  /** The bundle's code cache (compileBundle), so that VUs need not compile it. */
  codeCache?: Buffer;
  envJson: string;
  throwErrors: boolean;
  /** The run's configuration for the VU's context; undefined for the VU that reads the options. */
  configuration: string | undefined;
}

/** Worker threads are a few MB each; they need no more than this much JavaScript heap. */
const RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 8, stackSizeMb: 4 };

const WORKER_FILE = path.join(__dirname, 'vu-worker.js');

/** The cells of a VU's signal: the engine posted a message; the engine asks a loop to stop. */
const MESSAGE = 0;
const STOP = 1;

export class VuHandle {
  /** Iterations this VU has started, over every scenario (exec.vu.iterationInInstance). */
  iterationsInInstance = 0;
  readonly ready: Promise<ScriptShape>;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal: Int32Array;
  private pending: ((result: RunResult) => void) | undefined;
  private alive = true;

  constructor(
    readonly id: number,
    settings: VuSettings,
    private readonly events: VuEvents,
  ) {
    const channel = new MessageChannel();
    const signal = new SharedArrayBuffer(8);
    this.signal = new Int32Array(signal);
    this.port = channel.port1;
    const data: VuWorkerData = {
      vuId: id,
      code: settings.bundle.code,
      sourceMap: settings.bundle.sourceMap,
      entry: settings.bundle.entry,
      runtimeRoot: settings.bundle.runtimeRoot,
      codeCache: settings.codeCache,
      port: channel.port2,
      signal,
      envJson: settings.envJson,
      throwErrors: settings.throwErrors,
      configuration: settings.configuration,
    };
    this.worker = new Worker(WORKER_FILE, {
      workerData: data,
      transferList: [channel.port2],
      resourceLimits: RESOURCE_LIMITS,
      stdout: false,
      stderr: false,
    });
    this.ready = new Promise<ScriptShape>((resolve, reject) => {
      this.onReady = resolve;
      this.onInitFailed = reject;
    });
    // An unhandled rejection would end the engine: whoever needs the VU awaits `ready`.
    this.ready.catch(() => undefined);
    this.port.on('message', (message: VuMessage) => this.receive(message));
    this.worker.on('error', (error) => this.died(`the VU's thread failed: ${error.message}`));
    this.worker.on('exit', () => this.died("the VU's thread ended"));
  }

  private onReady: (shape: ScriptShape) => void = () => undefined;
  private onInitFailed: (error: VuInitError) => void = () => undefined;

  get isAlive(): boolean {
    return this.alive;
  }

  private receive(message: VuMessage): void {
    if (message.sync) {
      const { sync: _, ...request } = message;
      void Promise.resolve()
        .then(() => this.events.request(this, request))
        .then(
          (reply) => this.reply(reply),
          (error: unknown) => this.reply({ error: error instanceof Error ? error.message : String(error) }),
        );
      return;
    }
    const { sync: _, ...notice } = message;
    switch (notice.kind) {
      case 'ready':
        this.onReady(notice.shape);
        return;
      case 'initFailed':
        this.onInitFailed(new VuInitError(this.id, notice.error));
        void this.terminate();
        return;
      case 'result': {
        if (notice.samples.length > 0) this.events.notice(this, { kind: 'samples', samples: notice.samples });
        const resolve = this.pending;
        this.pending = undefined;
        resolve?.(notice.result);
        return;
      }
      default:
        this.events.notice(this, notice);
    }
  }

  private post(message: unknown): void {
    if (!this.alive) return;
    this.port.postMessage(message);
    Atomics.store(this.signal, MESSAGE, 1);
    Atomics.notify(this.signal, MESSAGE);
  }

  private reply(value: unknown): void {
    this.post(value);
  }

  /** Runs a command; resolves with its result, or `interrupted` if the VU is stopped first. */
  run(command: VuCommand): Promise<RunResult> {
    if (!this.alive) return Promise.resolve({ kind: 'interrupted' });
    if (this.pending !== undefined) throw new Error(`VU ${this.id} is already busy`);
    if (command.kind === 'loop') Atomics.store(this.signal, STOP, 0);
    return new Promise<RunResult>((resolve) => {
      this.pending = resolve;
      this.post(command);
    });
  }

  get busy(): boolean {
    return this.pending !== undefined;
  }

  /** Asks a loop to end after its current iteration. */
  stopLoop(): void {
    Atomics.store(this.signal, STOP, 1);
  }

  private died(reason: string): void {
    if (!this.alive) return;
    this.alive = false;
    this.port.close();
    this.onInitFailed(new VuInitError(this.id, { message: reason, stack: reason }));
    const resolve = this.pending;
    this.pending = undefined;
    resolve?.({ kind: 'interrupted' });
  }

  /** Ends the VU now, interrupting whatever it runs. */
  async terminate(): Promise<void> {
    if (!this.alive) return;
    this.died('interrupted');
    await this.worker.terminate();
  }
}

/**
 * VUs 1..capacity. Scenarios acquire idle VUs and release them; a VU that
 * was interrupted (and so ended) is started again when it is next acquired.
 */
export class VuPool {
  private readonly slots: (VuHandle | undefined)[];
  private readonly idle: VuHandle[] = [];
  private readonly waiting: { resolve: (vu: VuHandle) => void; reject: (error: VuInitError) => void }[] = [];
  /** The first failure to initialise a VU mid-test, for the engine to report. */
  failure: VuInitError | undefined;

  constructor(
    readonly capacity: number,
    private readonly create: (id: number) => VuHandle,
  ) {
    this.slots = new Array<VuHandle | undefined>(capacity).fill(undefined);
  }

  /** VUs initialised so far (k6's vus_max): an interrupted VU still counts, as it is started again when needed. */
  get initialized(): number {
    return this.slots.filter((vu) => vu !== undefined).length;
  }

  /** Starts `count` VUs at once and resolves when all are ready; `onReady` counts them. */
  async initialize(count: number, onReady: (ready: number) => void): Promise<void> {
    let ready = 0;
    const vus = Array.from({ length: Math.min(count, this.capacity) }, (_, i) => this.spawn(i));
    await Promise.all(
      vus.map(async (vu) => {
        await vu.ready;
        onReady(++ready);
      }),
    );
    for (const vu of vus) this.idle.push(vu);
  }

  private spawn(index: number): VuHandle {
    const vu = this.create(index + 1);
    this.slots[index] = vu;
    return vu;
  }

  /** An idle VU now, or undefined. */
  tryAcquire(): VuHandle | undefined {
    while (this.idle.length > 0) {
      const vu = this.idle.pop() as VuHandle;
      if (vu.isAlive) return vu;
    }
    return undefined;
  }

  /** An idle VU, starting one (anew, or a new one up to capacity) when none is idle; waits for a release otherwise. */
  acquire(): Promise<VuHandle> {
    const vu = this.tryAcquire();
    if (vu !== undefined) return Promise.resolve(vu);
    const slot = this.slots.findIndex((s) => s === undefined || !s.isAlive);
    if (slot >= 0) return this.start(slot);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** A new VU in a slot, ready. */
  private start(slot: number): Promise<VuHandle> {
    const fresh = this.spawn(slot);
    return fresh.ready.then(
      () => fresh,
      (error: VuInitError) => {
        this.failure ??= error;
        throw error;
      },
    );
  }

  /** Gives a VU back: to a scenario waiting for one (an ended VU is started anew for it), or to the idle ones. */
  release(vu: VuHandle): void {
    const waiter = this.waiting.shift();
    if (waiter === undefined) {
      if (vu.isAlive) this.idle.push(vu);
    } else if (vu.isAlive) {
      waiter.resolve(vu);
    } else {
      // Its slot may have been started anew already, for another scenario.
      const slot = this.slots.indexOf(vu);
      if (slot >= 0) this.start(slot).then(waiter.resolve, waiter.reject);
      else this.waiting.unshift(waiter);
    }
  }

  async terminateAll(): Promise<void> {
    await Promise.all(this.slots.flatMap((vu) => (vu === undefined ? [] : [vu.terminate()])));
  }
}
