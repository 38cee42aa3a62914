/** The `k6/metrics` module: Counter, Gauge, Rate and Trend (k6 docs, "k6/metrics"). */
import { host, adopt } from './host';
import { currentTags, emit, vu } from './state';

type Kind = 'counter' | 'gauge' | 'rate' | 'trend';

abstract class CustomMetric {
  readonly name: string;
  readonly type: Kind;

  protected constructor(type: Kind, name: unknown, isTime: unknown) {
    if (vu.lifecycle !== 'init')
      throw new Error('metrics must be created in the init context (the top level of the script)');
    if (typeof name !== 'string') throw new TypeError('a metric needs a name');
    const reply = adopt<{ error?: string }>(
      host.request({ kind: 'defineMetric', name, type, isTime: type === 'trend' && isTime === true }),
    );
    if (reply.error !== undefined) throw new Error(reply.error);
    this.name = name;
    this.type = type;
  }

  /** Adds a sample; `tags` join the VU's current tags. */
  add(value: unknown, tags?: Record<string, unknown>): boolean {
    if (vu.lifecycle === 'init') throw new Error(`${this.name}.add() cannot be used in the init context`);
    const number = typeof value === 'boolean' ? (value ? 1 : 0) : Number(value);
    if (!Number.isFinite(number)) {
      const message = `${String(value)} is an invalid value for the metric "${this.name}": it must be a number or a boolean`;
      if (host.throwErrors) throw new TypeError(message);
      host.notify({ kind: 'log', level: 'warn', text: `${message}; the sample was dropped` });
      return false;
    }
    const sampleTags = currentTags();
    if (tags !== undefined && tags !== null) for (const key of Object.keys(tags)) sampleTags[key] = String(tags[key]);
    emit(this.name, number, sampleTags);
    return true;
  }
}

export class Counter extends CustomMetric {
  constructor(name: string) {
    super('counter', name, false);
  }
}

export class Gauge extends CustomMetric {
  constructor(name: string) {
    super('gauge', name, false);
  }
}

export class Rate extends CustomMetric {
  constructor(name: string) {
    super('rate', name, false);
  }
}

export class Trend extends CustomMetric {
  constructor(name: string, isTime?: boolean) {
    super('trend', name, isTime);
  }
}

export default { Counter, Gauge, Rate, Trend };
