import { printCpuProfileSummary, summariseCpuProfile, type BenchChild, type CpuProfileFrame } from '@careloop/testing';

/** MongoDB commands the gateway issued (BENCH_DB_TIMINGS), as timed by the driver's command monitoring. */
export interface DbTiming {
  /** Command and collection, e.g. `find inbound_receipts`. */
  readonly command: string;
  readonly count: number;
  readonly totalMs: number;
  readonly maxMs: number;
}

export function isDbTimingsReply(message: unknown): message is { type: 'db-timings'; timings: DbTiming[] } {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'db-timings' && Array.isArray((message as { timings?: unknown }).timings);
}

export function printDbTimings(timings: readonly DbTiming[], wallSeconds: number, top = 10): void {
  if (timings.length === 0) return;
  console.log(`  MongoDB commands of the gateway over ${wallSeconds.toFixed(1)} s (driver command monitoring; time summed over concurrent calls):`);
  for (const t of timings.slice(0, top)) {
    console.log(
      `    ${t.command.padEnd(38)} ${t.count.toLocaleString('en-US').padStart(8)} calls  mean ${(t.totalMs / t.count).toFixed(2).padStart(8)} ms  max ${t.maxMs.toFixed(0).padStart(6)} ms  ` +
        `total ${(t.totalMs / 1000).toFixed(1).padStart(7)} s (${(t.totalMs / 1000 / wallSeconds).toFixed(1)} calls in flight on average)`,
    );
  }
}

/** The gateway's own code by file (`gateway: src/...`); everything else by the default areas. */
function gatewayArea(frame: CpuProfileFrame): string | undefined {
  const file = /\/services\/gateway\/(.+)$/.exec(frame.url)?.[1];
  return file ? `gateway: ${file}` : undefined;
}

export function isProfileReply(message: unknown): message is { type: 'profile'; file: string; error?: string } {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'profile' && typeof (message as { file?: unknown }).file === 'string';
}

/** --profile: starts the gateway child's DB timings and CPU profile for the stretch being measured. */
export function startDiagnostics(enabled: boolean, gateway: BenchChild): void {
  if (!enabled) return;
  gateway.send('db-timings:reset');
  gateway.send('profile:start');
}

/** --profile: stops them; the result prints where the time went. */
export async function collectDiagnostics(enabled: boolean, gateway: BenchChild, wallSeconds: number): Promise<() => void> {
  if (!enabled) return () => undefined;
  const timings = await gateway.request('db-timings:report', isDbTimingsReply, 5_000);
  const profile = await gateway.request('profile:stop', isProfileReply, 30_000);
  return () => {
    printDbTimings(timings?.timings ?? [], wallSeconds);
    if (profile?.file) printCpuProfileSummary(summariseCpuProfile(profile.file, { areaOf: gatewayArea }), 'the gateway');
    else console.log(`  (no CPU profile: ${profile?.error ?? 'the gateway did not answer'})`);
  };
}
