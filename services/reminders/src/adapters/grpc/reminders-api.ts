import * as grpc from '@grpc/grpc-js';
import { remindersApi } from '@careloop/contracts';
import type { Logger } from '@careloop/observability';
import type { GrpcServiceRegistration } from '@careloop/service-kit';
import { InvalidRequestError, type ManagePlans } from '../../use-cases/manage-plans';

function unary<Req, Res>(logger: Logger, rpc: string, run: (req: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    run(call.request).then(
      (res) => {
        callback(null, res);
      },
      (error: unknown) => {
        if (error instanceof InvalidRequestError) {
          callback({ code: grpc.status.INVALID_ARGUMENT, details: error.message });
          return;
        }
        logger.error({ rpc, err: { name: error instanceof Error ? error.name : 'Error' } }, 'rpc failed');
        callback({ code: grpc.status.INTERNAL, details: 'internal error' });
      },
    );
  };
}

/** careloop.reminders.v1.RemindersService on the service's gRPC port. */
export function remindersGrpcService(plans: ManagePlans, logger: Logger): GrpcServiceRegistration {
  const implementation: remindersApi.RemindersServiceServer = {
    createPlan: unary(logger, 'CreatePlan', (req: remindersApi.CreatePlanRequest) => plans.create(req)),
    cancelPlan: unary(logger, 'CancelPlan', (req: remindersApi.CancelPlanRequest) => plans.cancel(req)),
    setPreferences: unary(logger, 'SetPreferences', (req: remindersApi.SetPreferencesRequest) => plans.setPreferences(req)),
    listReminders: unary(logger, 'ListReminders', (req: remindersApi.ListRemindersRequest) => plans.list(req)),
  };
  return { name: 'careloop.reminders.v1.RemindersService', definition: remindersApi.RemindersServiceService, implementation, protoFile: 'careloop/reminders/v1/reminders.proto' };
}
