import type { CodeableConcept, MedicationRequest, Task } from '@medplum/fhirtypes';

/** What a hospital lets the chat do with repeat prescriptions. */
export interface RefillPolicy {
  /**
   * Medication codes (RxNorm, ATC, SNOMED... as the EHR codes them) the hospital treats as
   * controlled: their requests go to a clinician, never approved automatically.
   */
  readonly controlledCodes: readonly string[];
  /** Requests for other medications are approved at once (the pharmacy still dispenses). */
  readonly autoApprove: boolean;
  /** Staff queues (routing's departments) a request reaches. */
  readonly pharmacyDepartment: string;
  readonly clinicianDepartment: string;
  /**
   * The facility's pharmacy directory in the EHR: facility id → the EHR Organization whose
   * Locations (typed PHARM) the patient chooses from; "*" for every other facility. No entry:
   * every active pharmacy Location of the EHR.
   */
  readonly pharmacyOrganizations: Readonly<Record<string, string>>;
}

export const DEFAULT_REFILL_POLICY: RefillPolicy = { controlledCodes: [], autoApprove: false, pharmacyDepartment: 'pharmacy', clinicianDepartment: 'general', pharmacyOrganizations: {} };

export function pharmacyOrganizationFor(policy: RefillPolicy, facilityId: string): string | undefined {
  return policy.pharmacyOrganizations[facilityId] ?? policy.pharmacyOrganizations['*'];
}

const codesOf = (c: CodeableConcept | undefined): string[] => (c?.coding ?? []).map((x) => x.code ?? '').filter(Boolean);

export function isControlled(request: MedicationRequest, policy: RefillPolicy): boolean {
  return codesOf(request.medicationCodeableConcept).some((code) => policy.controlledCodes.includes(code));
}

export function medicationName(request: MedicationRequest): string {
  const c = request.medicationCodeableConcept;
  return c?.text ?? c?.coding?.find((x) => x.display)?.display ?? request.medicationReference?.display ?? '';
}

/** Where a refill request stands, as the patient hears it. */
export type RefillStatus = 'requested' | 'clinician-review' | 'approved' | 'in-progress' | 'ready' | 'declined';

/**
 * Reads the Task the EHR (or the pharmacy) keeps up to date: accepted → approved, in-progress →
 * being prepared, completed → ready for pickup, rejected / cancelled / failed → declined (with the
 * Task's statusReason).
 */
export function refillStatusOf(task: Task): RefillStatus {
  switch (task.status) {
    case 'accepted':
      return 'approved';
    case 'in-progress':
      return 'in-progress';
    case 'completed':
      return 'ready';
    case 'rejected':
    case 'cancelled':
    case 'failed':
    case 'entered-in-error':
      return 'declined';
    default:
      return task.businessStatus?.coding?.some((c) => c.code === 'clinician-review') ? 'clinician-review' : 'requested';
  }
}

export const REFILL_FINAL: ReadonlySet<RefillStatus> = new Set(['ready', 'declined']);
