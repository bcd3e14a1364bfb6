/**
 * `npm run crm-sync -- <command>` — crm-sync's gRPC API from a terminal (CRM_SYNC_GRPC_ADDRESS,
 * default 127.0.0.1:50055, as `npm start` runs it):
 *
 *   put-connector connector.json            create or change a connector (proto3 JSON of careloop.crm.v1.Connector)
 *   list-connectors <tenant>
 *   replay <tenant> <from ISO> <to ISO> [connector]
 *   lookup <tenant> --phone +34600111222 | --mrn 12345
 *
 * Credentials go in the JSON file (auth.bearer.token, auth.smartBackend.privateKeyJwk) and are
 * never printed back: answers show `hasCredentials`.
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { crmApi } from '@careloop/contracts';
import { promiseClient } from '@careloop/service-kit';

async function main(argv: string[]): Promise<unknown> {
  const api = new crmApi.CrmSyncServiceClient(process.env['CRM_SYNC_GRPC_ADDRESS'] ?? '127.0.0.1:50055', grpc.credentials.createInsecure());
  const rpc = promiseClient<crmApi.CrmSyncServiceServer>(api, crmApi.CrmSyncServiceService);
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'put-connector': {
        const file = rest[0];
        if (!file) throw new Error('usage: put-connector connector.json');
        const res = await rpc.putConnector({ connector: crmApi.Connector.fromJSON(JSON.parse(readFileSync(file, 'utf8'))) });
        return res.connector ? crmApi.Connector.toJSON(res.connector) : res;
      }
      case 'list-connectors':
        return (await rpc.listConnectors({ tenantId: rest[0] ?? '' })).connectors.map((c) => crmApi.Connector.toJSON(c));
      case 'replay': {
        const [tenantId = '', from = '', to = '', connectorId = ''] = rest;
        return crmApi.ReplayResponse.toJSON(await rpc.replay({ tenantId, connectorId, from: new Date(from), to: new Date(to) }));
      }
      case 'lookup': {
        const [tenantId = '', flag, value = ''] = rest;
        const by = flag === '--phone' ? { $case: 'phoneE164' as const, value } : { $case: 'mrn' as const, value };
        return crmApi.LookupPatientsResponse.toJSON(await rpc.lookupPatients({ tenantId, by }));
      }
      default:
        throw new Error('commands: put-connector <file.json> | list-connectors <tenant> | replay <tenant> <from> <to> [connector] | lookup <tenant> --phone <E.164> | --mrn <mrn>');
    }
  } finally {
    api.close();
  }
}

main(process.argv.slice(2)).then(
  (result) => {
    console.log(JSON.stringify(result, null, 2));
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
