import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@careloop/testing';

const live = new Set<BenchChild>();
/** Log lines of a child relayed to the console before the rest is only counted. */
const RELAYED_LINES = 15;

export interface ChildOptions {
  /** Extra Node.js flags (--cpu-prof...) and preloads, after tsx's. */
  readonly nodeArgs?: readonly string[];
  /** Lines starting with this prefix go to `onMarked` instead of the console. */
  readonly marker?: string;
  readonly onMarked?: (payload: string) => void;
}

/**
 * A subject under test in its own Node.js process, started as services are
 * (`node --require tsx/cjs <entry>`) with exactly the environment given. A
 * preload makes it stop by itself (SIGTERM) when the bench process is gone,
 * so that no child outlives a benchmark that was killed.
 */
export class BenchChild {
  private readonly tail: string[] = [];
  private relayed = 0;
  private suppressed = 0;
  private readonly exited: Promise<string>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    private readonly options: ChildOptions,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? String(code ?? 0))));
    void this.exited.then(() => live.delete(this));
    const relay = (stream: NodeJS.ReadableStream | null) => {
      let buffer = '';
      stream?.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines) this.line(line);
      });
    };
    relay(child.stdout);
    relay(child.stderr);
  }

  static start(name: string, entry: string, env: Record<string, string>, options: ChildOptions = {}): BenchChild {
    const root = repoRoot();
    const child = spawn(
      process.execPath,
      ['--require', 'tsx/cjs', '--require', join(root, 'services', 'routing', 'bench', 'support', 'exit-with-parent.ts'), ...(options.nodeArgs ?? []), entry],
      {
        cwd: root,
        // Only what the child needs: nothing of this shell's settings (OTel endpoints, KAFKA_BROKERS...) leaks in.
        env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', TMPDIR: process.env['TMPDIR'] ?? '/tmp', NODE_ENV: 'production', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const bench = new BenchChild(name, child, options);
    live.add(bench);
    return bench;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The child's last log lines, for error messages. */
  lastLines(): string {
    return this.tail.join('\n');
  }

  /** Resolves with how the child ended, if it ends. */
  whenExited(): Promise<string> {
    return this.exited;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** user+system CPU seconds the process has used so far. */
  cpuSeconds(): number | undefined {
    return this.child.pid === undefined ? undefined : processCpuSeconds(this.child.pid);
  }

  /** SIGTERM (a graceful stop, which also writes a --cpu-prof profile), SIGKILL after the grace period. */
  async stop(graceMs = 20_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    if (this.suppressed > 0) console.log(`  (${this.name}: ${this.suppressed} more log lines not shown)`);
    this.suppressed = 0;
  }

  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }

  private line(line: string): void {
    if (!line.trim()) return;
    const { marker, onMarked } = this.options;
    if (marker && onMarked && line.startsWith(marker)) {
      onMarked(line.slice(marker.length));
      return;
    }
    this.tail.push(line);
    if (this.tail.length > 40) this.tail.shift();
    if (this.relayed < RELAYED_LINES) {
      this.relayed++;
      console.log(`  ${this.name} | ${line.length > 300 ? `${line.slice(0, 300)}…` : line}`);
    } else this.suppressed++;
  }
}

/** Stops every child still running, in parallel. */
export async function stopAllChildren(graceMs?: number): Promise<void> {
  await Promise.all([...live].map((c) => c.stop(graceMs)));
}

/** SIGKILLs every child still running; for the 'exit' handler, which cannot wait. */
export function killAllChildren(): void {
  for (const child of live) child.kill();
}

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
