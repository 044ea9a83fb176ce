import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second for /proc/PID/stat times (getconf CLK_TCK, 100 almost everywhere). */
export const CLOCK_TICKS = (() => {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000 }).trim());
    return Number.isFinite(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
})();

/**
 * The process's own user and system CPU seconds (children excluded), or undefined once it is gone.
 * With `thread`, only that thread's (thread === pid: the main thread, where all JS runs; the rest
 * is V8's GC/compiler helpers and libuv's pool).
 */
export function cpuTimes(pid: number, thread?: number): { user: number; system: number } | undefined {
  try {
    const stat = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8');
    // Fields after the command name, which may itself hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the line; fields[0] here is field 3 (state).
    return { user: Number(fields[11]) / CLOCK_TICKS, system: Number(fields[12]) / CLOCK_TICKS };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of the process: the on-CPU time of each of its threads in ns (`/proc/PID/task/TID/schedstat`),
 * summed; undefined once the process is gone. `/proc/PID/stat` counts the same time in 10 ms ticks, too coarse
 * for a server that uses 20 ms of CPU per second (at 5 viewers a 20 s window is 40 ticks). A thread that exits
 * inside the window takes its time with it; the servers' threads live as long as they do. Without schedstat
 * (a kernel built without it): user + system time from stat.
 */
export function cpuSeconds(pid: number): number | undefined {
  try {
    let nanoseconds = 0;
    for (const thread of readdirSync(`/proc/${pid}/task`)) {
      nanoseconds += Number(readFileSync(`/proc/${pid}/task/${thread}/schedstat`, 'utf8').split(' ')[0]);
    }
    if (Number.isFinite(nanoseconds)) return nanoseconds / 1e9;
  } catch {
    // gone, or no schedstat: stat decides which
  }
  const times = cpuTimes(pid);
  return times && times.user + times.system;
}

/** Resident set size in bytes (VmRSS), or undefined once the process is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
