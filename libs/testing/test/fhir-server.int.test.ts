// The FHIR R4 server that deploy/local/infra.sh starts (or the one FHIR_BASE_URL names) behaves
// as the services rely on: conditional create/update, _lastUpdated search, transactions,
// validation of incoming resources and optimistic locking with If-Match.
import { infraEnv, uniqueName } from '@careloop/testing';

const { FHIR_BASE_URL: base } = infraEnv();
const FHIR_JSON = 'application/fhir+json';

interface FhirResource {
  readonly resourceType: string;
  readonly id?: string;
  readonly meta?: { readonly versionId?: string; readonly lastUpdated?: string };
  readonly [field: string]: unknown;
}

interface Issue {
  readonly severity: string;
  readonly diagnostics?: string;
}

interface SearchSet extends FhirResource {
  readonly total?: number;
  readonly entry?: ReadonlyArray<{ readonly resource: FhirResource }>;
}

interface FhirReply<T extends FhirResource = FhirResource> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

async function fhir<T extends FhirResource = FhirResource>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<FhirReply<T>> {
  const res = await fetch(`${base}/${path}`, {
    method,
    headers: { accept: FHIR_JSON, ...(body === undefined ? {} : { 'content-type': FHIR_JSON }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : {}) as T };
}

const SYSTEM = 'urn:careloop:test:fhir-server';

function patient(value: string, family = 'Test'): FhirResource {
  return { resourceType: 'Patient', identifier: [{ system: SYSTEM, value }], name: [{ family }] };
}

function appointment(value: string, patientRef: string, status = 'booked'): FhirResource {
  return {
    resourceType: 'Appointment',
    identifier: [{ system: SYSTEM, value }],
    status,
    start: '2030-01-15T09:00:00Z',
    end: '2030-01-15T09:30:00Z',
    participant: [{ actor: { reference: patientRef }, status: 'accepted' }],
  };
}

async function search(path: string): Promise<SearchSet> {
  const reply = await fhir<SearchSet>('GET', path);
  expect(reply.status).toBe(200);
  expect(reply.body.resourceType).toBe('Bundle');
  return reply.body;
}

const errors = (outcome: FhirResource): Issue[] =>
  ((outcome['issue'] ?? []) as Issue[]).filter((issue) => issue.severity === 'error' || issue.severity === 'fatal');

describe('local FHIR R4 server', () => {
  it('serves an R4 CapabilityStatement that offers conditional create and update', async () => {
    const { status, body } = await fhir('GET', 'metadata');
    expect(status).toBe(200);
    expect(body.resourceType).toBe('CapabilityStatement');
    expect(body['fhirVersion']).toBe('4.0.1');
    const rest = (body['rest'] as Array<{ resource: Array<Record<string, unknown>> }>)[0];
    const appt = rest?.resource.find((r) => r['type'] === 'Appointment');
    expect(appt?.['conditionalCreate']).toBe(true);
    expect(appt?.['conditionalUpdate']).toBe(true);
  });

  it('creates a Patient and reads it back', async () => {
    const value = uniqueName('patient');
    const created = await fhir('POST', 'Patient', patient(value, 'Ramírez'));
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^[A-Za-z0-9.-]+$/);
    expect(created.body.meta?.versionId).toBe('1');

    const read = await fhir('GET', `Patient/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body['identifier']).toEqual([{ system: SYSTEM, value }]);
  });

  it('conditional create (If-None-Exist) twice leaves one resource', async () => {
    const value = uniqueName('cond-create');
    const ifNoneExist = { 'if-none-exist': `identifier=${SYSTEM}|${value}` };
    const first = await fhir('POST', 'Patient', patient(value), ifNoneExist);
    const second = await fhir('POST', 'Patient', patient(value), ifNoneExist);
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.headers.get('location')).toBe(first.headers.get('location'));

    const found = await search(`Patient?identifier=${encodeURIComponent(`${SYSTEM}|${value}`)}`);
    expect(found.total).toBe(1);
  });

  it('conditional update (PUT ?identifier=) creates, then updates the same resource', async () => {
    const value = uniqueName('cond-update');
    const who = await fhir('POST', 'Patient', patient(uniqueName('who')));
    const url = `Appointment?identifier=${encodeURIComponent(`${SYSTEM}|${value}`)}`;
    const created = await fhir('PUT', url, appointment(value, `Patient/${who.body.id}`, 'booked'));
    const updated = await fhir('PUT', url, appointment(value, `Patient/${who.body.id}`, 'cancelled'));
    expect(created.status).toBe(201);
    expect(updated.status).toBe(200);
    expect(updated.body.id).toBe(created.body.id);
    expect(updated.body.meta?.versionId).toBe('2');
    expect(updated.body['status']).toBe('cancelled');
  });

  it('finds Appointments by _lastUpdated', async () => {
    const value = uniqueName('last-updated');
    const who = await fhir('POST', 'Patient', patient(uniqueName('who')));
    const created = await fhir('POST', 'Appointment', appointment(value, `Patient/${who.body.id}`));
    expect(created.status).toBe(201);
    const lastUpdated = Date.parse(created.body.meta?.lastUpdated ?? '');
    expect(Number.isNaN(lastUpdated)).toBe(false);

    const byIdentifier = `identifier=${encodeURIComponent(`${SYSTEM}|${value}`)}`;
    const iso = (ms: number): string => encodeURIComponent(new Date(ms).toISOString());
    const since = await search(`Appointment?${byIdentifier}&_lastUpdated=gt${iso(lastUpdated - 5_000)}`);
    const later = await search(`Appointment?${byIdentifier}&_lastUpdated=gt${iso(lastUpdated + 5_000)}`);
    expect(since.entry?.map((e) => e.resource.id)).toEqual([created.body.id]);
    expect(later.entry ?? []).toHaveLength(0);
  });

  it('runs a transaction Bundle, resolving urn:uuid references between its entries', async () => {
    const patientValue = uniqueName('tx-patient');
    const patientUrn = 'urn:uuid:0b7e2c6a-4d1f-4a8e-9c3b-5f6d7e8a9b01';
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: patientUrn,
          resource: patient(patientValue),
          request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${SYSTEM}|${patientValue}` },
        },
        {
          fullUrl: 'urn:uuid:0b7e2c6a-4d1f-4a8e-9c3b-5f6d7e8a9b02',
          resource: appointment(uniqueName('tx-appt'), patientUrn),
          request: { method: 'POST', url: 'Appointment' },
        },
      ],
    };
    const { status, body } = await fhir('POST', '', bundle);
    expect(status).toBe(200);
    expect(body['type']).toBe('transaction-response');
    const responses = (body['entry'] as Array<{ response: { status: string; location: string } }>).map((e) => e.response);
    expect(responses.map((r) => r.status)).toEqual(['201 Created', '201 Created']);

    const patientId = /^Patient\/([^/]+)/.exec(responses[0]?.location ?? '')?.[1];
    const apptId = /^Appointment\/([^/]+)/.exec(responses[1]?.location ?? '')?.[1];
    expect(patientId).toBeDefined();
    const appt = await fhir('GET', `Appointment/${apptId}`);
    const participants = appt.body['participant'] as Array<{ actor: { reference: string } }>;
    expect(participants[0]?.actor.reference).toBe(`Patient/${patientId}`);
  });

  it('rejects an invalid Observation with 422 and an OperationOutcome, and stores nothing', async () => {
    const value = uniqueName('invalid-obs');
    // Observation.status is required (1..1) in R4.
    const invalid = { resourceType: 'Observation', identifier: [{ system: SYSTEM, value }], code: { text: 'heart rate' } };
    const { status, body } = await fhir('POST', 'Observation', invalid);
    expect(status).toBe(422);
    expect(body.resourceType).toBe('OperationOutcome');
    expect(errors(body).map((i) => i.diagnostics).join('\n')).toMatch(/Observation\.status/);

    const found = await search(`Observation?identifier=${encodeURIComponent(`${SYSTEM}|${value}`)}`);
    expect(found.total).toBe(0);
  });

  it('answers 400 with an OperationOutcome to a body that is not well-formed JSON', async () => {
    const res = await fetch(`${base}/Patient`, {
      method: 'POST',
      headers: { accept: FHIR_JSON, 'content-type': FHIR_JSON },
      body: '{"resourceType": "Patient", ',
    });
    expect(res.status).toBe(400);
    const outcome = (await res.json()) as FhirResource;
    expect(outcome.resourceType).toBe('OperationOutcome');
  });

  it('answers 412 to an update whose If-Match names a stale version', async () => {
    const created = await fhir('POST', 'Patient', patient(uniqueName('if-match'), 'One'));
    const id = created.body.id ?? '';
    const v2 = await fhir('PUT', `Patient/${id}`, { ...patient(uniqueName('if-match'), 'Two'), id }, { 'if-match': 'W/"1"' });
    expect(v2.status).toBe(200);
    expect(v2.headers.get('etag')).toBe('W/"2"');

    const stale = await fhir('PUT', `Patient/${id}`, { ...patient(uniqueName('if-match'), 'Three'), id }, { 'if-match': 'W/"1"' });
    expect(stale.status).toBe(412);
    expect(stale.body.resourceType).toBe('OperationOutcome');
    expect(errors(stale.body)).not.toHaveLength(0);

    const current = await fhir('GET', `Patient/${id}`);
    expect(current.body.meta?.versionId).toBe('2');
    expect((current.body['name'] as Array<{ family: string }>)[0]?.family).toBe('Two');
  });
});
