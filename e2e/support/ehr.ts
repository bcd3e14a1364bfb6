import type { Bundle, DiagnosticReport, Observation, Patient, Resource } from '@medplum/fhirtypes';
import { Channel, crmApi } from '@careloop/contracts';
import type { CrmSyncApi } from './platform';

/** The connector crm-sync keeps for this run's tenant (`npm start`'s is "demo-ehr"). */
export const EHR_CONNECTOR_ID = 'e2e-ehr';
/** The hospital's MRN system in the EHR (patient lookup returns it). */
const MRN_SYSTEM = 'urn:e2e:ehr:mrn';
/** v2-0074 diagnostic service sections: the categories the results policy decides by. */
const SECTION = 'http://terminology.hl7.org/CodeSystem/v2-0074';
const LOINC = 'http://loinc.org';

/**
 * The run's results policy (crm-sync's `EHR_RESULTS_POLICY`), as `npm start`'s demo network has
 * it: lab reports released as a PDF, imaging only announced with a general-practice booking,
 * genetics never by chat.
 */
export function resultsPolicy(tenantId: string): Record<string, unknown> {
  return {
    [tenantId]: {
      rules: [
        { match: 'LAB', release: 'document' },
        { match: 'RAD', release: 'announce' },
        { match: 'GE', release: 'never' },
      ],
      otherwise: 'never',
      bookingDepartmentId: 'general-practice',
    },
  };
}

/**
 * Connects the run's tenant to the FHIR server as `npm start` connects the demo network: bookings
 * and reminder deliveries go out, consent goes out (the Patient of a contact that chatted), and
 * the EHR's own appointments come in every second into `import`'s department; routing can look
 * a phone up (identity verification for the ehr skill's results).
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
      flows: [SyncFlow.SYNC_FLOW_APPOINTMENTS_OUT, SyncFlow.SYNC_FLOW_CONSENT_OUT, SyncFlow.SYNC_FLOW_COMMUNICATIONS_OUT, SyncFlow.SYNC_FLOW_APPOINTMENTS_IN, SyncFlow.SYNC_FLOW_PATIENT_LOOKUP],
      // Patient lookup: who a phone is, for routing's identity verification before results.
      mrnSystem: MRN_SYSTEM,
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

/** A patient the EHR knows by their mobile, with a date of birth (what identity verification checks). */
export function ehrPatient(ehr: Ehr, input: { readonly given: string; readonly family: string; readonly birthDate: string; readonly phoneE164: string }): Promise<Patient> {
  return ehr.create<Patient>({
    resourceType: 'Patient',
    identifier: [{ system: MRN_SYSTEM, value: `MRN-${Math.floor(Math.random() * 1e9)}` }],
    name: [{ use: 'official', given: [input.given], family: input.family }],
    birthDate: input.birthDate,
    telecom: [{ system: 'phone', use: 'mobile', value: input.phoneE164 }],
  });
}

/** A final report with its Observations, as the lab, radiology or genetics system writes it. */
export async function finalReport(
  ehr: Ehr,
  patientId: string,
  input: { readonly section: 'LAB' | 'RAD' | 'GE'; readonly code: string; readonly name: string; readonly daysAgo: number; readonly observations?: readonly { code: string; name: string; value: number; unit: string; low: number; high: number }[]; readonly conclusion?: string },
): Promise<DiagnosticReport> {
  const when = new Date(Date.now() - input.daysAgo * 86_400_000).toISOString();
  const observations: Observation[] = [];
  for (const o of input.observations ?? []) {
    observations.push(
      await ehr.create<Observation>({
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: LOINC, code: o.code, display: o.name }], text: o.name },
        subject: { reference: `Patient/${patientId}` },
        effectiveDateTime: when,
        valueQuantity: { value: o.value, unit: o.unit, system: 'http://unitsofmeasure.org', code: o.unit },
        referenceRange: [{ low: { value: o.low, unit: o.unit }, high: { value: o.high, unit: o.unit } }],
      }),
    );
  }
  return ehr.create<DiagnosticReport>({
    resourceType: 'DiagnosticReport',
    status: 'final',
    category: [{ coding: [{ system: SECTION, code: input.section }] }],
    code: { coding: [{ system: LOINC, code: input.code, display: input.name }], text: input.name },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: when,
    issued: when,
    ...(observations.length > 0 ? { result: observations.map((o) => ({ reference: `Observation/${o.id ?? ''}` })) } : {}),
    ...(input.conclusion ? { conclusion: input.conclusion } : {}),
  });
}
