import { readFileSync } from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** user+system CPU seconds of a process from /proc/<pid>/stat, or undefined where that does not exist. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / CLOCK_TICKS : undefined;
  } catch {
    return undefined;
  }
}

/** CPU used by a set of processes (and this one) over a stretch of wall time, in cores. */
export class CpuMeter {
  private readonly started = performance.now();
  private readonly self = process.cpuUsage();
  private readonly before: Map<string, number>;

  /** Starts measuring the processes named in `pids` (undefined ones are left out). */
  constructor(private readonly pids: Readonly<Record<string, number | undefined>>) {
    this.before = new Map(
      Object.entries(pids).flatMap(([name, pid]) => {
        const s = pid === undefined ? undefined : processCpuSeconds(pid);
        return s === undefined ? [] : [[name, s] as const];
      }),
    );
  }

  /** Cores used since the start: this process first (as `selfName`), then every process that could be read at both ends. */
  stop(selfName = 'bench process'): { name: string; cores: number }[] {
    const seconds = (performance.now() - this.started) / 1000;
    const self = process.cpuUsage(this.self);
    const out = [{ name: selfName, cores: (self.user + self.system) / 1e6 / seconds }];
    for (const [name, pid] of Object.entries(this.pids)) {
      const start = this.before.get(name);
      const end = pid === undefined ? undefined : processCpuSeconds(pid);
      if (start !== undefined && end !== undefined) out.push({ name, cores: (end - start) / seconds });
    }
    return out;
  }
}
