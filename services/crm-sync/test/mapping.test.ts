import type { Appointment } from '@medplum/fhirtypes';
import { AppointmentStatus, Channel, PatientResponse } from '@careloop/contracts';
import { toFhirAppointment, toFhirStatus, fromFhirStatus } from '../src/domain/appointment-mapping';
import type { Connector, ImportSettings } from '../src/domain/connector';
import { InvalidResourceError } from '../src/domain/errors';
import { contactIdOf, isOwnAppointment, patientIdFor, toImportRequest, whatsAppIdOf } from '../src/domain/import-mapping';
import { assertValidR4 } from '../src/domain/r4-validation';
import { snapshot } from './support/connection';

describe('appointment mapping', () => {
  it('maps every scheduling status to its FHIR code and back', () => {
    const pairs: [AppointmentStatus, string][] = [
      [AppointmentStatus.APPOINTMENT_STATUS_BOOKED, 'booked'],
      [AppointmentStatus.APPOINTMENT_STATUS_ARRIVED, 'arrived'],
      [AppointmentStatus.APPOINTMENT_STATUS_FULFILLED, 'fulfilled'],
      [AppointmentStatus.APPOINTMENT_STATUS_CANCELLED, 'cancelled'],
      [AppointmentStatus.APPOINTMENT_STATUS_NOSHOW, 'noshow'],
      [AppointmentStatus.APPOINTMENT_STATUS_CHECKED_IN, 'checked-in'],
      [AppointmentStatus.APPOINTMENT_STATUS_ENTERED_IN_ERROR, 'entered-in-error'],
      [AppointmentStatus.APPOINTMENT_STATUS_WAITLIST, 'waitlist'],
      [AppointmentStatus.APPOINTMENT_STATUS_PENDING, 'pending'],
      [AppointmentStatus.APPOINTMENT_STATUS_PROPOSED, 'proposed'],
    ];
    for (const [ours, fhir] of pairs) {
      expect(toFhirStatus(ours)).toBe(fhir);
      expect(fromFhirStatus(fhir as Appointment['status'])).toBe(ours);
    }
    expect(toFhirStatus(AppointmentStatus.APPOINTMENT_STATUS_UNSPECIFIED)).toBeUndefined();
  });

  it('produces a valid R4 Appointment: identifier, patient participation, logical practitioner, cancellation reason only when cancelled', () => {
    const a = assertValidR4(toFhirAppointment(snapshot({ patientResponse: PatientResponse.PATIENT_RESPONSE_DECLINED }), { reference: 'Patient/7' }));
    expect(a.identifier?.[0]).toEqual({ system: 'urn:careloop:tenant-a:appointment', value: 'appt-1' });
    expect(a.participant[0]).toEqual({ actor: { reference: 'Patient/7' }, required: 'required', status: 'declined' });
    expect(a.participant[1]?.actor).toEqual({ type: 'Practitioner', identifier: { system: 'urn:careloop:tenant-a:practitioner', value: 'dr-garcia' }, display: 'Dr. Ana García' });
    expect(a.cancelationReason).toBeUndefined();
    expect(a.minutesDuration).toBe(20);
  });

  it('refuses what R4 forbids: a booked appointment without times (app-3), a reason on a booked one (app-4)', () => {
    const timeless = toFhirAppointment(snapshot({ start: undefined, end: undefined }), { reference: 'Patient/7' });
    expect(() => assertValidR4(timeless)).toThrow(InvalidResourceError);
    expect(() => assertValidR4(timeless)).toThrow(/app-3/);
    const booked = toFhirAppointment(snapshot(), { reference: 'Patient/7' });
    expect(() => assertValidR4({ ...booked, cancelationReason: { text: 'x' } })).toThrow(/app-4/);
    expect(() => assertValidR4({ ...booked, status: 'maybe' as Appointment['status'] })).toThrow(/status/);
  });
});

describe('import mapping', () => {
  const connector: Connector & { import: ImportSettings } = {
    tenantId: 'tenant-a', connectorId: 'ehr', kind: 'fhir-r4', baseUrl: 'https://ehr.example.org/fhir', enabled: true, flows: ['appointments-in'], ratePerSecond: 0, mrnSystem: '',
    auth: { method: 'none' }, webhookTemplate: '', updatedAt: new Date(),
    import: { facilityId: 'madrid-central', departmentId: 'cardiology', defaultPractitionerId: 'dr-default', practitioners: { 'Practitioner/55': 'dr-garcia' }, serviceType: 'consultation', endpoint: { channel: Channel.CHANNEL_WHATSAPP, endpointId: '1555', displayAddress: '', accountId: '' }, defaultLanguage: 'es', pollIntervalSeconds: 60 },
  };
  const ehr: Appointment = {
    resourceType: 'Appointment', id: 'e-1', status: 'noshow', start: '2026-12-03T09:00:00Z', end: '2026-12-03T09:20:00Z',
    participant: [{ actor: { reference: 'Patient/p-1' }, status: 'accepted' }, { actor: { reference: 'Practitioner/55' }, status: 'accepted' }],
  };

  it('keys the import by the EHR id, maps status, practitioner and the patient’s WhatsApp number', () => {
    const plan = toImportRequest(connector, ehr, { resourceType: 'Patient', telecom: [{ system: 'email', value: 'x@y' }, { system: 'phone', use: 'mobile', value: '+34 600 111 222' }], communication: [{ language: { coding: [{ code: 'de-DE' }] } }] });
    if (!('request' in plan)) throw new Error('expected an import');
    expect(plan.request.externalId).toEqual({ system: 'https://ehr.example.org/fhir/Appointment', value: 'e-1' });
    expect(plan.request.status).toBe(AppointmentStatus.APPOINTMENT_STATUS_NOSHOW);
    expect(plan.request.practitionerId).toBe('dr-garcia');
    expect(plan.request.patientId).toBe(patientIdFor(connector, 'p-1'));
    expect(plan.request.recipient?.channelUserId).toBe('34600111222');
    expect(plan.request.language).toBe('de');
    // An EHR-native Patient has no contact of ours yet.
    expect(plan.request.contactId).toBe('');
  });

  it('takes routing’s contact from the Patient’s contact identifier of this tenant only (reminders need it)', () => {
    const patient = (system: string) => ({ resourceType: 'Patient' as const, identifier: [{ system: 'urn:oid:1.2.3', value: 'MRN-7' }, { system, value: 'c-42' }], telecom: [{ system: 'phone' as const, value: '+34600111222' }] });
    const plan = toImportRequest(connector, ehr, patient('urn:careloop:tenant-a:contact'));
    if (!('request' in plan)) throw new Error('expected an import');
    expect(plan.request.contactId).toBe('c-42');
    expect(contactIdOf('tenant-a', patient('urn:careloop:tenant-b:contact'))).toBe('');
    expect(contactIdOf('tenant-a', patient('urn:careloop:tenant-a:patient'))).toBe('');
    expect(contactIdOf('tenant-a', undefined)).toBe('');
  });

  it('skips appointments without times or patient, and recognises our own', () => {
    expect(toImportRequest(connector, { ...ehr, start: undefined }, undefined)).toEqual({ skip: 'no start/end' });
    expect(toImportRequest(connector, { ...ehr, participant: [{ actor: { reference: 'Practitioner/55' }, status: 'accepted' }] }, undefined)).toEqual({ skip: 'no Patient participant' });
    expect(isOwnAppointment('tenant-a', { ...ehr, identifier: [{ system: 'urn:careloop:tenant-a:appointment', value: 'x' }] })).toBe(true);
    expect(isOwnAppointment('tenant-a', ehr)).toBe(false);
    expect(whatsAppIdOf({ resourceType: 'Patient', telecom: [{ system: 'phone', value: '600 111 222' }] })).toBeUndefined();
  });
});
