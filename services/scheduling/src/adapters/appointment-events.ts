import {
  AppointmentChanged,
  AppointmentChangeKind,
  AppointmentStatus,
  BookingChannel,
  Channel,
  ChangeSource,
  PatientResponse,
  Topics,
  type AppointmentSnapshot,
} from '@careloop/contracts';
import { nameBasedId, type EventBus } from '@careloop/bus';
import { statusToProto } from '../domain/appointment';
import type { AppointmentRecord, BookingChannelCode, PatientResponseCode } from './appointment-store';
import type { DirectoryStore } from './directory-store';

export type ChangeKindCode = 'booked' | 'rescheduled' | 'cancelled' | 'confirmed' | 'arrived' | 'fulfilled' | 'noshow' | 'checked-in' | 'entered-in-error' | 'imported';
export type SourceCode = 'patient' | 'staff' | 'ehr' | 'system';

const KINDS: Record<ChangeKindCode, AppointmentChangeKind> = {
  booked: AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_BOOKED,
  rescheduled: AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_RESCHEDULED,
  cancelled: AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_CANCELLED,
  confirmed: AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_CONFIRMED,
  arrived: AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_ARRIVED,
  fulfilled: AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_FULFILLED,
  noshow: AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_NO_SHOW,
  'checked-in': AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_CHECKED_IN,
  'entered-in-error': AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_ENTERED_IN_ERROR,
  imported: AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_IMPORTED,
};

export const SOURCES: Record<SourceCode, ChangeSource> = {
  patient: ChangeSource.CHANGE_SOURCE_PATIENT,
  staff: ChangeSource.CHANGE_SOURCE_STAFF,
  ehr: ChangeSource.CHANGE_SOURCE_EHR,
  system: ChangeSource.CHANGE_SOURCE_SYSTEM,
};

export function sourceFromProto(source: ChangeSource, fallback: SourceCode): SourceCode {
  return (Object.keys(SOURCES) as SourceCode[]).find((k) => SOURCES[k] === source) ?? fallback;
}

const CHANNELS: Record<BookingChannelCode, BookingChannel> = {
  chat: BookingChannel.BOOKING_CHANNEL_CHAT,
  ehr: BookingChannel.BOOKING_CHANNEL_EHR,
  agent: BookingChannel.BOOKING_CHANNEL_AGENT,
};

export function bookingChannelFromProto(channel: BookingChannel): BookingChannelCode {
  return (Object.keys(CHANNELS) as BookingChannelCode[]).find((k) => CHANNELS[k] === channel) ?? 'chat';
}

const RESPONSES: Record<PatientResponseCode, PatientResponse> = {
  'needs-action': PatientResponse.PATIENT_RESPONSE_NEEDS_ACTION,
  accepted: PatientResponse.PATIENT_RESPONSE_ACCEPTED,
  declined: PatientResponse.PATIENT_RESPONSE_DECLINED,
  tentative: PatientResponse.PATIENT_RESPONSE_TENTATIVE,
};

export interface Change {
  readonly kind: ChangeKindCode;
  readonly source: SourceCode;
  readonly at: Date;
  readonly before?: AppointmentRecord | undefined;
}

/** The PHI-free snapshot other services see (events and gRPC answers alike). */
export async function snapshotOf(directory: DirectoryStore, a: AppointmentRecord): Promise<AppointmentSnapshot> {
  const d = await directory.directory(a.tenantId);
  const facility = d.facilities.get(a.facilityId);
  return {
    appointmentId: a.appointmentId,
    tenantId: a.tenantId,
    facilityId: a.facilityId,
    facilityTimeZone: facility?.timeZone ?? '',
    departmentId: a.departmentId,
    practitionerId: a.practitionerId,
    serviceType: a.serviceType,
    start: a.start,
    end: a.end,
    status: statusToProto(a.status),
    version: a.version,
    patientId: a.patientId,
    contactId: a.contactId,
    bookingChannel: CHANNELS[a.bookingChannel],
    endpoint: a.addressing ? { channel: a.addressing.channel, endpointId: a.addressing.endpointId, displayAddress: a.addressing.displayAddress, accountId: a.addressing.accountId } : undefined,
    // Only what addressing needs: never phone_e164, profile name or username.
    recipient: a.addressing ? { channel: a.addressing.channel, channelUserId: a.addressing.channelUserId, phoneE164: '', businessScopedUserId: '', profileName: '', username: '' } : undefined,
    language: a.language,
    bookedAt: a.bookedAt,
    leadTimeSeconds: a.leadTimeSeconds,
    cancellationReason: a.cancellationReason ?? '',
    cancelledAt: a.cancelledAt,
    patientResponse: RESPONSES[a.patientResponse],
    confirmedAt: a.confirmedAt,
    arrivedAt: a.arrivedAt,
    fulfilledAt: a.fulfilledAt,
    noShowAt: a.noShowAt,
    rescheduledAt: a.rescheduledAt,
    rescheduleCount: a.rescheduleCount,
    slotId: a.slotId,
    waitlistEntryId: a.waitlistEntryId ?? '',
    externalIds: a.externalIds,
    facilityName: facility?.name ?? '',
    departmentName: d.departments.get(a.departmentId)?.name ?? '',
    practitionerName: d.practitioners.get(a.practitionerId)?.name ?? '',
    facilityAddress: facility ? [facility.address, facility.city].filter(Boolean).join(', ') : '',
  };
}

/** Publishes AppointmentChanged, keyed by appointment id; the event id is (appointment, version). */
export class AppointmentEvents {
  constructor(
    private readonly bus: EventBus,
    private readonly directory: DirectoryStore,
  ) {}

  async publish(a: AppointmentRecord, change: Change): Promise<void> {
    const b = change.before;
    const rescheduled = change.kind === 'rescheduled' && b;
    const event = AppointmentChanged.fromPartial({
      kind: KINDS[change.kind],
      appointment: await snapshotOf(this.directory, a),
      changedAt: change.at,
      source: SOURCES[change.source],
      previousStatus: b ? statusToProto(b.status) : AppointmentStatus.APPOINTMENT_STATUS_UNSPECIFIED,
      ...(rescheduled ? { previousStart: b.start, previousEnd: b.end, previousPractitionerId: b.practitionerId, previousSlotId: b.slotId } : {}),
    });
    await this.bus.publish(Topics.appointmentChanged, event, {
      key: a.appointmentId,
      tenantId: a.tenantId,
      facilityId: a.facilityId,
      id: nameBasedId(a.tenantId, 'appointment', a.appointmentId, String(a.version)),
    });
  }
}

export { Channel };
