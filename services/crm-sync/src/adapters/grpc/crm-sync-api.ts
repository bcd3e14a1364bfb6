import * as grpc from '@grpc/grpc-js';
import { crmApi } from '@careloop/contracts';
import type { Logger } from '@careloop/observability';
import type { GrpcServiceRegistration } from '@careloop/service-kit';
import { ConnectorNotFoundError, InvalidConnectorError, TransientFhirError, RejectedResourceError } from '../../domain/errors';
import type { LookupPatients } from '../../use-cases/lookup-patients';
import type { ManageConnectors } from '../../use-cases/manage-connectors';
import type { Replay } from '../../use-cases/replay';

function unary<Req, Res>(logger: Logger, rpc: string, run: (req: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    run(call.request).then(
      (res) => callback(null, res),
      (error: unknown) => {
        if (error instanceof InvalidConnectorError) callback({ code: grpc.status.INVALID_ARGUMENT, details: error.message });
        else if (error instanceof ConnectorNotFoundError) callback({ code: grpc.status.NOT_FOUND, details: error.message });
        else if (error instanceof TransientFhirError) callback({ code: grpc.status.UNAVAILABLE, details: error.message });
        else if (error instanceof RejectedResourceError) callback({ code: grpc.status.FAILED_PRECONDITION, details: error.message });
        else {
          logger.error({ rpc, err: { name: error instanceof Error ? error.name : 'Error' } }, 'rpc failed');
          callback({ code: grpc.status.INTERNAL, details: 'internal error' });
        }
      },
    );
  };
}

/** careloop.crm.v1.CrmSyncService on the service's gRPC port. */
export function crmSyncGrpcService(connectors: ManageConnectors, replay: Replay, lookup: LookupPatients, logger: Logger): GrpcServiceRegistration {
  const implementation: crmApi.CrmSyncServiceServer = {
    putConnector: unary(logger, 'PutConnector', async (req: crmApi.PutConnectorRequest) => ({ connector: await connectors.put(req.connector) })),
    getConnector: unary(logger, 'GetConnector', async (req: crmApi.GetConnectorRequest) => ({ connector: await connectors.get(req.tenantId, req.connectorId) })),
    listConnectors: unary(logger, 'ListConnectors', async (req: crmApi.ListConnectorsRequest) => ({ connectors: await connectors.list(req.tenantId) })),
    replay: unary(logger, 'Replay', (req: crmApi.ReplayRequest) => replay.execute(req)),
    lookupPatients: unary(logger, 'LookupPatients', async (req: crmApi.LookupPatientsRequest) => ({ patients: await lookup.execute(req) })),
  };
  return { name: 'careloop.crm.v1.CrmSyncService', definition: crmApi.CrmSyncServiceService, implementation, protoFile: 'careloop/crm/v1/crm_sync.proto' };
}
