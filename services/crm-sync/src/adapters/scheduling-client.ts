import * as grpc from '@grpc/grpc-js';
import { schedulingApi } from '@careloop/contracts';
import { NonRetryableError } from '@careloop/bus';

/** scheduling refused the import for good (a practitioner not in its directory...). */
export class ImportRefusedError extends NonRetryableError {
  override readonly name = 'ImportRefusedError';
}

/** scheduling did not answer: try again later. */
export class SchedulingUnavailableError extends Error {
  override readonly name = 'SchedulingUnavailableError';
}

export interface SchedulingPort {
  /** The appointment id scheduling holds the EHR appointment under. */
  importAppointment(request: schedulingApi.ImportAppointmentRequest): Promise<string>;
  close(): void;
}

const REFUSED = new Set([grpc.status.INVALID_ARGUMENT, grpc.status.NOT_FOUND, grpc.status.FAILED_PRECONDITION, grpc.status.ALREADY_EXISTS, grpc.status.PERMISSION_DENIED]);

/** scheduling's ImportAppointment through the generated grpc-js client. */
export class SchedulingClient implements SchedulingPort {
  private readonly client: schedulingApi.SchedulingServiceClient;

  constructor(
    address: string,
    private readonly deadlineMs = 10_000,
  ) {
    this.client = new schedulingApi.SchedulingServiceClient(address, grpc.credentials.createInsecure());
  }

  importAppointment(request: schedulingApi.ImportAppointmentRequest): Promise<string> {
    return new Promise((resolve, reject) => {
      this.client.importAppointment(request, new grpc.Metadata(), { deadline: new Date(Date.now() + this.deadlineMs) }, (error, response) => {
        if (!error) resolve(response.appointment?.appointmentId ?? '');
        // grpc's details name the field at fault; scheduling's messages carry no PHI.
        else if (REFUSED.has(error.code)) reject(new ImportRefusedError(`scheduling refused the import: ${error.details}`));
        else reject(new SchedulingUnavailableError(`scheduling did not take the import (gRPC ${grpc.status[error.code]})`, { cause: error }));
      });
    });
  }

  close(): void {
    this.client.close();
  }
}
