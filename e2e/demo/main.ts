/**
 * `npm run demo` (through scripts/demo.mjs, which installs what is missing and starts the local
 * infrastructure): the platform of e2e/support/platform.ts — every service through its own
 * composition root, the Cloud API simulator playing Meta, the real Kafka, FerretDB, Redis and
 * FHIR server — with the e2e demo network, then the scripted patients of support/demo-script.ts,
 * their transcripts and analytics' reports. Its own tenant and databases: beside `npm start` it
 * touches nothing of the demo network there.
 */
import { seedNetwork } from '../support/network';
import { startPlatform } from '../support/platform';
import { renderReport, runDemo } from '../support/demo-script';

async function main(): Promise<void> {
  const began = Date.now();
  const seconds = () => `${((Date.now() - began) / 1000).toFixed(0)} s`;
  process.stderr.write('[demo] starting the platform (seven services, the simulator) ...\n');
  const platform = await startPlatform();
  try {
    await seedNetwork(platform.scheduling, platform.tenantId);
    process.stderr.write(`[demo] platform up after ${seconds()}; four patients write at once ...\n`);
    const run = await runDemo(platform);
    for (const s of run.stories) {
      console.log(`\n── ${s.patient} (${s.language}): ${s.journey} ${'─'.repeat(Math.max(0, 60 - s.patient.length - s.journey.length))}\n`);
      console.log(s.transcript);
    }
    console.log('\n── analytics, today ─────────────────────────────────────────────────────\n');
    for (const [name, report] of Object.entries(run.reports)) console.log(renderReport(name, report));
    process.stderr.write(`\n[demo] done in ${seconds()}\n`);
  } finally {
    await platform.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
