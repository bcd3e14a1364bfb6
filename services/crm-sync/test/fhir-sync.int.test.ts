import { createHmac } from 'node:crypto';
import type { Appointment, Communication, Consent, Observation, Patient, Practitioner } from '@medplum/fhirtypes';
import { AppointmentChangeKind, AppointmentStatus, BookingChannel, ChangeSource, Channel, ConsentState, ReminderChanged, ReminderKind, ReminderState, PatientResponse, Topics, crmApi, type AppointmentSnapshot } from '@careloop/contracts';
import { freePort, infraEnv, uniqueName, waitFor } from '@careloop/testing';
import { changed, snapshot } from './support/connection';
import { FakeFhir } from './support/fake-fhir';
import { DeadLetterTap, FHIR_BASE_URL, fhir, requireFhirServer, startCrmSync, type CrmSyncUnderTest } from './support/harness';

jest.setTimeout(180_000);

describe('crm-sync against a real FHIR R4 server (HAPI FHIR JPA)', () => {
  let crm: CrmSyncUnderTest;
  beforeAll(async () => {
    await requireFhirServer();
    crm = await startCrmSync();
    await crm.putConnector();
  });
  afterAll(async () => {
    await crm.stop();
  });

  const appointmentSystem = () => `urn:careloop:${crm.tenantId}:appointment`;
  const appointment = (overrides: Partial<AppointmentSnapshot> = {}) => snapshot({ tenantId: crm.tenantId, appointmentId: uniqueName('appt'), patientId: uniqueName('patient'), contactId: uniqueName('contact'), ...overrides });
  const inFhir = (a: AppointmentSnapshot) => fhir.search<Appointment>('Appointment', { identifier: `${appointmentSystem()}|${a.appointmentId}` });
  const atVersion = (a: AppointmentSnapshot, version: number) =>
    waitFor(`Appointment ${a.appointmentId} at source version ${version}`, async () => {
      const found = await inFhir(a);
      const v = found[0]?.extension?.find((e) => e.url.endsWith('source-version'))?.valueInteger;
      return v === version ? found : undefined;
      // The first wait also covers the new consumer group reading the topics' history from the start.
    }, 90_000, 250);

  it('booked → an Appointment (and its Patient); rescheduled, cancelled with a reason, no-show → updated', async () => {
    const booked = appointment();
    await crm.publishAppointment(changed(booked));
    const [created] = await atVersion(booked, 1);
    expect(created?.status).toBe('booked');
    expect(created?.start).toBe(booked.start?.toISOString().replace('.000Z', 'Z'));
    const patientId = created?.participant[0]?.actor?.reference?.split('/')[1] ?? '';
    const patients = await fhir.search<Patient>('Patient', { identifier: `urn:careloop:${crm.tenantId}:patient|${booked.patientId}` });
    expect(patients.map((p) => p.id)).toEqual([patientId]);
    expect(patients[0]?.communication?.[0]?.language.coding?.[0]?.code).toBe('es');

    const later = (d: Date | undefined, ms: number) => new Date((d?.getTime() ?? 0) + ms);
    const moved = { ...booked, version: 2, start: later(booked.start, 7_200_000), end: later(booked.end, 7_200_000), rescheduleCount: 1, rescheduledAt: new Date() };
    await crm.publishAppointment(changed(moved, AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_RESCHEDULED));
    const [rescheduled] = await atVersion(booked, 2);
    expect(rescheduled?.start).toBe(moved.start.toISOString().replace('.000Z', 'Z'));

    await crm.publishAppointment(changed({ ...moved, version: 3, status: AppointmentStatus.APPOINTMENT_STATUS_CANCELLED, cancellationReason: 'pat-crs', cancelledAt: new Date() }, AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_CANCELLED));
    const [cancelled] = await atVersion(booked, 3);
    expect(cancelled?.status).toBe('cancelled');
    expect(cancelled?.cancelationReason?.coding?.[0]?.code).toBe('pat-crs');

    const missed = appointment({ status: AppointmentStatus.APPOINTMENT_STATUS_BOOKED });
    await crm.publishAppointment(changed(missed));
    await atVersion(missed, 1);
    await crm.publishAppointment(changed({ ...missed, version: 2, status: AppointmentStatus.APPOINTMENT_STATUS_NOSHOW, noShowAt: new Date() }, AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_NO_SHOW));
    const [noShow] = await atVersion(missed, 2);
    expect(noShow?.status).toBe('noshow');
    // Server-side versions: one per change we sent, none for the redundant reads.
    expect((await fhir.history<Appointment>('Appointment', created?.id ?? '')).map((v) => v.status)).toEqual(['booked', 'booked', 'cancelled']);
  });

  it('the same event published 3 times → one resource, one version', async () => {
    const a = appointment();
    const event = changed(a);
    for (let i = 0; i < 3; i++) await crm.publishAppointment(event);
    // A marker after the three: once it is there, the three were handled (same key, in order).
    await crm.publishAppointment(changed({ ...a, version: 2, patientResponse: PatientResponse.PATIENT_RESPONSE_ACCEPTED }, AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_CONFIRMED));
    const found = await atVersion(a, 2);
    expect(found).toHaveLength(1);
    expect(found[0]?.participant[0]?.status).toBe('accepted');
    expect(await fhir.history<Appointment>('Appointment', found[0]?.id ?? '')).toHaveLength(2);
  });

  it('a glucose reading → a vital-signs Observation with LOINC 2339-0 and UCUM mg/dL, accepted by the server', async () => {
    const observationId = uniqueName('obs');
    await crm.publishObservation({
      observationId, tenantId: crm.tenantId, facilityId: 'madrid-central', patientId: uniqueName('patient'), contactId: uniqueName('contact'), reminderId: 'rem-1',
      codeSystem: 'http://loinc.org', code: '2339-0', value: 126, unit: 'mg/dL', effectiveAt: new Date(), unitInferred: false,
    });
    const [o] = await waitFor('the Observation', async () => {
      const found = await fhir.search<Observation>('Observation', { identifier: `urn:careloop:${crm.tenantId}:observation|${observationId}` });
      return found.length ? found : undefined;
    }, 30_000, 250);
    expect(o?.code.coding?.[0]).toMatchObject({ system: 'http://loinc.org', code: '2339-0' });
    expect(o?.valueQuantity).toEqual({ value: 126, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' });
    expect(o?.category?.[0]?.coding?.[0]?.code).toBe('vital-signs');
  });

  it('a reminder sent then delivered → one Communication the server accepts, completed, no message text', async () => {
    const reminderId = uniqueName('rem');
    const sent = ReminderChanged.fromPartial({ reminderId, kind: ReminderKind.REMINDER_KIND_APPOINTMENT, state: ReminderState.REMINDER_STATE_SENT, tenantId: crm.tenantId, appointmentId: uniqueName('appt'), patientId: uniqueName('patient'), occurredAt: new Date(Date.now() - 5_000), sequence: 2 });
    await crm.publishReminder(sent);
    await crm.publishReminder({ ...sent, state: ReminderState.REMINDER_STATE_DELIVERED, occurredAt: new Date(), sequence: 3 });
    const [c] = await waitFor('the completed Communication', async () => {
      const found = await fhir.search<Communication>('Communication', { identifier: `urn:careloop:${crm.tenantId}:reminder|${reminderId}` });
      return found[0]?.status === 'completed' ? found : undefined;
    }, 30_000, 250);
    expect(c?.sent).toBeDefined();
    expect(c?.received).toBeDefined();
    expect(c?.payload).toBeUndefined();
    expect((await fhir.history<Communication>('Communication', c?.id ?? '')).map((v) => v.status)).toEqual(['in-progress', 'completed']);
  });

  it('messaging consent → a Consent the server accepts, opt-in then opt-out on the same resource', async () => {
    const contactId = uniqueName('contact');
    const optIn = { contactId, state: ConsentState.CONSENT_STATE_OPTED_IN, purpose: 'care-messaging', wordingVersion: 'v1', source: 'button', changedAt: new Date(Date.now() - 1_000), identities: [], language: 'es' };
    await crm.publishConsent(optIn);
    await crm.publishConsent({ ...optIn, state: ConsentState.CONSENT_STATE_OPTED_OUT, source: 'keyword', changedAt: new Date() });
    const [c] = await waitFor('the opt-out Consent', async () => {
      const found = await fhir.search<Consent>('Consent', { identifier: `urn:careloop:${crm.tenantId}:consent|${contactId}:care-messaging` });
      return found[0]?.provision?.type === 'deny' ? found : undefined;
    }, 30_000, 250);
    expect(c?.status).toBe('active');
    expect(c?.policyRule?.coding?.[0]?.code).toBe('OPTOUT');
    expect((await fhir.history<Consent>('Consent', c?.id ?? '')).map((v) => v.provision?.type)).toEqual(['permit', 'deny']);
  });
});

describe('crm-sync when the FHIR server is down, then back; and when it rejects a resource', () => {
  let crm: CrmSyncUnderTest;
  beforeAll(async () => {
    await requireFhirServer();
    crm = await startCrmSync();
  });
  afterAll(async () => {
    await crm.stop();
  });

  it('retries while the server is unreachable and applies every change, in order, once it answers', async () => {
    const closed = await freePort();
    await crm.putConnector({ baseUrl: `http://127.0.0.1:${closed}/fhir` });
    const base = snapshot({ tenantId: crm.tenantId, appointmentId: uniqueName('appt'), patientId: uniqueName('patient') });
    const second = snapshot({ tenantId: crm.tenantId, appointmentId: uniqueName('appt'), patientId: base.patientId });
    const confirmed = { ...base, version: 2, patientResponse: PatientResponse.PATIENT_RESPONSE_ACCEPTED };
    const versions: AppointmentSnapshot[] = [base, confirmed, { ...confirmed, version: 3, status: AppointmentStatus.APPOINTMENT_STATUS_CANCELLED, cancellationReason: 'pat', cancelledAt: new Date() }];
    for (const v of versions) await crm.publishAppointment(changed(v));
    await crm.publishAppointment(changed(second));
    // Several attempts fail meanwhile (the circuit opens); nothing reaches the dead-letter topic.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(await fhir.search<Appointment>('Appointment', { identifier: `urn:careloop:${crm.tenantId}:appointment|${base.appointmentId}` })).toHaveLength(0);

    await crm.putConnector({ baseUrl: FHIR_BASE_URL });
    const [applied] = await waitFor('the last change applied', async () => {
      const found = await fhir.search<Appointment>('Appointment', { identifier: `urn:careloop:${crm.tenantId}:appointment|${base.appointmentId}` });
      return found[0]?.status === 'cancelled' ? found : undefined;
    }, 60_000, 500);
    const history = await fhir.history<Appointment>('Appointment', applied?.id ?? '');
    expect(history.map((h) => [h.status, h.participant[0]?.status])).toEqual([['booked', 'needs-action'], ['booked', 'accepted'], ['cancelled', 'accepted']]);
    await waitFor('the other appointment', async () => (await fhir.search<Appointment>('Appointment', { identifier: `urn:careloop:${crm.tenantId}:appointment|${second.appointmentId}` })).length === 1 || undefined, 30_000, 500);
  });

  it('one EHR down does not hold another tenant’s events: its writes park until it answers, then apply in order', async () => {
    const other = uniqueName('network');
    const tenant = uniqueName('network');
    const closed = await freePort();
    await crm.putConnector({ tenantId: tenant, connectorId: 'down', baseUrl: `http://127.0.0.1:${closed}/fhir` });
    await crm.putConnector({ tenantId: other, connectorId: 'up', baseUrl: FHIR_BASE_URL });
    const search = (tenant: string, id: string) => fhir.search<Appointment>('Appointment', { identifier: `urn:careloop:${tenant}:appointment|${id}` });
    // Six appointments of the down tenant, one of them changed twice: over three partitions.
    const down = Array.from({ length: 6 }, () => snapshot({ tenantId: tenant, appointmentId: uniqueName('appt'), patientId: uniqueName('patient') }));
    for (const a of down) await crm.publishAppointment(changed(a));
    const first = down[0] as AppointmentSnapshot;
    const accepted = { ...first, version: 2, patientResponse: PatientResponse.PATIENT_RESPONSE_ACCEPTED };
    await crm.publishAppointment(changed(accepted, AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_CONFIRMED));
    await crm.publishAppointment(changed({ ...accepted, version: 3, status: AppointmentStatus.APPOINTMENT_STATUS_CANCELLED, cancellationReason: 'pat', cancelledAt: new Date() }, AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_CANCELLED));
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // its circuit opens

    const up = Array.from({ length: 6 }, () => snapshot({ tenantId: other, appointmentId: uniqueName('appt'), patientId: uniqueName('patient') }));
    for (const a of up) await crm.publishAppointment(changed(a));
    await waitFor('the other tenant’s six appointments', async () => {
      const found = await Promise.all(up.map((a) => search(other, a.appointmentId)));
      return found.every((f) => f.length === 1) || undefined;
    }, 15_000, 250);
    expect(await search(tenant, first.appointmentId)).toHaveLength(0);

    await crm.putConnector({ tenantId: tenant, connectorId: 'down', baseUrl: FHIR_BASE_URL });
    const [applied] = await waitFor('the down tenant’s writes', async () => {
      const found = await Promise.all(down.map((a) => search(tenant, a.appointmentId)));
      return found.every((f) => f.length === 1) && found[0]?.[0]?.status === 'cancelled' ? found[0] : undefined;
    }, 60_000, 500);
    const history = await fhir.history<Appointment>('Appointment', applied?.id ?? '');
    expect(history.map((h) => [h.status, h.participant[0]?.status])).toEqual([['booked', 'needs-action'], ['booked', 'accepted'], ['cancelled', 'accepted']]);
  });

  it('a resource the server rejects (422) → dead-letter with the OperationOutcome as its reason', async () => {
    await crm.putConnector({ baseUrl: FHIR_BASE_URL });
    const dlq = await DeadLetterTap.start(infraEnv().KAFKA_BROKERS, Topics.appointmentChanged.topic, crm.tenantId);
    try {
      // A cancellation reason outside R4's appointment-cancellation-reason code system passes our
      // structural checks (it is a code) but not the server's terminology validation.
      const a = snapshot({ tenantId: crm.tenantId, appointmentId: uniqueName('appt'), patientId: uniqueName('patient'), status: AppointmentStatus.APPOINTMENT_STATUS_CANCELLED, cancellationReason: 'not-a-reason', cancelledAt: new Date() });
      await crm.publishAppointment(changed(a));
      const [letter] = await waitFor('the dead letter', () => (dlq.letters.length ? dlq.letters : undefined), 60_000, 250);
      expect(letter?.errorType).toBe('RejectedResourceError');
      expect(letter?.reason).toMatch(/^RejectedResourceError: Appointment rejected with HTTP 422: OperationOutcome error \S+ Appointment\.cancelationReason Unknown code/);
      expect(letter?.attempts).toBe(1);
    } finally {
      await dlq.stop();
    }
  });
});

describe('FHIR in: appointments booked in the EHR', () => {
  let crm: CrmSyncUnderTest;
  beforeAll(async () => {
    await requireFhirServer();
    crm = await startCrmSync();
  });
  afterAll(async () => {
    await crm.stop();
  });

  it('an Appointment created directly in the FHIR server is imported into scheduling, and its status changes follow', async () => {
    const practitioner = await fhir.create<Practitioner>({ resourceType: 'Practitioner', name: [{ family: 'Ruiz', given: ['Elena'] }] });
    const patient = await fhir.create<Patient>({
      resourceType: 'Patient',
      name: [{ family: 'Test', given: [uniqueName('p')] }],
      telecom: [{ system: 'phone', use: 'mobile', value: '+34 600 123 456' }],
      communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'es' }] }, preferred: true }],
    });
    await crm.putConnector({
      connectorId: 'ehr-in',
      flows: [crmApi.SyncFlow.SYNC_FLOW_APPOINTMENTS_IN],
      import: {
        facilityId: 'madrid-central', departmentId: 'cardiology', defaultPractitionerId: 'dr-default', practitioners: { [`Practitioner/${practitioner.id}`]: 'dr-ruiz' },
        serviceType: 'consultation', endpoint: { channel: Channel.CHANNEL_WHATSAPP, endpointId: '1555000', displayAddress: '34910000001', accountId: '1' }, defaultLanguage: 'en', pollIntervalSeconds: 1,
      },
    });
    const start = new Date(Date.now() + 3 * 86_400_000);
    start.setUTCSeconds(0, 0);
    const booked = await fhir.create<Appointment>({
      resourceType: 'Appointment',
      status: 'booked',
      start: start.toISOString(),
      end: new Date(start.getTime() + 30 * 60_000).toISOString(),
      participant: [{ actor: { reference: `Patient/${patient.id}` }, status: 'accepted' }, { actor: { reference: `Practitioner/${practitioner.id}` }, status: 'accepted' }],
    });
    const [imported] = await waitFor('the import', () => {
      const mine = crm.scheduling.imports.filter((r) => r.externalId?.value === booked.id);
      return mine.length ? mine : undefined;
    }, 30_000, 200);
    expect(imported).toMatchObject({
      tenantId: crm.tenantId,
      externalId: { system: `${FHIR_BASE_URL}/Appointment`, value: booked.id },
      practitionerId: 'dr-ruiz',
      facilityId: 'madrid-central',
      status: AppointmentStatus.APPOINTMENT_STATUS_BOOKED,
      language: 'es',
      recipient: { channel: Channel.CHANNEL_WHATSAPP, channelUserId: '34600123456' },
    });
    expect(imported?.start?.toISOString()).toBe(start.toISOString());

    await fhir.update({ ...booked, id: booked.id ?? '', status: 'noshow' });
    await waitFor('the no-show import', () => crm.scheduling.imports.some((r) => r.externalId?.value === booked.id && r.status === AppointmentStatus.APPOINTMENT_STATUS_NOSHOW) || undefined, 30_000, 200);
  });

  it('our own outbound appointments are not imported back (no echo)', async () => {
    await crm.putConnector({ connectorId: 'ehr-out', flows: [crmApi.SyncFlow.SYNC_FLOW_APPOINTMENTS_OUT] });
    const a = snapshot({ tenantId: crm.tenantId, appointmentId: uniqueName('appt'), patientId: uniqueName('patient'), bookingChannel: BookingChannel.BOOKING_CHANNEL_CHAT });
    await crm.publishAppointment(changed(a, AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_BOOKED, ChangeSource.CHANGE_SOURCE_PATIENT));
    const [written] = await waitFor('the outbound appointment', async () => {
      const found = await fhir.search<Appointment>('Appointment', { identifier: `urn:careloop:${crm.tenantId}:appointment|${a.appointmentId}` });
      return found.length ? found : undefined;
    }, 30_000, 250);
    // ehr-in (the test before) polls the same server every second; a marker booked in the EHR
    // after ours shows the polls have passed our appointment's _lastUpdated.
    const marker = await fhir.create<Appointment>({ ...written, id: undefined, meta: undefined, identifier: undefined, extension: undefined } as Appointment);
    await waitFor('the marker import', () => crm.scheduling.imports.some((r) => r.externalId?.value === marker.id) || undefined, 30_000, 200);
    expect(crm.scheduling.imports.filter((r) => r.externalId?.value === written?.id)).toHaveLength(0);
  });
});

describe('replay and patient lookup', () => {
  let crm: CrmSyncUnderTest;
  beforeAll(async () => {
    await requireFhirServer();
    crm = await startCrmSync();
  });
  afterAll(async () => {
    await crm.stop();
  });

  it('Replay applies a time range again: a resource deleted in the EHR comes back, nothing is duplicated', async () => {
    await crm.putConnector();
    const from = new Date(Date.now() - 1_000);
    const a = snapshot({ tenantId: crm.tenantId, appointmentId: uniqueName('appt'), patientId: uniqueName('patient') });
    const b = snapshot({ tenantId: crm.tenantId, appointmentId: uniqueName('appt'), patientId: uniqueName('patient') });
    await crm.publishAppointment(changed(a));
    await crm.publishAppointment(changed(b));
    const search = (x: AppointmentSnapshot) => fhir.search<Appointment>('Appointment', { identifier: `urn:careloop:${crm.tenantId}:appointment|${x.appointmentId}` });
    const [lost] = await waitFor('both appointments', async () => {
      const [fa, fb] = [await search(a), await search(b)];
      return fa.length && fb.length ? fa : undefined;
    }, 30_000, 250);
    const deleted = await fetch(`${FHIR_BASE_URL}/Appointment/${lost?.id}`, { method: 'DELETE' });
    expect(deleted.status).toBeLessThan(300);
    expect(await search(a)).toHaveLength(0);

    const res = await crm.rpc.replay({ tenantId: crm.tenantId, connectorId: '', from, to: new Date() });
    expect(res).toEqual({ events: 2, applied: 2, failed: 0 });
    expect(await search(a)).toHaveLength(1);
    expect(await search(b)).toHaveLength(1);
  });

  it('LookupPatients finds every patient sharing a phone, and one by MRN', async () => {
    const mrnSystem = `urn:oid:2.16.840.1.${Date.now()}`;
    await crm.putConnector({ connectorId: 'lookup', flows: [crmApi.SyncFlow.SYNC_FLOW_PATIENT_LOOKUP], mrnSystem });
    const phone = `+346${String(Math.floor(10_000_000 + Math.random() * 89_999_999))}`;
    const mother = await fhir.create<Patient>({ resourceType: 'Patient', identifier: [{ system: mrnSystem, value: 'MRN-1' }], name: [{ family: 'García', given: ['Ana'] }], telecom: [{ system: 'phone', value: phone }], birthDate: '1980-04-02' });
    const child = await fhir.create<Patient>({ resourceType: 'Patient', identifier: [{ system: mrnSystem, value: 'MRN-2' }], name: [{ family: 'García', given: ['Leo'] }], telecom: [{ system: 'phone', value: phone }], birthDate: '2015-09-10' });
    const byPhone = await crm.rpc.lookupPatients({ tenantId: crm.tenantId, by: { $case: 'phoneE164', value: phone } });
    expect(byPhone.patients.map((p) => p.fhirId).sort()).toEqual([mother.id, child.id].sort());
    expect(byPhone.patients.find((p) => p.fhirId === child.id)).toMatchObject({ mrn: 'MRN-2', givenName: 'Leo', familyName: 'García', birthDate: '2015-09-10', connectorId: 'lookup' });
    const byMrn = await crm.rpc.lookupPatients({ tenantId: crm.tenantId, by: { $case: 'mrn', value: 'MRN-1' } });
    expect(byMrn.patients.map((p) => p.fhirId)).toEqual([mother.id]);
    // A verification re-reads its chosen record by reference, with the record's phones (mobile first, old ones left out).
    const mobile = `+346${String(Math.floor(10_000_000 + Math.random() * 89_999_999))}`;
    const moved = await fhir.create<Patient>({
      resourceType: 'Patient',
      identifier: [{ system: mrnSystem, value: 'MRN-3' }],
      birthDate: '1971-01-30',
      telecom: [
        { system: 'phone', value: '+34910000000', use: 'work' },
        { system: 'phone', value: '+34600000001', use: 'old' },
        { system: 'email', value: 'x@example.org' },
        { system: 'phone', value: mobile, use: 'mobile' },
      ],
    });
    const byRef = await crm.rpc.lookupPatients({ tenantId: crm.tenantId, by: { $case: 'ehrPatient', value: { connectorId: 'lookup', fhirId: moved.id ?? '' } } });
    expect(byRef.patients.map((p) => [p.fhirId, p.birthDate, p.phonesE164])).toEqual([[moved.id, '1971-01-30', [mobile, '+34910000000']]]);
    const elsewhere = await crm.rpc.lookupPatients({ tenantId: 'another-tenant', by: { $case: 'ehrPatient', value: { connectorId: 'lookup', fhirId: moved.id ?? '' } } });
    expect(elsewhere.patients).toEqual([]);
    await expect(crm.rpc.lookupPatients({ tenantId: crm.tenantId, by: { $case: 'ehrPatient', value: { connectorId: 'lookup', fhirId: '../Patient' } } })).rejects.toThrow(/INVALID_ARGUMENT|FHIR id/);
    await expect(crm.rpc.lookupPatients({ tenantId: crm.tenantId, by: { $case: 'phoneE164', value: '600 123' } })).rejects.toThrow(/INVALID_ARGUMENT|E\.164/);
  });

  it('a webhook connector gets each appointment change as signed JSON mapped by its template', async () => {
    const receiver = await FakeFhir.start(); // any HTTP endpoint: the generic CRM stand-in
    const bodies: { body: string; signature: string }[] = [];
    receiver.intercept = (req, res) => {
      bodies.push({ body: req.body, signature: String(req.headers['x-careloop-signature']) });
      res.writeHead(204);
      res.end();
      return true;
    };
    try {
      const secret = 'crm-webhook-secret-0123456789abcdef';
      await crm.putConnector({
        connectorId: 'crm', kind: crmApi.ConnectorKind.CONNECTOR_KIND_WEBHOOK, baseUrl: `${receiver.baseUrl}/careloop`, flows: [crmApi.SyncFlow.SYNC_FLOW_APPOINTMENTS_OUT],
        webhook: { signingSecret: secret, bodyTemplate: JSON.stringify({ ref: '{{appointment.appointmentId}}', status: '{{appointment.status}}', when: '{{appointment.start}}' }) },
      });
      const a = snapshot({ tenantId: crm.tenantId, appointmentId: uniqueName('appt'), patientId: uniqueName('patient') });
      await crm.publishAppointment(changed(a));
      const [delivery] = await waitFor('the delivery', () => (bodies.length ? bodies : undefined), 30_000, 100);
      expect(JSON.parse(delivery?.body ?? '')).toEqual({ ref: a.appointmentId, status: 'booked', when: a.start?.toISOString() });
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(delivery?.signature ?? '') ?? [];
      expect(v1).toBe(createHmac('sha256', secret).update(`${t}.${delivery?.body}`).digest('hex'));
    } finally {
      await receiver.stop();
    }
  });

  it('PutConnector refuses a base URL on a private address not on the allow-list, and never returns credentials', async () => {
    await expect(crm.putConnector({ connectorId: 'evil', baseUrl: 'http://10.0.0.12/fhir' })).rejects.toThrow(/base_url refused: host 10\.0\.0\.12 is not on CRM_ALLOWED_HOSTS/);
    const saved = await crm.putConnector({ connectorId: 'secret', auth: { method: { $case: 'bearer', value: { token: 'very-secret' } } } });
    expect(saved.hasCredentials).toBe(true);
    expect(saved.auth).toBeUndefined();
    expect(JSON.stringify(saved)).not.toContain('very-secret');
  });
});
