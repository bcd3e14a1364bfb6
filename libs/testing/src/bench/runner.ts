import { killAllBenchChildren, stopAllBenchChildren } from './child-process';

/** A benchmark's command-line options: `--name value` and `--flag`. */
export class BenchArgs {
  constructor(private readonly argv: readonly string[] = process.argv) {}

  /** The value after `--name`, if given. */
  value(name: string): string | undefined {
    const i = this.argv.indexOf(`--${name}`);
    return i > 0 ? this.argv[i + 1] : undefined;
  }

  /** Whether `--name` is given. */
  flag(name: string): boolean {
    return this.argv.includes(`--${name}`);
  }

  /** A positive integer (or, with `integer: false`, any positive number); `fallback` when not given. Throws on anything else. */
  positive(name: string, fallback: number, { integer = true }: { integer?: boolean } = {}): number {
    const raw = this.value(name);
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
      throw new Error(`--${name} must be a positive ${integer ? 'integer' : 'number'} (got ${String(raw)})`);
    }
    return value;
  }

  /** One of `allowed`; `fallback` when not given. Throws on anything else. */
  choice<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.value(name) ?? fallback;
    const found = allowed.find((a) => a === raw);
    if (!found) throw new Error(`--${name} must be one of ${allowed.join(', ')} (got ${raw})`);
    return found;
  }
}

/** What a benchmark's main function gets from `runBench`. */
export interface BenchRun {
  /** Registers clean-up (run in reverse order at the end, also after errors and Ctrl-C); a failing step is reported and the rest still run. */
  defer(cleanup: () => Promise<unknown>): void;
}

export interface RunBenchOptions {
  /** Printed after the signal's name when SIGINT/SIGTERM interrupts the run (what is being stopped). */
  readonly interruptMessage: string;
  /** How long children still running at the end get to stop (then SIGKILL). Default 15 s. */
  readonly childGraceMs?: number;
}

/**
 * Runs a benchmark's `main` as the process's whole life: at the end, after an
 * error or on SIGINT/SIGTERM it stops the BenchChild processes still running,
 * then runs the deferred clean-ups, and exits — with the code main returns,
 * 1 after an error, 130 when interrupted. A child left when the process exits
 * anyway is SIGKILLed.
 */
export function runBench(main: (run: BenchRun) => Promise<number>, options: RunBenchOptions): void {
  const cleanups: (() => Promise<unknown>)[] = [];
  let cleaning: Promise<void> | undefined;
  let interrupted = false;
  const cleanUp = (): Promise<void> => {
    cleaning ??= (async () => {
      await stopAllBenchChildren(options.childGraceMs ?? 15_000);
      for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error('clean-up step failed:', error));
    })();
    return cleaning;
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      console.log(`\n${signal}: ${options.interruptMessage}`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  process.on('exit', killAllBenchChildren);

  main({ defer: (cleanup) => cleanups.push(cleanup) }).then(
    async (code) => {
      await cleanUp();
      process.exit(code);
    },
    async (error: unknown) => {
      if (!interrupted) console.error(error); // else: a child stopped by the signal, nothing to report
      await cleanUp();
      process.exit(interrupted ? 130 : 1);
    },
  );
}
