import type { Appointment, Communication, Consent, Observation } from '@medplum/fhirtypes';
import { AppointmentChangeKind, AppointmentStatus, BookingChannel, ChangeSource, ConsentState, PatientResponse, ReminderChanged, ReminderKind, ReminderState, type ConsentChanged, type ObservationRecorded } from '@careloop/contracts';
import { NonRetryableError } from '@careloop/bus';
import { CircuitBreaker } from '../src/adapters/fhir/circuit-breaker';
import { summariseOutcome } from '../src/adapters/fhir/fhir-client';
import { CircuitOpenError, RejectedResourceError, TransientFhirError } from '../src/domain/errors';
import { SyncAppointment } from '../src/use-cases/sync-appointment';
import { SyncObservation } from '../src/use-cases/sync-observation';
import { SyncConsent } from '../src/use-cases/sync-consent';
import { SyncCommunication } from '../src/use-cases/sync-communication';
import { FakeFhir, outcome } from './support/fake-fhir';
import { changed, connectionTo, depsWith, received, snapshot } from './support/connection';

const OUR_APPOINTMENT = 'urn:careloop:tenant-a:appointment';

describe('FHIR out against an in-process FHIR server', () => {
  let fake: FakeFhir;
  beforeEach(async () => {
    fake = await FakeFhir.start();
  });
  afterEach(() => fake.stop());

  const appointments = () => fake.ofType('Appointment') as unknown as Appointment[];

  it('creates Patient and Appointment once, however often the event is replayed', async () => {
    const sync = new SyncAppointment(depsWith(connectionTo(fake.baseUrl)));
    const event = received(changed(snapshot()));
    for (let i = 0; i < 3; i++) await sync.execute(event);
    expect(appointments()).toHaveLength(1);
    expect(fake.ofType('Patient')).toHaveLength(1);
    const [a] = appointments();
    expect(a?.status).toBe('booked');
    expect(a?.identifier).toContainEqual({ system: OUR_APPOINTMENT, value: 'appt-1' });
    expect(a?.participant[0]?.actor?.reference).toBe(`Patient/${fake.ofType('Patient')[0]?.id}`);
    expect(a?.meta?.versionId).toBe('1');
  });

  it('updates on reschedule, cancellation with its reason and no-show, and never goes back to an older version', async () => {
    const sync = new SyncAppointment(depsWith(connectionTo(fake.baseUrl)));
    const booked = snapshot();
    const moved = snapshot({ version: 2, start: new Date(booked.start!.getTime() + 3_600_000), end: new Date(booked.end!.getTime() + 3_600_000), rescheduleCount: 1 });
    await sync.execute(received(changed(booked)));
    await sync.execute(received(changed(moved, AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_RESCHEDULED)));
    expect(appointments()[0]?.start).toBe(moved.start!.toISOString());
    await sync.execute(received(changed(booked))); // a late redelivery of version 1
    expect(appointments()[0]?.start).toBe(moved.start!.toISOString());

    await sync.execute(received(changed(snapshot({ ...moved, version: 3, status: AppointmentStatus.APPOINTMENT_STATUS_CANCELLED, cancellationReason: 'pat', cancelledAt: new Date() }))));
    let a = appointments()[0];
    expect(a?.status).toBe('cancelled');
    expect(a?.cancelationReason?.coding?.[0]).toEqual({ system: 'http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason', code: 'pat' });

    await sync.execute(received(changed(snapshot({ appointmentId: 'appt-2', status: AppointmentStatus.APPOINTMENT_STATUS_NOSHOW, version: 4 }))));
    a = appointments().find((x) => x.identifier?.some((i) => i.value === 'appt-2'));
    expect(a?.status).toBe('noshow');
    expect(appointments()).toHaveLength(2);
  });

  it('re-reads and retries when the server answers 412 to a version-aware update', async () => {
    const sync = new SyncAppointment(depsWith(connectionTo(fake.baseUrl)));
    await sync.execute(received(changed(snapshot())));
    let conflicts = 0;
    fake.intercept = (req, res) => {
      if (req.method === 'PUT' && conflicts === 0) {
        conflicts += 1;
        expect(req.headers['if-match']).toBe('W/"1"');
        res.writeHead(412, { 'content-type': 'application/fhir+json' });
        res.end(JSON.stringify(outcome('conflict')));
        return true;
      }
      return false;
    };
    await sync.execute(received(changed(snapshot({ version: 2, patientResponse: PatientResponse.PATIENT_RESPONSE_ACCEPTED }))));
    expect(conflicts).toBe(1);
    expect(appointments()[0]?.participant[0]?.status).toBe('accepted');
    expect(fake.requests.filter((r) => r.method === 'PUT').map((r) => r.headers['if-match'])).toEqual(['W/"1"', 'W/"1"']);
  });

  it('a 422 is a rejection carrying the OperationOutcome (dead-letter), a 503 is transient (retry)', async () => {
    const sync = new SyncAppointment(depsWith(connectionTo(fake.baseUrl)));
    fake.intercept = (req, res) => {
      if (req.method !== 'POST' || !req.url.includes('Appointment')) return false;
      res.writeHead(422, { 'content-type': 'application/fhir+json' });
      res.end(JSON.stringify(outcome('invariant', 'app-3: start "2026-01-01" must be present for 12345')));
      return true;
    };
    const rejection = sync.execute(received(changed(snapshot())));
    await expect(rejection).rejects.toBeInstanceOf(RejectedResourceError);
    await expect(rejection).rejects.toBeInstanceOf(NonRetryableError);
    await expect(rejection).rejects.toThrow('Appointment rejected with HTTP 422: OperationOutcome error invariant app-…: start "…" must be present for …');

    fake.intercept = (_req, res) => {
      res.writeHead(503, { 'retry-after': '0' });
      res.end();
      return true;
    };
    await expect(sync.execute(received(changed(snapshot({ appointmentId: 'appt-9' }))))).rejects.toBeInstanceOf(TransientFhirError);

    // HAPI's answer to two conditional creates racing (HAPI-0550): retried, not dead-lettered.
    fake.intercept = (_req, res) => {
      res.writeHead(409, { 'content-type': 'application/fhir+json' });
      res.end(JSON.stringify(outcome('processing', 'HAPI-0550: conditional constraint failure')));
      return true;
    };
    await expect(sync.execute(received(changed(snapshot({ appointmentId: 'appt-10' }))))).rejects.toBeInstanceOf(TransientFhirError);
  });

  it('writes the patient’s answer back to an appointment that came from this EHR, and skips the EHR’s own change', async () => {
    const connection = connectionTo(fake.baseUrl);
    const sync = new SyncAppointment(depsWith(connection));
    const ehr: Appointment = {
      resourceType: 'Appointment',
      status: 'booked',
      participant: [{ actor: { reference: 'Patient/p9' }, status: 'needs-action' }, { actor: { reference: 'Practitioner/d1' }, status: 'accepted' }],
    };
    const { resource } = await connection.fhir.create(ehr);
    const external = { system: `${fake.baseUrl}/Appointment`, value: resource.id ?? '' };
    const imported = snapshot({ bookingChannel: BookingChannel.BOOKING_CHANNEL_EHR, externalIds: [external] });
    await sync.execute(received(changed(imported, AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_IMPORTED, ChangeSource.CHANGE_SOURCE_EHR)));
    expect(fake.requests.filter((r) => r.method === 'PUT')).toHaveLength(0);

    await sync.execute(received(changed({ ...imported, version: 2, patientResponse: PatientResponse.PATIENT_RESPONSE_ACCEPTED }, AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_CONFIRMED)));
    expect(appointments()).toHaveLength(1);
    const a = appointments()[0];
    expect(a?.participant.map((p) => p.status)).toEqual(['accepted', 'accepted']);
    expect(a?.meta?.versionId).toBe('2');
  });

  it('a glucose reading becomes a vital-signs Observation with its LOINC code and UCUM unit, once', async () => {
    const sync = new SyncObservation(depsWith(connectionTo(fake.baseUrl)));
    const reading: ObservationRecorded = {
      observationId: 'obs-1', tenantId: 'tenant-a', facilityId: 'madrid-central', patientId: 'patient-1', contactId: 'contact-1', reminderId: 'rem-1',
      codeSystem: 'http://loinc.org', code: '2339-0', value: 112, unit: 'mg/dL', effectiveAt: new Date('2026-12-01T08:05:00Z'), unitInferred: false,
    };
    const event = received(reading);
    await sync.execute(event);
    await sync.execute(event);
    const observations = fake.ofType('Observation') as unknown as Observation[];
    expect(observations).toHaveLength(1);
    expect(observations[0]).toMatchObject({
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '2339-0' }] },
      valueQuantity: { value: 112, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' },
      effectiveDateTime: '2026-12-01T08:05:00.000Z',
    });
    await expect(sync.execute(received({ ...reading, observationId: 'obs-2', unit: 'mmol/L' }))).rejects.toThrow('unit does not match the LOINC code');
  });

  it('parks a write when the connector’s circuit is open, and parks later writes of the same key behind it', async () => {
    let now = 0;
    const breaker = new CircuitBreaker('ehr', { failures: 3, cooldownMs: 60_000 }, () => now); // three: the in-call attempts of one write
    const deps = depsWith(connectionTo(fake.baseUrl, { breaker }));
    const parked: { key: string; eventId: string }[] = [];
    const sync = new SyncAppointment({
      ...deps,
      parking: {
        waiting: (_t, _c, key) => Promise.resolve(parked.some((p) => p.key === key)),
        park: (w) => Promise.resolve(void parked.push({ key: w.key, eventId: w.eventId })),
      },
    });
    fake.intercept = (_req, res) => {
      res.writeHead(503);
      res.end();
      return true;
    };
    // Circuit still closed: the failure is the event's (the bus retries it), nothing parked.
    await expect(sync.execute(received(changed(snapshot())))).rejects.toBeInstanceOf(TransientFhirError);
    expect(parked).toHaveLength(0);
    // Open now: the retry parks instead of failing.
    const first = received(changed(snapshot()));
    await sync.execute(first);
    expect(parked).toEqual([{ key: 'appt-1', eventId: first.id }]);
    // The server is back and the cooldown over, but appt-1 has a write waiting: this one queues behind it,
    // while another appointment is written at once.
    fake.intercept = undefined;
    now = 60_001;
    const second = received(changed(snapshot({ version: 2 })));
    await sync.execute(second);
    expect(parked.map((p) => p.eventId)).toEqual([first.id, second.id]);
    expect(appointments()).toHaveLength(0);
    await sync.execute(received(changed(snapshot({ appointmentId: 'appt-2' }))));
    expect(appointments().map((a) => a.identifier?.[0]?.value)).toEqual(['appt-2']);
    expect(parked).toHaveLength(2);
  });

  it('opens the circuit after consecutive failures and fails fast until the cooldown passes', async () => {
    let now = 0;
    const breaker = new CircuitBreaker('ehr', { failures: 2, cooldownMs: 1_000 }, () => now);
    const sync = new SyncAppointment(depsWith(connectionTo(fake.baseUrl, { breaker })));
    fake.intercept = (_req, res) => {
      res.writeHead(500);
      res.end();
      return true;
    };
    await expect(sync.execute(received(changed(snapshot())))).rejects.toBeInstanceOf(CircuitOpenError);
    const seen = fake.requests.length;
    expect(seen).toBe(2); // the second in-call retry found the circuit open
    await expect(sync.execute(received(changed(snapshot())))).rejects.toBeInstanceOf(CircuitOpenError);
    expect(fake.requests.length).toBe(seen);
    fake.intercept = undefined;
    now = 1_001;
    await sync.execute(received(changed(snapshot())));
    expect(breaker.state).toBe('closed');
    expect(appointments()).toHaveLength(1);
  });
});

describe('Consent out', () => {
  let fake: FakeFhir;
  beforeEach(async () => {
    fake = await FakeFhir.start();
  });
  afterEach(() => fake.stop());

  it('one Consent per contact and purpose: opt-in permits, a later opt-out denies, an older event changes nothing', async () => {
    const sync = new SyncConsent(depsWith(connectionTo(fake.baseUrl, { flows: ['consent-out'] })));
    const base: ConsentChanged = { contactId: 'contact-1', state: ConsentState.CONSENT_STATE_OPTED_IN, purpose: 'care-messaging', wordingVersion: 'v2', source: 'button', changedAt: new Date('2026-12-01T10:00:00Z'), identities: [], language: 'es' };
    await sync.execute(received(base));
    const consents = () => fake.ofType('Consent') as unknown as Consent[];
    expect(consents()).toHaveLength(1);
    expect(consents()[0]).toMatchObject({ status: 'active', provision: { type: 'permit' }, policyRule: { coding: [{ code: 'OPTIN' }] }, identifier: [{ system: 'urn:careloop:tenant-a:consent', value: 'contact-1:care-messaging' }] });
    expect(consents()[0]?.patient?.reference).toBe(`Patient/${fake.ofType('Patient')[0]?.id}`);

    await sync.execute(received({ ...base, state: ConsentState.CONSENT_STATE_OPTED_OUT, source: 'keyword', changedAt: new Date('2026-12-01T11:00:00Z') }));
    expect(consents()).toHaveLength(1);
    expect(consents()[0]).toMatchObject({ provision: { type: 'deny' }, policyRule: { coding: [{ code: 'OPTOUT' }] }, meta: { versionId: '2' } });

    await sync.execute(received(base)); // the opt-in again, redelivered late
    expect(consents()[0]).toMatchObject({ provision: { type: 'deny' }, meta: { versionId: '2' } });
  });
});

describe('Communication out', () => {
  let fake: FakeFhir;
  beforeEach(async () => {
    fake = await FakeFhir.start();
  });
  afterEach(() => fake.stop());

  it('one Communication per reminder: sent, then completed when delivered (sent time kept); other states and older sequences change nothing', async () => {
    const sync = new SyncCommunication(depsWith(connectionTo(fake.baseUrl, { flows: ['communications-out'] })));
    const sentAt = new Date('2026-12-01T08:00:00Z');
    const base = ReminderChanged.fromPartial({ reminderId: 'rem-1', kind: ReminderKind.REMINDER_KIND_APPOINTMENT, state: ReminderState.REMINDER_STATE_SCHEDULED, tenantId: 'tenant-a', appointmentId: 'appt-1', patientId: 'patient-1', contactId: 'contact-1', occurredAt: sentAt, sequence: 1 });
    await sync.execute(received(base));
    expect(fake.requests).toHaveLength(0);
    await sync.execute(received({ ...base, state: ReminderState.REMINDER_STATE_SENT, sequence: 2 }));
    await sync.execute(received({ ...base, state: ReminderState.REMINDER_STATE_DELIVERED, sequence: 3, occurredAt: new Date('2026-12-01T08:00:05Z') }));
    await sync.execute(received({ ...base, state: ReminderState.REMINDER_STATE_SENT, sequence: 2 })); // late redelivery
    const all = fake.ofType('Communication') as unknown as Communication[];
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({
      status: 'completed',
      sent: '2026-12-01T08:00:00.000Z',
      received: '2026-12-01T08:00:05.000Z',
      category: [{ coding: [{ code: 'reminder' }] }],
      about: [{ type: 'Appointment', identifier: { system: 'urn:careloop:tenant-a:appointment', value: 'appt-1' } }],
      meta: { versionId: '2' },
    });
    expect(all[0]).not.toHaveProperty('payload');
  });
});

describe('summariseOutcome', () => {
  it('keeps codes, locations and HAPI message ids, masks quoted values and numbers', () => {
    const body = JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', expression: ['Observation.valueQuantity'], diagnostics: 'HAPI-1821: value 112.5 for "Lucía" invalid' }] });
    expect(summariseOutcome(body)).toBe('error processing Observation.valueQuantity HAPI-1821: value … for "…" invalid');
    expect(summariseOutcome('<html>')).toBe('(no OperationOutcome)');
  });
});
