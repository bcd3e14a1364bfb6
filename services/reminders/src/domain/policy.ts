import { Duration } from 'luxon';
import { z } from 'zod';

/** One reminder before an appointment, e.g. 48 h before, asking the patient to confirm. */
export interface ReminderOffset {
  /** Short stable id ("48h", "2h", "7d"): part of the occurrence key and of analytics' attribution. */
  readonly id: string;
  /** ISO 8601 duration before the start: day units keep the local wall time across DST (P7D), hour units are exact (PT48H). */
  readonly before: string;
  /** Whether this reminder asks for a confirmation (Confirm / Reschedule / Cancel buttons). */
  readonly askConfirmation: boolean;
}

/**
 * Quiet hours in the patient's local time, [start, end), possibly across midnight (21:00–08:00).
 * A reminder falling inside moves to the end of the quiet hours ("after") or to just before they
 * start, the evening before ("before").
 */
export interface QuietHours {
  readonly start: string;
  readonly end: string;
  readonly move: 'after' | 'before';
}

export interface ReminderPolicy {
  readonly offsets: readonly ReminderOffset[];
  readonly quietHours: QuietHours | null;
  /** Once the patient confirmed, later reminders that ask for confirmation are skipped. */
  readonly skipConfirmationRequestsOnceConfirmed: boolean;
  /** Approved utility templates used when the 24-hour window is closed. */
  readonly templates: { readonly appointment: string; readonly medication: string; readonly followUp: string; readonly vitalSign: string };
  /** A plan reminder (medication, vital sign) not sent within this many minutes of its time is dropped. */
  readonly planGraceMinutes: number;
  /** An appointment reminder is never sent later than this many minutes before the start. */
  readonly appointmentCutoffMinutes: number;
  /** Per service type: other offsets (e.g. 7 days for surgery) and preparation instructions per language. */
  readonly serviceTypes: Readonly<Record<string, { readonly offsets?: readonly ReminderOffset[]; readonly preparation?: Readonly<Record<string, string>> }>>;
}

export const DEFAULT_POLICY: ReminderPolicy = {
  offsets: [
    { id: '48h', before: 'PT48H', askConfirmation: true },
    { id: '2h', before: 'PT2H', askConfirmation: false },
  ],
  quietHours: { start: '21:00', end: '08:00', move: 'after' },
  skipConfirmationRequestsOnceConfirmed: true,
  templates: { appointment: 'appointment_reminder', medication: 'medication_reminder', followUp: 'follow_up_reminder', vitalSign: 'vital_sign_prompt' },
  planGraceMinutes: 60,
  appointmentCutoffMinutes: 0,
  serviceTypes: {},
};

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const offsetSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]{1,16}$/, 'offset id: 1-16 of a-z 0-9 -'),
  before: z.string().refine((s) => Duration.fromISO(s).isValid && Duration.fromISO(s).as('minutes') > 0, 'an ISO 8601 duration such as PT48H or P7D'),
  askConfirmation: z.boolean().default(false),
});
const partialPolicySchema = z
  .object({
    offsets: z.array(offsetSchema).max(6),
    quietHours: z.object({ start: z.string().regex(TIME), end: z.string().regex(TIME), move: z.enum(['after', 'before']) }).nullable(),
    skipConfirmationRequestsOnceConfirmed: z.boolean(),
    templates: z.object({ appointment: z.string().min(1), medication: z.string().min(1), followUp: z.string().min(1), vitalSign: z.string().min(1) }).partial(),
    planGraceMinutes: z.number().int().positive(),
    appointmentCutoffMinutes: z.number().int().min(0),
    serviceTypes: z.record(z.string(), z.object({ offsets: z.array(offsetSchema).max(6).optional(), preparation: z.record(z.string(), z.string().max(600)).optional() })),
  })
  .partial()
  .strict();

export type PartialPolicy = z.infer<typeof partialPolicySchema>;

/** Policies keyed "default", "<tenant>", "<tenant>/<facility>" or "<tenant>/<facility>/<department>". */
export const policiesSchema = z.record(z.string(), partialPolicySchema);
export type PolicyTable = z.infer<typeof policiesSchema>;

/** The policy of one department: the defaults, overlaid by tenant, facility and department entries. */
export function resolvePolicy(table: PolicyTable, scope: { tenantId: string; facilityId: string; departmentId: string }): ReminderPolicy {
  const layers = [table['default'], table[scope.tenantId], table[`${scope.tenantId}/${scope.facilityId}`], table[`${scope.tenantId}/${scope.facilityId}/${scope.departmentId}`]];
  let policy: ReminderPolicy = DEFAULT_POLICY;
  for (const layer of layers) {
    if (!layer) continue;
    policy = {
      ...policy,
      ...(layer.offsets ? { offsets: layer.offsets } : {}),
      ...(layer.quietHours !== undefined ? { quietHours: layer.quietHours } : {}),
      ...(layer.skipConfirmationRequestsOnceConfirmed !== undefined ? { skipConfirmationRequestsOnceConfirmed: layer.skipConfirmationRequestsOnceConfirmed } : {}),
      ...(layer.templates ? { templates: { ...policy.templates, ...layer.templates } } : {}),
      ...(layer.planGraceMinutes !== undefined ? { planGraceMinutes: layer.planGraceMinutes } : {}),
      ...(layer.appointmentCutoffMinutes !== undefined ? { appointmentCutoffMinutes: layer.appointmentCutoffMinutes } : {}),
      ...(layer.serviceTypes ? { serviceTypes: { ...policy.serviceTypes, ...layer.serviceTypes } } : {}),
    };
  }
  return policy;
}

/** The offsets for a service type (surgery may have its own), else the policy's. */
export function offsetsFor(policy: ReminderPolicy, serviceType: string): readonly ReminderOffset[] {
  return policy.serviceTypes[serviceType]?.offsets ?? policy.offsets;
}
