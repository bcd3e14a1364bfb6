// The demo network's EHR, for `npm start`: the local HAPI FHIR server holds two patients with
// appointments booked in the EHR (tomorrow and the day after, re-dated on every start), and
// crm-sync gets a connector for tenant "demo" that imports them into scheduling, so reminders
// schedules them like any chat booking (journey 12 by hand). Lucía also has results (a blood count
// released as a PDF, a chest X-ray only announced: local.env's results policy), a repeat
// prescription and two pharmacies to collect it from, for "My results" and "My repeat
// prescription" after the identity check (her date of birth). Idempotent: conditional writes.
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { DateTime } from 'luxon';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log, root } from './workspace.mjs';

const SYSTEM = 'urn:careloop:demo-ehr';
const PATIENTS = [
  { mrn: 'MRN-1001', family: 'Núñez', given: 'Lucía', phone: '+34600111222', birthDate: '1990-04-12', language: 'es', daysAhead: 1, hour: 10 },
  { mrn: 'MRN-1002', family: 'Schmidt', given: 'Jonas', phone: '+4915100000002', birthDate: '1975-11-30', language: 'de', daysAhead: 2, hour: 9 },
];
/** The pharmacy directory's Organization: crm-sync's local.env names it in EHR_REFILL_POLICY. */
const PHARMACIES = 'careloop-demo-pharmacies';

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

/** A conditional create-or-update by identifier (the same resource on every start). */
function put(base, type, id, resource) {
  return fhir(base, 'PUT', `${type}?identifier=${encodeURIComponent(`${SYSTEM}:${type.toLowerCase()}|${id}`)}`, {
    resourceType: type,
    identifier: [{ system: `${SYSTEM}:${type.toLowerCase()}`, value: id }],
    ...resource,
  });
}

/** Lucía's recent results (re-dated on every start: "recent" is the policy's last 180 days), a repeat prescription and the pharmacies. */
async function seedRecords(base, patientId) {
  const subject = { reference: `Patient/${patientId}` };
  const daysAgo = (n) => new Date(Date.now() - n * 86_400_000).toISOString();
  const section = (code) => [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code }] }];
  const loinc = (code, display) => ({ coding: [{ system: 'http://loinc.org', code, display }], text: display });
  const quantity = (value, unit) => ({ value, unit, system: 'http://unitsofmeasure.org', code: unit });
  const observations = [
    { id: 'MRN-1001-HB', code: loinc('718-7', 'Hemoglobina'), value: quantity(13.2, 'g/dL'), low: 12, high: 15.5 },
    { id: 'MRN-1001-WBC', code: loinc('6690-2', 'Leucocitos'), value: quantity(6.8, '10*3/uL'), low: 4, high: 10 },
  ];
  const result = [];
  for (const o of observations) {
    const written = await put(base, 'Observation', o.id, {
      status: 'final',
      code: o.code,
      subject,
      effectiveDateTime: daysAgo(3),
      valueQuantity: o.value,
      referenceRange: [{ low: quantity(o.low, o.value.unit), high: quantity(o.high, o.value.unit) }],
    });
    result.push({ reference: `Observation/${written.id}` });
  }
  await put(base, 'DiagnosticReport', 'MRN-1001-CBC', { status: 'final', category: section('LAB'), code: loinc('58410-2', 'Hemograma completo'), subject, effectiveDateTime: daysAgo(3), issued: daysAgo(3), result });
  await put(base, 'DiagnosticReport', 'MRN-1001-XR', { status: 'final', category: section('RAD'), code: loinc('36643-5', 'Radiografía de tórax'), subject, effectiveDateTime: daysAgo(2), issued: daysAgo(2), conclusion: 'Sin hallazgos agudos.' });
  await put(base, 'MedicationRequest', 'MRN-1001-RX1', {
    status: 'active',
    intent: 'order',
    medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '314076', display: 'Lisinopril 10 mg' }], text: 'Lisinopril 10 mg' },
    subject,
    authoredOn: daysAgo(60).slice(0, 10),
    dosageInstruction: [{ text: '1 comprimido al día' }],
  });
  // The pharmacy directory: an Organization with a fixed id (local.env's EHR_REFILL_POLICY names it) and its Locations typed PHARM.
  await fhir(base, 'PUT', `Organization/${PHARMACIES}`, { resourceType: 'Organization', id: PHARMACIES, active: true, name: 'Farmacias del Hospital Demo' });
  for (const [id, name, line] of [['PH-1', 'Farmacia Central', 'Calle de Alcalá 98'], ['PH-2', 'Farmacia Retiro', 'Calle de O\'Donnell 12']]) {
    await put(base, 'Location', id, {
      status: 'active',
      name,
      type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'PHARM', display: 'Pharmacy' }] }],
      address: { line: [line], city: 'Madrid', country: 'ES' },
      managingOrganization: { reference: `Organization/${PHARMACIES}` },
    });
  }
}

export async function seedDemoEhr(env) {
  const base = env.FHIR_BASE_URL;
  if (!base) return;
  let lucia;
  try {
    for (const p of PATIENTS) {
      const patient = await fhir(base, 'PUT', `Patient?identifier=${encodeURIComponent(`${SYSTEM}:mrn|${p.mrn}`)}`, {
        resourceType: 'Patient',
        identifier: [{ system: `${SYSTEM}:mrn`, value: p.mrn }],
        name: [{ family: p.family, given: [p.given] }],
        birthDate: p.birthDate,
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
      if (p.mrn === 'MRN-1001') lucia = patient.id;
    }
  } catch (error) {
    log(`demo EHR not seeded (${error instanceof Error ? error.message : String(error)})`);
    return;
  }
  // Results and a prescription: on their own, so a failure here leaves appointments and the connector as they were.
  try {
    if (lucia) await seedRecords(base, lucia);
  } catch (error) {
    log(`demo EHR results and prescriptions not seeded (${error instanceof Error ? error.message : String(error)})`);
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
