import * as grpc from '@grpc/grpc-js';
import { triage } from '@careloop/contracts';

/**
 * Stand-in for triage's gRPC GetAssessment (another service's API, not infrastructure): answers
 * with the assessments a test put here, NOT_FOUND for any other.
 */
export class TriageStandIn {
  readonly assessments = new Map<string, triage.GetAssessmentResponse>();
  readonly requests: triage.GetAssessmentRequest[] = [];
  private readonly server = new grpc.Server();
  address = '';

  static async start(): Promise<TriageStandIn> {
    const standIn = new TriageStandIn();
    const implementation: triage.TriageServiceServer = {
      assess: (_call, callback) => callback({ code: grpc.status.UNIMPLEMENTED, details: 'not in this stand-in' }),
      getAssessment: (call, callback) => {
        standIn.requests.push(call.request);
        const found = standIn.assessments.get(`${call.request.tenantId}/${call.request.assessmentId}`);
        if (found) callback(null, found);
        else callback({ code: grpc.status.NOT_FOUND, details: 'no such assessment' });
      },
    };
    standIn.server.addService(triage.TriageServiceService, implementation);
    const port = await new Promise<number>((resolve, reject) => {
      standIn.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p)));
    });
    standIn.address = `127.0.0.1:${port}`;
    return standIn;
  }

  put(tenantId: string, assessment: triage.GetAssessmentResponse): void {
    this.assessments.set(`${tenantId}/${assessment.assessmentId}`, assessment);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }
}
