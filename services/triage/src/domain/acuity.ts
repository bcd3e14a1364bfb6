/**
 * How urgently to be seen, most urgent first. Emergency means call the emergency number
 * now; the others come with a target time and an offer to book.
 */
export const ACUITIES = ['emergency', 'urgent', 'soon', 'routine', 'self-care'] as const;

export type Acuity = (typeof ACUITIES)[number];

/** Target time to be seen, in hours (0: now). Shown to patients through the catalogue. */
export const TARGET_HOURS: Readonly<Record<Acuity, number | undefined>> = {
  emergency: 0,
  urgent: 24,
  soon: 72,
  routine: 14 * 24,
  'self-care': undefined,
};

/** Departments (scheduling's ids) an outcome may send the patient to. */
export const DEPARTMENTS = ['general-practice', 'cardiology', 'dermatology', 'pediatrics', 'emergency', 'mental-health', 'orthopedics', 'urology', 'gynecology'] as const;

export type Department = (typeof DEPARTMENTS)[number];

export function moreUrgent(a: Acuity, b: Acuity): Acuity {
  return ACUITIES.indexOf(a) <= ACUITIES.indexOf(b) ? a : b;
}
