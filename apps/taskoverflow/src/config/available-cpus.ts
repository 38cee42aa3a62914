import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * Whole CPUs this process may use: the CPUs it may run on, capped by the
 * container's CPU quota. A 1-vCPU Fargate task can see more cores than its
 * quota lets it use, and workers beyond the quota only add context switches.
 * Node's availableParallelism() honours CPU affinity but not cgroup quotas,
 * so the quota is read here: cgroup v2 (cpu.max), then v1 (cfs quota/period).
 */
export function availableCpus(cgroupRoot = '/sys/fs/cgroup'): number {
  const quota = cpuQuota(cgroupRoot);
  const cpus = availableParallelism();
  return quota === undefined ? cpus : Math.max(1, Math.min(cpus, Math.floor(quota)));
}

/** The quota in CPUs, or undefined when there is none (or no cgroup to read). */
function cpuQuota(root: string): number | undefined {
  const v2 = read(`${root}/cpu.max`);
  if (v2 !== undefined) {
    const [quota, period] = v2.split(/\s+/);
    return quota === 'max' ? undefined : Number(quota) / Number(period);
  }
  const quota = read(`${root}/cpu/cpu.cfs_quota_us`);
  const period = read(`${root}/cpu/cpu.cfs_period_us`);
  if (quota === undefined || period === undefined || Number(quota) <= 0) {
    return undefined;
  }
  return Number(quota) / Number(period);
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}
