import { AppointmentStatus, BookingChannel, Channel, type AppointmentSnapshot } from '@careloop/contracts';
import { localBuckets, type LocalBuckets } from './local-time';

/**
 * How an appointment counts in the no-show figures (docs/analytics.md, "No-show rate"):
 * - due: booked (still open), arrived / checked-in / fulfilled (attended) or no-show — the denominator;
 * - late-cancel: cancelled less than the notice window before its start — reported apart, in neither;
 * - early-cancel: cancelled earlier — in neither;
 * - excluded: proposed, pending, waitlist, entered in error — not an appointment that was due.
 */
export type AttendanceClass = 'attended' | 'no-show' | 'open' | 'late-cancel' | 'early-cancel' | 'excluded';

export function attendanceClass(appointment: Pick<AppointmentSnapshot, 'status' | 'start' | 'cancelledAt'>, noticeSeconds: number): AttendanceClass {
  switch (appointment.status) {
    case AppointmentStatus.APPOINTMENT_STATUS_BOOKED:
      return 'open';
    case AppointmentStatus.APPOINTMENT_STATUS_ARRIVED:
    case AppointmentStatus.APPOINTMENT_STATUS_CHECKED_IN:
    case AppointmentStatus.APPOINTMENT_STATUS_FULFILLED:
      return 'attended';
    case AppointmentStatus.APPOINTMENT_STATUS_NOSHOW:
      return 'no-show';
    case AppointmentStatus.APPOINTMENT_STATUS_CANCELLED: {
      const start = appointment.start?.getTime();
      // Without a cancellation time it cannot be judged late: the conservative reading is "early" (out of both).
      const cancelled = appointment.cancelledAt?.getTime();
      if (start === undefined || cancelled === undefined) return 'early-cancel';
      return start - cancelled < noticeSeconds * 1000 ? 'late-cancel' : 'early-cancel';
    }
    case AppointmentStatus.APPOINTMENT_STATUS_PROPOSED:
    case AppointmentStatus.APPOINTMENT_STATUS_PENDING:
    case AppointmentStatus.APPOINTMENT_STATUS_WAITLIST:
    case AppointmentStatus.APPOINTMENT_STATUS_ENTERED_IN_ERROR:
    case AppointmentStatus.APPOINTMENT_STATUS_UNSPECIFIED:
    case AppointmentStatus.UNRECOGNIZED:
      return 'excluded';
  }
}

export const LEAD_TIME_BANDS = ['same-day', '1-2d', '3-7d', '8-30d', '31d+'] as const;
export type LeadTimeBand = (typeof LEAD_TIME_BANDS)[number];

/** Lead time (start − booked, as scheduling computed it) in bands of whole days. */
export function leadTimeBand(leadTimeSeconds: number): LeadTimeBand {
  const days = leadTimeSeconds / 86_400;
  if (days < 1) return 'same-day';
  if (days < 3) return '1-2d';
  if (days < 8) return '3-7d';
  if (days < 31) return '8-30d';
  return '31d+';
}

export const BOOKING_CHANNELS = ['whatsapp', 'messenger', 'chat-other', 'ehr', 'agent', 'unknown'] as const;
export type BookingChannelLabel = (typeof BOOKING_CHANNELS)[number];

export function bookingChannelLabel(appointment: Pick<AppointmentSnapshot, 'bookingChannel' | 'endpoint'>): BookingChannelLabel {
  switch (appointment.bookingChannel) {
    case BookingChannel.BOOKING_CHANNEL_CHAT:
      return appointment.endpoint?.channel === Channel.CHANNEL_WHATSAPP ? 'whatsapp' : appointment.endpoint?.channel === Channel.CHANNEL_MESSENGER ? 'messenger' : 'chat-other';
    case BookingChannel.BOOKING_CHANNEL_EHR:
      return 'ehr';
    case BookingChannel.BOOKING_CHANNEL_AGENT:
      return 'agent';
    case BookingChannel.BOOKING_CHANNEL_UNSPECIFIED:
    case BookingChannel.UNRECOGNIZED:
      return 'unknown';
  }
}

/**
 * The PHI-free fact analytics keeps per appointment: pseudonymous ids, directory codes and
 * buckets; no names, no contact details. Counters are 0/1 so reports are sums.
 */
export interface AppointmentFactFields extends LocalBuckets {
  readonly version: number;
  readonly status: string;
  readonly attendance: AttendanceClass;
  readonly facilityId: string;
  readonly departmentId: string;
  readonly practitionerId: string;
  readonly serviceType: string;
  readonly bookingChannel: BookingChannelLabel;
  readonly leadTimeBand: LeadTimeBand;
  /** Whether the patient confirmed the appointment itself (any channel). */
  readonly patientConfirmed: 0 | 1;
  readonly due: 0 | 1;
  readonly noShow: 0 | 1;
  readonly attended: 0 | 1;
  readonly open: 0 | 1;
  readonly lateCancel: 0 | 1;
  readonly earlyCancel: 0 | 1;
}

export class InvalidAppointmentError extends Error {
  override readonly name = 'InvalidAppointmentError';
}

function statusName(status: AppointmentStatus): string {
  return AppointmentStatus[status];
}

/** The fact of one appointment snapshot; throws InvalidAppointmentError naming the missing field. */
export function appointmentFact(appointment: AppointmentSnapshot, noticeSeconds: number): AppointmentFactFields {
  if (!appointment.appointmentId) throw new InvalidAppointmentError('appointment_id is required');
  if (!appointment.start) throw new InvalidAppointmentError('start is required');
  if (!(appointment.version > 0)) throw new InvalidAppointmentError('version must be positive');
  const attendance = attendanceClass(appointment, noticeSeconds);
  const flag = (b: boolean): 0 | 1 => (b ? 1 : 0);
  return {
    ...localBuckets(appointment.start, appointment.facilityTimeZone),
    version: appointment.version,
    status: statusName(appointment.status),
    attendance,
    facilityId: appointment.facilityId,
    departmentId: appointment.departmentId,
    practitionerId: appointment.practitionerId,
    serviceType: appointment.serviceType,
    bookingChannel: bookingChannelLabel(appointment),
    leadTimeBand: leadTimeBand(appointment.leadTimeSeconds),
    patientConfirmed: flag(appointment.confirmedAt !== undefined),
    due: flag(attendance === 'attended' || attendance === 'no-show' || attendance === 'open'),
    noShow: flag(attendance === 'no-show'),
    attended: flag(attendance === 'attended'),
    open: flag(attendance === 'open'),
    lateCancel: flag(attendance === 'late-cancel'),
    earlyCancel: flag(attendance === 'early-cancel'),
  };
}
