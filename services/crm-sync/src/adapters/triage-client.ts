import * as grpc from '@grpc/grpc-js';
import { NonRetryableError } from '@careloop/bus';
import { triage } from '@careloop/contracts';

/** triage has no such assessment, or refused the request: retrying cannot help (dead letter). */
export class AssessmentUnavailableError extends NonRetryableError {
  override readonly name = 'AssessmentUnavailableError';
}

/** triage did not answer: the event is retried later. */
export class TriageUnavailableError extends Error {
  override readonly name = 'TriageUnavailableError';
}

/** Reads an assessment's answers (PHI: they go to the EHR only, never to a log). */
export interface AssessmentSource {
  getAssessment(tenantId: string, assessmentId: string): Promise<triage.GetAssessmentResponse>;
}

const REFUSED = new Set([grpc.status.INVALID_ARGUMENT, grpc.status.NOT_FOUND, grpc.status.PERMISSION_DENIED, grpc.status.FAILED_PRECONDITION]);

/** triage's GetAssessment through the generated grpc-js client. */
export class TriageClient implements AssessmentSource {
  private readonly client: triage.TriageServiceClient;

  constructor(
    address: string,
    private readonly deadlineMs = 10_000,
  ) {
    this.client = new triage.TriageServiceClient(address, grpc.credentials.createInsecure());
  }

  getAssessment(tenantId: string, assessmentId: string): Promise<triage.GetAssessmentResponse> {
    return new Promise((resolve, reject) => {
      this.client.getAssessment({ tenantId, assessmentId }, new grpc.Metadata(), { deadline: new Date(Date.now() + this.deadlineMs) }, (error, response) => {
        if (!error) resolve(response);
        // grpc's details name the field at fault; triage's messages carry no PHI.
        else if (REFUSED.has(error.code)) reject(new AssessmentUnavailableError(`triage refused GetAssessment: ${grpc.status[error.code]} ${error.details}`));
        else reject(new TriageUnavailableError(`triage did not answer GetAssessment (gRPC ${grpc.status[error.code]})`, { cause: error }));
      });
    });
  }

  close(): void {
    this.client.close();
  }
}
