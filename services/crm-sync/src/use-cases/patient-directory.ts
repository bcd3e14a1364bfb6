import type { Patient, Reference } from '@medplum/fhirtypes';
import type { Connection } from '../adapters/connector-registry';
import { patientIdentifier, toFhirPatient, type PatientKey } from '../domain/patient-mapping';
import { assertValidR4 } from '../domain/r4-validation';

const CACHE_LIMIT = 50_000;

/**
 * Finds or creates the Patient a resource is about, by our patient id (conditional create, so
 * two events racing for a new patient still leave one Patient). Remembers the server's id per
 * connector: the second appointment of a patient costs no lookup.
 */
export class PatientDirectory {
  private readonly known = new Map<string, string>();

  async referenceFor(connection: Connection, key: PatientKey, language: string): Promise<Reference<Patient>> {
    const id = patientIdentifier(key);
    const cacheKey = `${connection.fhir.connectorId}|${id.system}|${id.value}`;
    const cached = this.known.get(cacheKey);
    if (cached) return { reference: `Patient/${cached}` };
    const patient = assertValidR4(toFhirPatient(key, language));
    const { resource } = await connection.fhir.create(patient, `identifier=${encodeURIComponent(id.system)}|${encodeURIComponent(id.value)}`);
    if (!resource.id) throw new Error('the server returned a Patient without id');
    if (this.known.size >= CACHE_LIMIT) this.known.clear();
    this.known.set(cacheKey, resource.id);
    return { reference: `Patient/${resource.id}` };
  }
}
