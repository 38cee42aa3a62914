import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '../../../..');
const run = promisify(execFile);

interface Way {
  way: string;
  backend_cpu_ms_per_write: number;
  insert_exec_ms: number;
  delete_exec_ms: number;
  counter_update_exec_ms: number;
}

/**
 * `node bench/database-work.mjs` reads PostgreSQL's own numbers for a write
 * (pg_stat_statements, loaded by restarting its throwaway server): each way
 * is measured, and the change-counter trigger shows where it runs.
 */
describe('node bench/database-work.mjs: what a write costs PostgreSQL', () => {
  it('measures the service’s statements with and without the trigger, and the bare server’s', async () => {
    const { stdout } = await run(process.execPath, ['bench/database-work.mjs', '--writes', '50', '--json'], {
      cwd: ROOT,
    });
    const { writes, rows } = JSON.parse(stdout) as { writes: number; rows: Way[] };

    expect(writes).toBe(50);
    expect(rows.map((row) => row.way)).toEqual(['service', 'service, no trigger', 'bare']);
    for (const row of rows) {
      expect(row.backend_cpu_ms_per_write).toBeGreaterThan(0);
      expect(row.insert_exec_ms).toBeGreaterThan(0);
      expect(row.delete_exec_ms).toBeGreaterThan(0);
    }
    // The counter's UPDATE runs inside both writes where the trigger is on, and nowhere when it is off.
    expect(rows.map((row) => row.counter_update_exec_ms > 0)).toEqual([true, false, true]);
  }, 60_000);

  it('refuses a --writes that is not a whole number above 0, with exit code 2', async () => {
    await expect(
      run(process.execPath, ['bench/database-work.mjs', '--writes', 'many'], { cwd: ROOT }),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--writes must be a whole number above 0, not "many"'),
    });
  });
});
