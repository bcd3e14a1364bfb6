import type { Observation, Patient, Reference } from '@medplum/fhirtypes';
import type { ObservationRecorded } from '@careloop/contracts';
import { ownSystem } from './connector';

export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';

/** The LOINC codes reminders records and the UCUM unit each is measured in. */
const KNOWN: Readonly<Record<string, { display: string; units: readonly string[] }>> = {
  '2339-0': { display: 'Glucose [Mass/volume] in Blood', units: ['mg/dL'] },
  '15074-8': { display: 'Glucose [Moles/volume] in Blood', units: ['mmol/L'] },
};

/** Why an observation cannot be sent as it is (a code or unit we do not know how to label). */
export function observationProblem(o: ObservationRecorded): string | undefined {
  if (o.codeSystem !== LOINC) return 'code_system is not LOINC';
  const known = KNOWN[o.code];
  if (!known) return 'code is not a LOINC code crm-sync maps';
  if (!known.units.includes(o.unit)) return 'unit does not match the LOINC code';
  if (!Number.isFinite(o.value)) return 'value is not a number';
  if (!o.effectiveAt) return 'effective_at is missing';
  return undefined;
}

/** A patient-reported vital sign as an R4 vital-signs Observation (LOINC code, UCUM quantity). */
export function toFhirObservation(o: ObservationRecorded, subject: Reference<Patient>): Observation {
  const known = KNOWN[o.code];
  return {
    resourceType: 'Observation',
    identifier: [{ system: ownSystem(o.tenantId, 'observation'), value: o.observationId }],
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs', display: 'Vital Signs' }] }],
    code: { coding: [{ system: LOINC, code: o.code, ...(known ? { display: known.display } : {}) }] },
    subject,
    ...(o.effectiveAt ? { effectiveDateTime: o.effectiveAt.toISOString() } : {}),
    valueQuantity: { value: o.value, unit: o.unit, system: UCUM, code: o.unit },
    // Reported by the patient over the chat, not measured by staff.
    performer: [subject],
    ...(o.unitInferred ? { note: [{ text: 'Unit inferred from the value; the patient did not name it.' }] } : {}),
  };
}
