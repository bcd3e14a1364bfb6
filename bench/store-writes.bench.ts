/**
 * What one document costs the store, per shape of operation, in the same run.
 *   npm run bench:store [-- --docs 20000]
 * The cost model every hot path in Careloop is designed against: on the local store (FerretDB v1
 * on PostgreSQL) an update is a read-modify-write of the whole document whatever form it takes
 * (alone, in parallel, in a bulk write), while an unordered batch insert is an order of magnitude
 * cheaper per document, and `$in` is not pushed down to an index. Each figure is milliseconds per
 * document, and its ratio to the baseline: one insertOne at a time. Runs against MONGODB_URI or
 * the local infrastructure, in a throw-away database.
 */
import { performance } from 'node:perf_hooks';
import { connectMongo } from '@careloop/store';
import { ensureInfra } from '@careloop/testing';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 5_000) throw new Error(`--${name} must be an integer of at least 5000 (the reads and updates below use the first 4,300 documents)`);
  return v;
};
const DOCS = arg('docs', 20_000);
const BASELINE_OPS = 500;

interface Fact {
  _id: string;
  tenantId: string;
  day: string;
  version: number;
  count: number;
  /** About the size of a reminder or message-log document. */
  body: string;
}

const doc = (i: number): Fact => ({ _id: `t/${i}`, tenantId: 't', day: '2026-03-02', version: 1, count: 0, body: 'x'.repeat(300) });

async function perDoc(docs: number, work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / docs;
}

async function inParallel(lanes: number, count: number, one: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < count) await one(next++);
    }),
  );
}

async function main(): Promise<void> {
  const uri = process.env['MONGODB_URI'] ?? ensureInfra().MONGODB_URI;
  const connection = await connectMongo({ uri, dbName: `store_bench_${Date.now()}` });
  try {
    const db = connection.db;
    if (!db) throw new Error('no database handle after connecting');
    const facts = db.collection<Fact>('facts');
    const rows: [string, number][] = [];
    const ids = (from: number, n: number) => Array.from({ length: n }, (_, k) => `t/${from + k}`);

    // Baseline, then the bulk of the collection in batches, so the reads below run at DOCS documents.
    const baseline = await perDoc(BASELINE_OPS, async () => {
      for (let i = 0; i < BASELINE_OPS; i++) await facts.insertOne(doc(i));
    });
    rows.push(['insertOne, one at a time (baseline)', baseline]);
    const batch = 250;
    rows.push([
      `insertMany unordered, batches of ${batch}`,
      await perDoc(DOCS - BASELINE_OPS, async () => {
        for (let i = BASELINE_OPS; i < DOCS; i += batch) await facts.insertMany(Array.from({ length: Math.min(batch, DOCS - i) }, (_, k) => doc(i + k)), { ordered: false });
      }),
    ]);
    const guarded = (i: number, v: number) => facts.updateOne({ _id: `t/${i}`, version: { $lt: v } }, { $set: { version: v, count: 1 } });
    rows.push(['updateOne (version-guarded), one at a time', await perDoc(500, async () => { for (let i = 0; i < 500; i++) await guarded(i, 2); })]);
    rows.push(['updateOne (version-guarded), 8 in parallel', await perDoc(800, () => inParallel(8, 800, (i) => guarded(1_000 + i, 2)))]);
    rows.push([
      'bulkWrite of 100 updateOne, unordered',
      await perDoc(800, async () => {
        for (let i = 0; i < 800; i += 100) await facts.bulkWrite(ids(2_000 + i, 100).map((_id) => ({ updateOne: { filter: { _id, version: { $lt: 2 } }, update: { $set: { version: 2 } } } })), { ordered: false });
      }),
    ]);
    rows.push(['findOne by _id, 8 in parallel', await perDoc(800, () => inParallel(8, 800, (i) => facts.findOne({ _id: `t/${3_000 + i}` })))]);
    rows.push([
      `find _id $in of 100 (at ${DOCS.toLocaleString('en')} docs)`,
      await perDoc(300, async () => {
        for (let i = 0; i < 3; i++) await facts.find({ _id: { $in: ids(4_000 + i * 100, 100) } }).toArray();
      }),
    ]);

    const out = [`store write shapes — ${uri.replace(/\/\/[^@]*@/, '//')}, ${DOCS.toLocaleString('en')} documents of ~400 bytes`, `  ${'operation'.padEnd(48)} ms/doc   × baseline   docs/s`];
    for (const [name, ms] of rows) out.push(`  ${name.padEnd(48)} ${ms.toFixed(3).padStart(6)}   ${(ms / baseline).toFixed(2).padStart(9)}   ${Math.round(1000 / ms).toLocaleString('en').padStart(7)}`);
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await connection.dropDatabase().catch(() => undefined);
    await connection.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
