/**
 * `npm run seed:scheduling`: creates the demo hospital network (tenant "demo") in scheduling's
 * database, with slots for the coming days. Idempotent: running it again rewrites the same records.
 * Uses MONGODB_URI (and MONGODB_DATABASE) when set, else the local infrastructure's settings.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { connectMongo } from '@careloop/store';
import { offsetClock } from '../domain/clock';
import { applyNetwork } from './apply-network';
import { demoNetwork } from './demo-network';

function mongoUri(): string {
  if (process.env['MONGODB_URI']) return process.env['MONGODB_URI'];
  const out = execFileSync('bash', [join(__dirname, '..', '..', '..', '..', 'deploy', 'local', 'infra.sh'), 'env'], { encoding: 'utf8' });
  const m = /^MONGODB_URI=(.*)$/m.exec(out);
  if (!m?.[1]) throw new Error('MONGODB_URI is not set and the local infrastructure did not print it');
  return m[1].replace(/^['"]|['"]$/g, '');
}

async function main(): Promise<void> {
  const horizon = Number(process.env['SCHEDULING_HORIZON_DAYS'] ?? 60);
  const connection = await connectMongo({ uri: mongoUri(), dbName: process.env['MONGODB_DATABASE'] ?? 'careloop_scheduling' });
  try {
    const network = demoNetwork(process.env['SEED_TENANT'] ?? 'demo');
    const started = Date.now();
    const r = await applyNetwork(connection, network, offsetClock(0), horizon);
    process.stdout.write(
      `seeded tenant "${network.tenantId}": ${network.facilities.length} facilities (${network.facilities.map((f) => `${f.facilityId} ${f.timeZone}`).join(', ')}), ` +
        `${network.departments.length} departments, ${network.practitioners.length} practitioners, ${r.slotDays} slot days, ${r.slots} slots over ${horizon} days in ${Date.now() - started} ms\n`,
    );
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`seed failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
  process.exit(1);
});
