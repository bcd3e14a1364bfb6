import type { MongoCommand, MongoCommandTotals } from '@careloop/testing';

/** What the profiling run's preload (mongo-trace.ts) reports; kept apart so the bench can read it without loading the preload. */
export const TRACE_MARKER = '@@routing-bench-trace ';

export interface TraceSnapshot {
  /** process.hrtime in µs: the clock of --cpu-prof's sample timestamps. */
  readonly hrtimeUs: number;
  readonly wallMs: number;
  /** Since the previous snapshot. */
  readonly eventLoopUtilization: number;
  readonly eventLoopDelayP99Ms: number;
  readonly cpuSeconds: number;
  /** By `<collection>.<command>`. */
  readonly counters: Record<string, MongoCommandTotals>;
  /** The commands themselves, in order, up to the preload's limit. */
  readonly log: MongoCommand[];
  readonly logDropped: number;
}
