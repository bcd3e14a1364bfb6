/**
 * npm run bench:analytics -- [--appointments N] [--reports R]
 * 1. Ingestion: a synthetic history (≈7 events per appointment) fed to the rollup use cases
 *    (what the Kafka handlers call), as fast as the store takes it → events/s.
 * 2. Report latency over the resulting facts (no-show by reminder outcome, CSAT by facility,
 *    the no-show total) vs a single indexed lookup (one fact by _id) on the same store, same run.
 * Runs against MONGODB_URI or the local infrastructure; reports what it ran.
 */
import { performance } from 'node:perf_hooks';
import { connectMongo } from '@careloop/store';
import { infraEnv, percentiles } from '@careloop/testing';
import { FactTables } from '../src/adapters/fact-tables';
import { applyHistory } from '../src/generator/apply-history';
import { generateHistory } from '../src/generator/synthetic-history';
import { parseReportQuery } from '../src/domain/reports';
import { BuildReport } from '../src/use-cases/build-report';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

async function timeIt(runs: number, work: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const t = performance.now();
    await work();
    out.push(performance.now() - t);
  }
  return out;
}

async function main(): Promise<void> {
  const appointments = arg('appointments', 2000);
  const runs = arg('reports', 10);
  const uri = process.env['MONGODB_URI'] ?? infraEnv().MONGODB_URI;
  const connection = await connectMongo({ uri, dbName: `analytics_bench_${Date.now()}` });
  try {
    const facts = new FactTables(connection);
    await facts.init();
    const tenantId = 'bench-network';
    const { events } = generateHistory({ appointments, seed: 1, tenantId, start: new Date('2026-03-02T00:00:00Z'), days: 28 });
    const t0 = performance.now();
    await applyHistory(facts, tenantId, events, { concurrency: 64 });
    const ingestSeconds = (performance.now() - t0) / 1000;
    const reports = new BuildReport(facts);
    const range = { from: '2026-03-01', to: '2026-04-30' };
    const q = (report: string, groupBy?: string) => parseReportQuery({ report, ...range, ...(groupBy ? { groupBy } : {}) });
    const byOutcome = percentiles(await timeIt(runs, () => reports.execute(tenantId, q('no-show', 'reminder_outcome'))));
    const csat = percentiles(await timeIt(runs, () => reports.execute(tenantId, q('csat', 'facility'))));
    const total = percentiles(await timeIt(runs, () => reports.execute(tenantId, q('no-show'))));
    let n = 0;
    const lookup = percentiles(await timeIt(runs * 5, () => facts.appointments.get(tenantId, `syn-1-${(n++ % appointments) + 1}`)));
    const factCount = await facts.appointments.count(tenantId);
    const line = (name: string, p: { p50: number; p90: number }) => `  ${name.padEnd(42)} p50 ${p.p50.toFixed(1).padStart(8)} ms   p90 ${p.p90.toFixed(1).padStart(8)} ms`;
    process.stdout.write(
      [
        `analytics benchmark — store ${uri.replace(/\/\/[^@]*@/, '//')}`,
        `  appointments ${appointments}, events ${events.length}, appointment facts ${factCount}`,
        `  ingestion: ${(events.length / ingestSeconds).toFixed(0)} events/s (${ingestSeconds.toFixed(1)} s, 64 in flight, ≤8 writes per table)`,
        line('report no-show by reminder outcome', byOutcome),
        line('report CSAT by facility', csat),
        line('report no-show total', total),
        line('single indexed lookup (fact by _id)', lookup),
        '',
      ].join('\n'),
    );
  } finally {
    await connection.dropDatabase().catch(() => undefined);
    await connection.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
