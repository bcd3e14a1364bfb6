/** What the profiling run's preload (mongo-trace.ts) reports; kept apart so the bench can read it without loading the preload. */
export const TRACE_MARKER = '@@routing-bench-trace ';

export interface TracedCommand {
  /** Epoch ms (sub-ms precision) when the command was sent. */
  readonly at: number;
  readonly command: string;
  readonly collection: string;
  readonly ms: number;
  readonly ok: boolean;
}

export interface TraceSnapshot {
  /** process.hrtime in µs: the clock of --cpu-prof's sample timestamps. */
  readonly hrtimeUs: number;
  readonly wallMs: number;
  /** Since the previous snapshot. */
  readonly eventLoopUtilization: number;
  readonly eventLoopDelayP99Ms: number;
  readonly cpuSeconds: number;
  readonly counters: Record<string, { count: number; totalMs: number; maxMs: number }>;
  /** The commands themselves, in order, up to LOG_LIMIT. */
  readonly log: TracedCommand[];
  readonly logDropped: number;
}
