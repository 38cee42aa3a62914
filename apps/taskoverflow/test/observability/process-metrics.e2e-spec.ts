import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestApp } from '../support/test-app';

/** The periodic `Process metrics` line (LOG_METRICS_INTERVAL_MS) that `npm run analyze` reads. */
describe('process metrics lines', () => {
  async function metricsLinesOver(intervalMs: string, waitMs: number): Promise<Record<string, unknown>[]> {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const t = await startTestApp({ LOG_LEVEL: 'info', LOG_METRICS_INTERVAL_MS: intervalMs }, { logTo: sink });
    await sleep(waitMs);
    await t.close();
    return lines.filter((line) => line.message === 'Process metrics');
  }

  it('logs event loop, CPU and memory every interval', async () => {
    const metrics = await metricsLinesOver('100', 450);
    expect(metrics.length).toBeGreaterThanOrEqual(3);
    for (const line of metrics) {
      expect(line).toMatchObject({
        level: 'info',
        location: 'process',
        interval_ms: 100,
        event_loop_utilization: expect.any(Number),
        event_loop_delay_p99_ms: expect.any(Number),
        event_loop_delay_max_ms: expect.any(Number),
        cpu_user_ms: expect.any(Number),
        cpu_system_ms: expect.any(Number),
        rss_mb: expect.any(Number),
        heap_used_mb: expect.any(Number),
      });
      expect(line.event_loop_utilization).toBeGreaterThanOrEqual(0);
      expect(line.event_loop_utilization).toBeLessThanOrEqual(1);
      expect(line.rss_mb).toBeGreaterThan(10);
    }
  });

  it('logs none with LOG_METRICS_INTERVAL_MS=0', async () => {
    expect(await metricsLinesOver('0', 300)).toEqual([]);
  });
});
