import type { Bundle, Resource } from '@medplum/fhirtypes';
import { Channel, crmApi } from '@careloop/contracts';
import type { CrmSyncApi } from './platform';

/** The connector crm-sync keeps for this run's tenant (`npm start`'s is "demo-ehr"). */
export const EHR_CONNECTOR_ID = 'e2e-ehr';

/**
 * Connects the run's tenant to the FHIR server as `npm start` connects the demo network: bookings
 * and reminder deliveries go out, consent goes out (the Patient of a contact that chatted), and
 * the EHR's own appointments come in every second into `import`'s department.
 */
export async function connectEhr(
  api: CrmSyncApi,
  tenantId: string,
  fhirBaseUrl: string,
  endpointId: string,
  into: { readonly facilityId: string; readonly departmentId: string; readonly practitionerId: string },
): Promise<void> {
  const { SyncFlow } = crmApi;
  await api.putConnector({
    connector: crmApi.Connector.fromPartial({
      tenantId,
      connectorId: EHR_CONNECTOR_ID,
      kind: crmApi.ConnectorKind.CONNECTOR_KIND_FHIR_R4,
      baseUrl: fhirBaseUrl,
      enabled: true,
      flows: [SyncFlow.SYNC_FLOW_APPOINTMENTS_OUT, SyncFlow.SYNC_FLOW_CONSENT_OUT, SyncFlow.SYNC_FLOW_COMMUNICATIONS_OUT, SyncFlow.SYNC_FLOW_APPOINTMENTS_IN],
      import: {
        facilityId: into.facilityId,
        departmentId: into.departmentId,
        defaultPractitionerId: into.practitionerId,
        practitioners: {},
        serviceType: 'consultation',
        endpoint: { channel: Channel.CHANNEL_WHATSAPP, endpointId, displayAddress: '', accountId: '' },
        defaultLanguage: 'es',
        pollIntervalSeconds: 1,
      },
    }),
  });
}

/** Plain FHIR REST against the EHR, as the hospital's staff (or its EHR's UI) would use it. */
export class Ehr {
  constructor(private readonly baseUrl: string) {}

  async search<T extends Resource>(type: T['resourceType'], params: Record<string, string>): Promise<T[]> {
    const bundle = await this.call<Bundle<T>>('GET', `${type}?${new URLSearchParams(params).toString()}`);
    return (bundle.entry ?? []).map((e) => e.resource).filter((r): r is T => r?.resourceType === type);
  }

  read<T extends Resource>(type: T['resourceType'], id: string): Promise<T> {
    return this.call<T>('GET', `${type}/${id}`);
  }

  create<T extends Resource>(resource: T): Promise<T> {
    return this.call<T>('POST', resource.resourceType, resource);
  }

  update<T extends Resource & { id: string }>(resource: T): Promise<T> {
    return this.call<T>('PUT', `${resource.resourceType}/${resource.id}`, resource);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}/${path}`, {
      method,
      headers: { accept: 'application/fhir+json', 'content-type': 'application/fhir+json', 'cache-control': 'no-cache', prefer: 'return=representation' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    // The path, not the body: a resource here may carry a test patient's name or phone.
    if (!res.ok) throw new Error(`FHIR ${method} ${path.split('?')[0] ?? ''}: HTTP ${res.status}`);
    return (await res.json()) as T;
  }
}
