import { type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { roundMs } from './round-ms';

const NS_PER_MS = 1e6;
const BYTES_PER_MB = 2 ** 20;

/**
 * Every interval, one `Process metrics` line per process: how busy its event
 * loop was (utilisation 0–1, and how late timers fired), the CPU it used and
 * its memory. When the loop is saturated, every duration measured in the
 * process stretches, SQL included; these lines let `npm run analyze` tell a
 * CPU-bound process from slow SQL, and SREs graph saturation per task.
 */
export class ProcessMetrics implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  onApplicationBootstrap(): void {
    if (this.intervalMs === 0) return;
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    let utilization = performance.eventLoopUtilization();
    let cpu = process.cpuUsage();
    this.timer = setInterval(() => {
      const nextUtilization = performance.eventLoopUtilization();
      const nextCpu = process.cpuUsage();
      const memory = process.memoryUsage();
      this.logger.info(
        {
          location: 'process',
          interval_ms: this.intervalMs,
          event_loop_utilization: Number(
            performance.eventLoopUtilization(nextUtilization, utilization).utilization.toFixed(3),
          ),
          event_loop_delay_p99_ms: roundMs(delay.percentile(99) / NS_PER_MS),
          event_loop_delay_max_ms: roundMs(delay.max / NS_PER_MS),
          cpu_user_ms: roundMs((nextCpu.user - cpu.user) / 1000),
          cpu_system_ms: roundMs((nextCpu.system - cpu.system) / 1000),
          rss_mb: Math.round(memory.rss / BYTES_PER_MB),
          heap_used_mb: Math.round(memory.heapUsed / BYTES_PER_MB),
        },
        'Process metrics',
      );
      utilization = nextUtilization;
      cpu = nextCpu;
      delay.reset();
    }, this.intervalMs).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}
