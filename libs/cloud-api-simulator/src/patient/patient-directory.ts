import { SimulatedPatient, type PatientHost, type PatientOptions } from './patient';

/** Patients per business number, findable by wa_id or business-scoped user id. */
export class PatientDirectory {
  private readonly byId = new Map<string, SimulatedPatient>();

  constructor(
    private readonly host: PatientHost,
    private readonly onCreated: (patient: SimulatedPatient) => void,
  ) {}

  /** Returns the existing patient for these ids, or registers a new one. */
  obtain(options: PatientOptions & { readonly phoneNumberId: string }): SimulatedPatient {
    const existing =
      (options.waId !== undefined ? this.find(options.phoneNumberId, options.waId) : undefined) ??
      (options.bsuid !== undefined ? this.find(options.phoneNumberId, options.bsuid) : undefined);
    if (existing !== undefined) return existing;
    const patient = new SimulatedPatient(options, this.host);
    if (patient.waId !== undefined) this.byId.set(key(patient.phoneNumberId, patient.waId), patient);
    if (patient.bsuid !== undefined) this.byId.set(key(patient.phoneNumberId, patient.bsuid), patient);
    this.onCreated(patient);
    return patient;
  }

  find(phoneNumberId: string, id: string): SimulatedPatient | undefined {
    return this.byId.get(key(phoneNumberId, id));
  }

  all(): SimulatedPatient[] {
    return [...new Set(this.byId.values())];
  }
}

function key(phoneNumberId: string, id: string): string {
  return `${phoneNumberId}\u0000${id}`;
}
