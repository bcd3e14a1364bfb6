import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../infra';
import { processCpuSeconds } from './process-cpu';

/**
 * Preload (`--require`) that makes a child stop itself (SIGTERM) when its
 * parent is gone: see exit-with-parent.ts.
 */
export const EXIT_WITH_PARENT_PRELOAD = join(__dirname, 'exit-with-parent.ts');

/** What a child started with `BenchChild.fork` reports over IPC once it listens. */
export interface ChildReadyMessage {
  readonly type: 'ready';
  readonly httpPort: number;
  readonly opsPort?: number;
}

function isReady(message: unknown): message is ChildReadyMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'ready' && typeof (message as { httpPort?: unknown }).httpPort === 'number';
}

export interface BenchChildOptions {
  /** Extra Node.js flags (--cpu-prof...) and preloads, after tsx's. */
  readonly nodeArgs?: readonly string[];
  /** Lines starting with this prefix go to `onMarked` (without the prefix) instead of the console. */
  readonly marker?: string;
  readonly onMarked?: (payload: string) => void;
  /**
   * Preload EXIT_WITH_PARENT_PRELOAD, so that the child stops by itself when
   * the bench process dies without cleaning up (SIGKILL). Default: on for
   * `spawn`; off for `fork`, whose children see their IPC channel close.
   */
  readonly exitWithParent?: boolean;
  /** Log lines relayed to the console (prefixed with the child's name) before the rest is only counted. Default 20. */
  readonly relayedLines?: number;
  /** Longer relayed lines are cut at this length. Default 400. */
  readonly maxLineLength?: number;
  /** `stop()`'s grace period before SIGKILL, in ms. Default 30,000. */
  readonly stopGraceMs?: number;
}

const live = new Set<BenchChild>();
/** Lines kept for error messages. */
const TAIL_LINES = 40;

/**
 * A process under test in its own Node.js process (its own CPU, heap and
 * event loop), started as services are (`node --require tsx/cjs <entry>`)
 * with exactly the environment given: nothing of this shell's own settings
 * (OTel endpoints, KAFKA_BROKERS...) leaks in. Its output is relayed to the
 * console (the first lines) and its last lines kept for error messages.
 * Every child still running is stopped by `stopAllBenchChildren` (and
 * SIGKILLed by `killAllBenchChildren` on the way out).
 */
export class BenchChild {
  private readonly tail: string[] = [];
  private relayed = 0;
  private suppressed = 0;
  private readonly exited: Promise<string>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    private readonly options: BenchChildOptions,
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

  /**
   * Starts `entry` (a .ts file) without an IPC channel. By default the child
   * also gets the exit-with-parent preload: it has no other way to notice that
   * the bench is gone.
   */
  static spawn(name: string, entry: string, env: Record<string, string>, options: BenchChildOptions = {}): BenchChild {
    return BenchChild.launch(name, entry, env, options, false);
  }

  /**
   * Starts `entry` (a .ts file) with an IPC channel and waits for its
   * `{ type: 'ready', httpPort, opsPort? }` message. The child is expected to
   * stop when the channel closes ('disconnect'), i.e. when the bench is gone.
   * If it exits or stays silent for `readyTimeoutMs`, it is stopped and the
   * error carries its last log lines.
   */
  static async fork(
    name: string,
    entry: string,
    env: Record<string, string>,
    options: BenchChildOptions & { readonly readyTimeoutMs?: number } = {},
  ): Promise<{ child: BenchChild; ready: ChildReadyMessage }> {
    const bench = BenchChild.launch(name, entry, env, options, true);
    const timeoutMs = options.readyTimeoutMs ?? 90_000;
    try {
      const ready = await new Promise<ChildReadyMessage>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs} ms`)), timeoutMs);
        bench.child.on('message', (message) => {
          if (!isReady(message)) return;
          clearTimeout(timer);
          resolve(message);
        });
        void bench.exited.then((how) => {
          clearTimeout(timer);
          reject(new Error(`${name} exited (${how}) before it was ready:\n${bench.lastLines()}`));
        });
      });
      return { child: bench, ready };
    } catch (error) {
      await bench.stop();
      throw error;
    }
  }

  private static launch(name: string, entry: string, env: Record<string, string>, options: BenchChildOptions, ipc: boolean): BenchChild {
    const preload = (options.exitWithParent ?? !ipc) ? ['--require', EXIT_WITH_PARENT_PRELOAD] : [];
    const stdio: StdioOptions = ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'];
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', ...preload, ...(options.nodeArgs ?? []), entry], {
      cwd: repoRoot(),
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', TMPDIR: process.env['TMPDIR'] ?? '/tmp', NODE_ENV: 'production', ...env },
      stdio,
    });
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

  /** Resolves with how the child ended (its signal or exit code), if it ends. */
  whenExited(): Promise<string> {
    return this.exited;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** Sends a message over IPC, if the child has a channel and is still connected. */
  send(message: string): void {
    if (this.child.connected) this.child.send(message);
  }

  /** Sends a message over IPC and waits for the first reply `accept` recognises (undefined after the timeout, or without a channel). */
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

  /** user+system CPU seconds the process has used so far (Linux /proc), or undefined. */
  cpuSeconds(): number | undefined {
    return this.child.pid === undefined ? undefined : processCpuSeconds(this.child.pid);
  }

  /** SIGTERM (a graceful stop, which also writes a --cpu-prof profile), SIGKILL after the grace period (default: the `stopGraceMs` option). */
  async stop(graceMs = this.options.stopGraceMs ?? 30_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    if (this.suppressed > 0) console.log(`  (${this.name}: ${this.suppressed} more log lines not shown)`);
    this.suppressed = 0;
  }

  /** Last resort on the way out: no waiting. */
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
    if (this.tail.length > TAIL_LINES) this.tail.shift();
    if (this.relayed < (this.options.relayedLines ?? 20)) {
      this.relayed++;
      const max = this.options.maxLineLength ?? 400;
      console.log(`  ${this.name} | ${line.length > max ? `${line.slice(0, max)}…` : line}`);
    } else this.suppressed++;
  }
}

/** Stops every child still running (gracefully, in parallel). */
export async function stopAllBenchChildren(graceMs?: number): Promise<void> {
  await Promise.all([...live].map((c) => c.stop(graceMs)));
}

/** SIGKILLs every child still running; for the process 'exit' handler, which cannot wait. */
export function killAllBenchChildren(): void {
  for (const child of live) child.kill();
}
