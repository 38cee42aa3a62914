// A process's CPU time and memory as Linux counts them, from /proc: for the
// benchmarks, which measure processes they started (a server and its cluster
// workers, a database backend, the k6 runner).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString());

/** The process and its descendants (cluster workers, say). */
function processTree(pid) {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return [pid, ...children.flatMap((child) => processTree(Number(child)))];
}

/** User+system CPU time in ms of the process (all its threads) and its descendants. */
export function cpuMilliseconds(pid) {
  return processTree(pid).reduce((sum, id) => {
    // Fields after the command name, which may contain spaces: utime and stime are 14th and 15th.
    const fields = readFileSync(`/proc/${id}/stat`, 'utf8').split(') ')[1].split(' ');
    return sum + ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  }, 0);
}

/** Resident memory in bytes of the process and its descendants. */
export function rssBytes(pid) {
  return processTree(pid).reduce((sum, id) => {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${id}/status`, 'utf8'));
    return sum + Number(match?.[1] ?? 0) * 1024;
  }, 0);
}
