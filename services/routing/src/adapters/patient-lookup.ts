import * as grpc from '@grpc/grpc-js';
import { crmApi } from '@careloop/contracts';

/** crm-sync could not answer: the verification says "try later", never guesses. */
export class PatientLookupUnavailableError extends Error {
  override readonly name = 'PatientLookupUnavailableError';
}

export interface PatientRecord {
  readonly patientId: string;
  readonly connectorId: string;
  readonly ehrPatientId: string;
  /** PHI: shown only to the phone the EHR lists for the patient ("for whom?"). */
  readonly givenName: string;
  /** PHI, YYYY-MM-DD; compared, never stored or logged. */
  readonly birthDate: string;
  /** PHI: the phones the EHR lists (E.164, mobile first); a one-time code goes to the first when the patient writes from another. */
  readonly phonesE164: readonly string[];
}

/** One EHR patient as a verification remembers it. */
export interface EhrPatientRef {
  readonly connectorId: string;
  readonly ehrPatientId: string;
}

export interface PatientLookup {
  /** The EHR patients whose record lists this phone (E.164). */
  byPhone(tenantId: string, phoneE164: string): Promise<PatientRecord[]>;
  /** The EHR patients with this hospital number (MRN). */
  byMrn(tenantId: string, mrn: string): Promise<PatientRecord[]>;
  /** The record a verification chose, read again (empty when it is gone or inactive). */
  byReference(tenantId: string, ref: EhrPatientRef): Promise<PatientRecord[]>;
  close(): void;
}

/** crm-sync's LookupPatients over gRPC. */
export class CrmSyncPatientLookup implements PatientLookup {
  private readonly client: crmApi.CrmSyncServiceClient;

  constructor(
    address: string,
    private readonly deadlineMs = 5_000,
  ) {
    this.client = new crmApi.CrmSyncServiceClient(address, grpc.credentials.createInsecure());
  }

  byPhone(tenantId: string, phoneE164: string): Promise<PatientRecord[]> {
    return this.lookup({ tenantId, by: { $case: 'phoneE164', value: phoneE164 } });
  }

  byMrn(tenantId: string, mrn: string): Promise<PatientRecord[]> {
    return this.lookup({ tenantId, by: { $case: 'mrn', value: mrn } });
  }

  byReference(tenantId: string, ref: EhrPatientRef): Promise<PatientRecord[]> {
    return this.lookup({ tenantId, by: { $case: 'ehrPatient', value: { connectorId: ref.connectorId, fhirId: ref.ehrPatientId } } });
  }

  private lookup(request: crmApi.LookupPatientsRequest): Promise<PatientRecord[]> {
    return new Promise((resolve, reject) => {
      this.client.lookupPatients(request, new grpc.Metadata(), { deadline: new Date(Date.now() + this.deadlineMs) }, (error, response) => {
        if (error) {
          reject(new PatientLookupUnavailableError(`crm-sync did not answer the patient lookup (gRPC ${grpc.status[error.code]})`, { cause: error }));
          return;
        }
        resolve(response.patients.map((p) => ({ patientId: p.patientId, connectorId: p.connectorId, ehrPatientId: p.fhirId, givenName: p.givenName, birthDate: p.birthDate, phonesE164: p.phonesE164 })));
      });
    });
  }

  close(): void {
    this.client.close();
  }
}
