import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { availableCpus } from './available-cpus';

describe('availableCpus', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(tmpdir(), 'cgroup-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), `${text}\n`);
  };
  const cpus = availableParallelism();

  it('is every CPU the process may run on when there is no quota (cgroup v2 "max")', () => {
    write('cpu.max', 'max 100000');
    expect(availableCpus(root)).toBe(cpus);
  });

  it('is every CPU when no cgroup file can be read', () => {
    expect(availableCpus(root)).toBe(cpus);
  });

  it('follows a cgroup v2 quota, whole CPUs only, at least one', () => {
    write('cpu.max', '100000 100000');
    expect(availableCpus(root)).toBe(1);
    write('cpu.max', '25000 100000');
    expect(availableCpus(root)).toBe(1);
    write('cpu.max', '150000 100000');
    expect(availableCpus(root)).toBe(1);
  });

  it('never exceeds the CPUs the process may run on', () => {
    write('cpu.max', `${(cpus + 4) * 100000} 100000`);
    expect(availableCpus(root)).toBe(cpus);
  });

  it('reads cgroup v1 quota and period, where -1 means no quota', () => {
    write('cpu/cpu.cfs_quota_us', '50000');
    write('cpu/cpu.cfs_period_us', '100000');
    expect(availableCpus(root)).toBe(1);
    write('cpu/cpu.cfs_quota_us', '-1');
    expect(availableCpus(root)).toBe(cpus);
  });
});
