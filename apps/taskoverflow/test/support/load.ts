import { performance } from 'node:perf_hooks';

/** One request of a load run: when it started and how long its answer took (ms, performance.now()). */
export interface Sample {
  client: number;
  method: string;
  path: string;
  startedAt: number;
  ms: number;
  /** 0 when no answer came: `error` says why. */
  status: number;
  text: string;
  json: unknown;
  error?: string;
}

export interface LoadRequest {
  method: string;
  path: string;
  json?: unknown;
}

export interface Load {
  /** Lets each client finish its request in flight, then returns every sample. */
  stop(): Promise<Sample[]>;
}

/**
 * `clients` concurrent HTTP clients, each sending the next request as soon as
 * the previous one is answered, until stop(). A request still unanswered
 * after `giveUpMs` is recorded as an error rather than awaited for ever, so a
 * hang shows as a failed sample.
 */
export function startLoad(
  baseUrl: string,
  clients: number,
  next: (client: number, sequence: number) => LoadRequest,
  giveUpMs = 10_000,
): Load {
  const samples: Sample[] = [];
  let running = true;
  const loop = async (client: number) => {
    for (let sequence = 0; running; sequence++) {
      const { method, path, json } = next(client, sequence);
      const startedAt = performance.now();
      const sample: Sample = { client, method, path, startedAt, ms: 0, status: 0, text: '', json: undefined };
      try {
        const response = await fetch(new URL(path, baseUrl), {
          method,
          headers: json === undefined ? {} : { 'content-type': 'application/json' },
          body: json === undefined ? undefined : JSON.stringify(json),
          signal: AbortSignal.timeout(giveUpMs),
        });
        sample.text = await response.text();
        sample.status = response.status;
        try {
          sample.json = JSON.parse(sample.text);
        } catch {
          // Not JSON: left undefined for the test to see.
        }
      } catch (error) {
        sample.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
      sample.ms = performance.now() - sample.startedAt;
      samples.push(sample);
    }
  };
  const loops = Array.from({ length: clients }, (_, client) => loop(client));
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return samples;
    },
  };
}
