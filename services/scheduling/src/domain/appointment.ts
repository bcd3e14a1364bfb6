import { AppointmentStatus } from '@careloop/contracts';

/** FHIR R4 Appointment.status codes, as stored. */
export const STATUS_CODES = ['proposed', 'pending', 'booked', 'arrived', 'fulfilled', 'cancelled', 'noshow', 'entered-in-error', 'checked-in', 'waitlist'] as const;
export type StatusCode = (typeof STATUS_CODES)[number];

const TO_PROTO: Record<StatusCode, AppointmentStatus> = {
  proposed: AppointmentStatus.APPOINTMENT_STATUS_PROPOSED,
  pending: AppointmentStatus.APPOINTMENT_STATUS_PENDING,
  booked: AppointmentStatus.APPOINTMENT_STATUS_BOOKED,
  arrived: AppointmentStatus.APPOINTMENT_STATUS_ARRIVED,
  fulfilled: AppointmentStatus.APPOINTMENT_STATUS_FULFILLED,
  cancelled: AppointmentStatus.APPOINTMENT_STATUS_CANCELLED,
  noshow: AppointmentStatus.APPOINTMENT_STATUS_NOSHOW,
  'entered-in-error': AppointmentStatus.APPOINTMENT_STATUS_ENTERED_IN_ERROR,
  'checked-in': AppointmentStatus.APPOINTMENT_STATUS_CHECKED_IN,
  waitlist: AppointmentStatus.APPOINTMENT_STATUS_WAITLIST,
};

export function statusToProto(code: StatusCode): AppointmentStatus {
  return TO_PROTO[code];
}

export function statusFromProto(status: AppointmentStatus): StatusCode | undefined {
  return STATUS_CODES.find((c) => TO_PROTO[c] === status);
}

/** Statuses that hold a slot: the practitioner's time is taken. */
export function holdsSlot(status: StatusCode): boolean {
  return status === 'booked' || status === 'pending' || status === 'arrived' || status === 'checked-in' || status === 'fulfilled';
}

/** Attendance changes allowed from each status (staff, EHR or the sweep). */
const ATTENDANCE: Partial<Record<StatusCode, readonly StatusCode[]>> = {
  booked: ['arrived', 'checked-in', 'noshow', 'fulfilled', 'entered-in-error'],
  pending: ['arrived', 'checked-in', 'noshow', 'entered-in-error'],
  arrived: ['checked-in', 'fulfilled', 'entered-in-error'],
  'checked-in': ['fulfilled', 'entered-in-error'],
  // The EHR may say a presumed no-show did come after all.
  noshow: ['arrived', 'checked-in', 'fulfilled', 'entered-in-error'],
  fulfilled: ['entered-in-error'],
};

export function canMarkAttendance(from: StatusCode, to: StatusCode): boolean {
  return ATTENDANCE[from]?.includes(to) ?? false;
}

export function isCancellable(status: StatusCode): boolean {
  return status === 'booked' || status === 'pending' || status === 'proposed' || status === 'waitlist';
}

/**
 * FHIR R4 appointment-cancellation-reason codes
 * (http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason).
 */
export const CANCELLATION_REASONS = [
  'pat', 'pat-crs', 'pat-cpp', 'pat-dec', 'pat-fb', 'pat-lt', 'pat-mt', 'pat-mv', 'pat-preg', 'pat-swl', 'pat-ucp',
  'prov', 'prov-pers', 'prov-dch', 'prov-edu', 'prov-hosp', 'prov-labs', 'prov-mri', 'prov-onc',
  'maint', 'meds-inc', 'other', 'oth-cms', 'oth-err', 'oth-fin', 'oth-iv', 'oth-int', 'oth-mal', 'oth-mod', 'oth-oth', 'oth-qu', 'oth-rel', 'oth-vc', 'oth-weath',
] as const;

export function isCancellationReason(code: string): boolean {
  return (CANCELLATION_REASONS as readonly string[]).includes(code);
}
