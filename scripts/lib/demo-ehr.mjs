// The demo network's EHR, for `npm start`: the local HAPI FHIR server holds two patients with
// appointments booked in the EHR (tomorrow and the day after, re-dated on every start), and
// crm-sync gets a connector for tenant "demo" that imports them into scheduling, so reminders
// schedules them like any chat booking (journey 12 by hand). Idempotent: conditional writes.
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { DateTime } from 'luxon';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log, root } from './workspace.mjs';

const SYSTEM = 'urn:careloop:demo-ehr';
const PATIENTS = [
  { mrn: 'MRN-1001', family: 'Núñez', given: 'Lucía', phone: '+34600111222', language: 'es', daysAhead: 1, hour: 10 },
  { mrn: 'MRN-1002', family: 'Schmidt', given: 'Jonas', phone: '+4915100000002', language: 'de', daysAhead: 2, hour: 9 },
];

function portOpen(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function waitForPort(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await portOpen(port)) return true;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return false;
}

async function fhir(base, method, path, body, headers = {}) {
  const response = await fetch(`${base}/${path}`, {
    method,
    headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json', ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${json.issue?.[0]?.diagnostics ?? ''}`.trim());
  return json;
}

/** `hour`:00 in Madrid, `daysAhead` days from today there. */
function madridInstant(daysAhead, hour) {
  return DateTime.now().setZone('Europe/Madrid').plus({ days: daysAhead }).set({ hour, minute: 0, second: 0, millisecond: 0 }).toJSDate();
}

export async function seedDemoEhr(env) {
  const base = env.FHIR_BASE_URL;
  if (!base) return;
  try {
    for (const p of PATIENTS) {
      const patient = await fhir(base, 'PUT', `Patient?identifier=${encodeURIComponent(`${SYSTEM}:mrn|${p.mrn}`)}`, {
        resourceType: 'Patient',
        identifier: [{ system: `${SYSTEM}:mrn`, value: p.mrn }],
        name: [{ family: p.family, given: [p.given] }],
        telecom: [{ system: 'phone', use: 'mobile', value: p.phone }],
        communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: p.language }] }, preferred: true }],
      });
      const start = madridInstant(p.daysAhead, p.hour);
      await fhir(base, 'PUT', `Appointment?identifier=${encodeURIComponent(`${SYSTEM}:appointment|${p.mrn}-A1`)}`, {
        resourceType: 'Appointment',
        identifier: [{ system: `${SYSTEM}:appointment`, value: `${p.mrn}-A1` }],
        status: 'booked',
        description: 'Cardiology consultation',
        start: start.toISOString(),
        end: new Date(start.getTime() + 30 * 60_000).toISOString(),
        participant: [{ actor: { reference: `Patient/${patient.id}` }, status: 'accepted' }],
      });
    }
  } catch (error) {
    log(`demo EHR not seeded (${error instanceof Error ? error.message : String(error)})`);
    return;
  }

  // crm-sync's gRPC comes up a few seconds after its process starts.
  if (!(await waitForPort(50055, 90_000))) {
    log('demo EHR connector not created: crm-sync did not open 127.0.0.1:50055');
    return;
  }
  const dir = join(root, '.local');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'demo-ehr-connector.json');
  writeFileSync(
    file,
    JSON.stringify({
      tenantId: 'demo',
      connectorId: 'demo-ehr',
      kind: 'CONNECTOR_KIND_FHIR_R4',
      baseUrl: base,
      enabled: true,
      flows: ['SYNC_FLOW_APPOINTMENTS_OUT', 'SYNC_FLOW_OBSERVATIONS_OUT', 'SYNC_FLOW_APPOINTMENTS_IN', 'SYNC_FLOW_PATIENT_LOOKUP'],
      mrnSystem: `${SYSTEM}:mrn`,
      import: {
        facilityId: 'madrid-central',
        departmentId: 'cardiology',
        defaultPractitionerId: 'madrid-cardiology-1',
        serviceType: 'consultation',
        endpoint: { channel: 'CHANNEL_WHATSAPP', endpointId: '1000001' },
        defaultLanguage: 'es',
        pollIntervalSeconds: 10,
      },
    }),
  );
  const cli = join(root, 'services', 'crm-sync', 'src', 'cli.ts');
  const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', cli, 'put-connector', file], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status === 0) log(`demo EHR ready: ${PATIENTS.length} EHR-booked appointments in ${base}, imported by crm-sync's connector "demo-ehr" every 10 s`);
  else log(`demo EHR connector not created: ${(r.stderr || r.stdout || '').trim().split('\n').pop()}`);
}
