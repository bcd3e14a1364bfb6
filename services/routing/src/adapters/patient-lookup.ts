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
}

export interface PatientLookup {
  /** The EHR patients whose record lists this phone (E.164). */
  byPhone(tenantId: string, phoneE164: string): Promise<PatientRecord[]>;
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
    return new Promise((resolve, reject) => {
      this.client.lookupPatients({ tenantId, by: { $case: 'phoneE164', value: phoneE164 } }, new grpc.Metadata(), { deadline: new Date(Date.now() + this.deadlineMs) }, (error, response) => {
        if (error) {
          reject(new PatientLookupUnavailableError(`crm-sync did not answer the patient lookup (gRPC ${grpc.status[error.code]})`, { cause: error }));
          return;
        }
        resolve(response.patients.map((p) => ({ patientId: p.patientId, connectorId: p.connectorId, ehrPatientId: p.fhirId, givenName: p.givenName, birthDate: p.birthDate })));
      });
    });
  }

  close(): void {
    this.client.close();
  }
}
