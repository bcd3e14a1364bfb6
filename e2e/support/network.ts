import { BookingChannel, Channel, ChangeSource, schedulingApi, type AppointmentSnapshot, type ChannelIdentity } from '@careloop/contracts';
import type { SchedulingApi } from './platform';

export const MADRID = 'Europe/Madrid';
export const FACILITY_ID = 'madrid-central';
export const FACILITY_NAME = 'Hospital Madrid Central';

/**
 * Departments of the e2e network. General practice has one doctor and 30-minute slots (the
 * booking dialogue's lists). The others have five doctors with 5-minute slots whose days start a
 * minute apart, so the department has a slot starting every minute: a journey can book the one
 * 24 hours (less some seconds) ahead, and its "24 h before" reminder falls due at once. Each
 * journey has its own department, so analytics' figures for it are its own.
 */
export const DEPARTMENTS = {
  generalPractice: { id: 'general-practice', doctors: ['Dra. Elena Ruiz'], slotMinutes: 30 },
  cardiology: { id: 'cardiology', doctors: ['Dr. Andrés Soler', 'Dra. Pilar Ortega', 'Dr. Luis Navarro', 'Dra. Marta Gil', 'Dr. Jaime Pascual'], slotMinutes: 5 },
  dermatology: { id: 'dermatology', doctors: ['Dra. Nuria Vidal', 'Dr. Óscar Rey', 'Dra. Clara Núñez', 'Dr. Pablo Cano', 'Dra. Eva Marín'], slotMinutes: 5 },
  orthopedics: { id: 'orthopedics', doctors: ['Dr. Tomás Mora', 'Dra. Sonia Vega', 'Dr. Iván Ramos', 'Dra. Laura Peña', 'Dr. Raúl Sanz'], slotMinutes: 5 },
  pediatrics: { id: 'pediatrics', doctors: ['Dra. Irene Lago', 'Dr. Diego Ibáñez', 'Dra. Rocío León', 'Dr. Hugo Santos', 'Dra. Alicia Rubio'], slotMinutes: 5 },
  /** Where the EHR's own bookings are imported (every appointment the shared FHIR server gets lands here). */
  internalMedicine: { id: 'internal-medicine', doctors: ['Dr. Alberto Prieto'], slotMinutes: 30 },
} as const;

/** A department's n-th doctor's practitioner id. */
export const practitionerId = (departmentId: string, n: number): string => `${departmentId}-${n}`;

/** One facility in Madrid; every doctor works every day, round the clock. */
export async function seedNetwork(api: SchedulingApi, tenantId: string): Promise<void> {
  await api.upsertFacility({ facility: { tenantId, facilityId: FACILITY_ID, name: FACILITY_NAME, timeZone: MADRID, address: 'Calle de Alcalá 100', city: 'Madrid', country: 'ES' } });
  for (const d of Object.values(DEPARTMENTS)) {
    await api.upsertDepartment({ department: { tenantId, departmentId: d.id, name: d.id, serviceTypes: [{ code: 'consultation', name: 'Consultation', minutes: d.slotMinutes }], maxFutureBookingsPerPatient: 0 } });
    for (const [n, name] of d.doctors.entries()) {
      const id = practitionerId(d.id, n);
      await api.upsertPractitioner({ practitioner: { tenantId, practitionerId: id, name, departmentIds: [d.id], facilityIds: [FACILITY_ID], roles: ['doctor'], languages: ['es', 'en'], active: true } });
      await api.upsertSchedule({
        schedule: {
          tenantId,
          scheduleId: `s-${id}`,
          practitionerId: id,
          facilityId: FACILITY_ID,
          departmentId: d.id,
          serviceType: 'consultation',
          slotMinutes: d.slotMinutes,
          capacity: 1,
          hours: [{ weekdays: [1, 2, 3, 4, 5, 6, 7], start: `00:0${n}`, end: '23:59' }],
          exceptions: [],
          validFrom: '2020-01-01',
          validTo: '',
        },
      });
    }
  }
}

/** A patient's WhatsApp address as bookings and plans carry it (only channel and user id are read). */
export function whatsappRecipient(waId: string): ChannelIdentity {
  return { channel: Channel.CHANNEL_WHATSAPP, channelUserId: waId, phoneE164: '', businessScopedUserId: '', profileName: '', username: '' };
}

/** Who an appointment is for: routing's contact and the patient's WhatsApp number. */
export interface Booker {
  readonly contactId: string;
  readonly waId: string;
  readonly language: string;
}

/**
 * Books, as the front desk would (gRPC, source STAFF), the first free slot of a department that
 * starts at or after `from`, for a patient who talks to the hospital's WhatsApp number.
 */
export async function bookFrom(api: SchedulingApi, tenantId: string, endpointId: string, departmentId: string, from: Date, who: Booker): Promise<AppointmentSnapshot> {
  const { slots } = await api.searchSlots({ tenantId, departmentId, practitionerId: '', facilityId: '', serviceType: '', language: '', from, to: undefined, limit: 1 });
  const slot = slots[0];
  if (!slot) throw new Error(`no free slot in ${departmentId} from ${from.toISOString()}`);
  const booked = await api.book({
    tenantId,
    requestId: `${who.contactId}:${slot.slotId}`,
    slotId: slot.slotId,
    patientId: who.contactId,
    contactId: who.contactId,
    bookingChannel: BookingChannel.BOOKING_CHANNEL_AGENT,
    endpoint: { channel: Channel.CHANNEL_WHATSAPP, endpointId, displayAddress: '', accountId: '' },
    recipient: whatsappRecipient(who.waId),
    language: who.language,
    source: ChangeSource.CHANGE_SOURCE_STAFF,
  });
  if (booked.outcome !== schedulingApi.BookOutcome.BOOK_OUTCOME_BOOKED || !booked.appointment) throw new Error(`booking ${departmentId}: outcome ${booked.outcome}`);
  return booked.appointment;
}
