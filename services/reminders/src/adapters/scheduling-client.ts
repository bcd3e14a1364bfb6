import * as grpc from '@grpc/grpc-js';
import { ChangeSource, schedulingApi } from '@careloop/contracts';

/** What the patient's buttons ask of scheduling. `gone`: the appointment cannot be changed any more. */
export type SchedulingAnswer = 'done' | 'gone' | 'unavailable';

export interface SchedulingPort {
  confirm(tenantId: string, appointmentId: string): Promise<SchedulingAnswer>;
  cancel(tenantId: string, appointmentId: string): Promise<SchedulingAnswer>;
  close(): void;
}

const GONE = new Set([grpc.status.NOT_FOUND, grpc.status.FAILED_PRECONDITION, grpc.status.INVALID_ARGUMENT, grpc.status.ALREADY_EXISTS]);

/** scheduling's gRPC API through the generated grpc-js client (SCHEDULING_GRPC_ADDRESS). */
export class SchedulingClient implements SchedulingPort {
  private readonly client: schedulingApi.SchedulingServiceClient;

  constructor(
    address: string,
    private readonly deadlineMs = 5_000,
  ) {
    this.client = new schedulingApi.SchedulingServiceClient(address, grpc.credentials.createInsecure());
  }

  confirm(tenantId: string, appointmentId: string): Promise<SchedulingAnswer> {
    return this.call((cb) => this.client.confirm({ tenantId, appointmentId, source: ChangeSource.CHANGE_SOURCE_PATIENT }, new grpc.Metadata(), this.options(), cb));
  }

  cancel(tenantId: string, appointmentId: string): Promise<SchedulingAnswer> {
    // FHIR appointment-cancellation-reason "pat": cancelled by the patient.
    return this.call((cb) => this.client.cancel({ tenantId, appointmentId, reason: 'pat', source: ChangeSource.CHANGE_SOURCE_PATIENT }, new grpc.Metadata(), this.options(), cb));
  }

  close(): void {
    this.client.close();
  }

  private options(): Partial<grpc.CallOptions> {
    return { deadline: new Date(Date.now() + this.deadlineMs) };
  }

  private call(invoke: (cb: (error: grpc.ServiceError | null) => void) => unknown): Promise<SchedulingAnswer> {
    return new Promise((resolve) => {
      invoke((error) => {
        if (!error) resolve('done');
        else resolve(GONE.has(error.code) ? 'gone' : 'unavailable');
      });
    });
  }
}
