import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { repoRoot } from '@careloop/testing';

/** What a bench child reports over IPC once it listens. */
export interface ReadyMessage {
  readonly type: 'ready';
  readonly httpPort: number;
  readonly opsPort?: number;
}

function isReady(message: unknown): message is ReadyMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'ready' && typeof (message as { httpPort?: unknown }).httpPort === 'number';
}

const live = new Set<BenchChild>();
/** How many log lines of a child are relayed to the console before it is only summarised. */
const RELAYED_LINES = 20;

/**
 * A server under test in its own Node.js process (its own CPU, heap and event
 * loop), loaded like `npm start` loads services (`--require tsx/cjs`). It
 * reports its ports over IPC and stops when this process goes away (the IPC
 * channel closes), so no child outlives the benchmark.
 */
export class BenchChild {
  private readonly tail: string[] = [];
  private relayed = 0;
  private suppressed = 0;
  private readonly exited: Promise<number | string>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code ?? 0)));
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

  /** Starts `entry` (a .ts file) with exactly `env` and waits for its ready message. */
  static async start(name: string, entry: string, env: Record<string, string>, options: { nodeArgs?: readonly string[]; readyTimeoutMs?: number } = {}): Promise<{ child: BenchChild; ready: ReadyMessage }> {
    const child = fork(entry, [], {
      cwd: repoRoot(),
      // Only what the child needs: nothing of this shell's own settings (OTel endpoints, KAFKA_BROKERS...) leaks in.
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', TMPDIR: process.env['TMPDIR'] ?? '/tmp', NODE_ENV: 'production', ...env },
      execArgv: ['--require', 'tsx/cjs', ...(options.nodeArgs ?? [])],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const bench = new BenchChild(name, child);
    live.add(bench);
    const timeoutMs = options.readyTimeoutMs ?? 90_000;
    try {
      const ready = await new Promise<ReadyMessage>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs} ms`)), timeoutMs);
        child.on('message', (message) => {
          if (!isReady(message)) return;
          clearTimeout(timer);
          resolve(message);
        });
        void bench.exited.then((how) => {
          clearTimeout(timer);
          reject(new Error(`${name} exited (${String(how)}) before it was ready:\n${bench.tail.join('\n')}`));
        });
      });
      return { child: bench, ready };
    } catch (error) {
      await bench.stop();
      throw error;
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends a message over IPC and waits for the first reply `accept` recognises (undefined after the timeout). */
  async request<T>(message: string, accept: (reply: unknown) => reply is T, timeoutMs = 10_000): Promise<T | undefined> {
    if (!this.child.connected) return undefined;
    return new Promise<T | undefined>((resolve) => {
      const onMessage = (reply: unknown) => {
        if (!accept(reply)) return;
        finish(reply);
      };
      const finish = (value: T | undefined) => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        resolve(value);
      };
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      this.child.on('message', onMessage);
      this.child.send(message);
    });
  }

  /** Sends a message over IPC, if the child is still connected. */
  send(message: string): void {
    if (this.child.connected) this.child.send(message);
  }

  /** user+system CPU seconds the process has used so far (Linux /proc), or undefined. */
  cpuSeconds(): number | undefined {
    return this.child.pid === undefined ? undefined : processCpuSeconds(this.child.pid);
  }

  /** SIGTERM (graceful: the gateway drains and, with --cpu-prof, writes its profile), SIGKILL after the grace period. */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    if (this.suppressed > 0) console.log(`  (${this.name}: ${this.suppressed} more log lines not shown)`);
  }

  /** Last resort on the way out: no waiting. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private line(line: string): void {
    if (!line.trim()) return;
    this.tail.push(line);
    if (this.tail.length > 40) this.tail.shift();
    if (this.relayed < RELAYED_LINES) {
      this.relayed++;
      console.log(`  ${this.name} | ${line.length > 400 ? `${line.slice(0, 400)}…` : line}`);
    } else this.suppressed++;
  }
}

/** Stops every child still running (gracefully, in parallel). */
export async function stopAllChildren(graceMs?: number): Promise<void> {
  await Promise.all([...live].map((c) => c.stop(graceMs)));
}

/** SIGKILLs every child still running; for the process 'exit' handler, which cannot wait. */
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
