import type { messaging } from '@careloop/contracts';

export const SYNC_FLOWS = [
  'appointments-out',
  'observations-out',
  'consent-out',
  'communications-out',
  'appointment-responses-out',
  'triage-answers-out',
  'survey-answers-out',
  'appointments-in',
  'patient-lookup',
  'changes-pull',
] as const;
export type SyncFlowName = (typeof SYNC_FLOWS)[number];

/** How crm-sync authenticates to the server. Secrets live only here and sealed in the store. */
export type ConnectorAuth =
  | { readonly method: 'none' }
  /** A webhook connector's signing key. */
  | { readonly method: 'hmac'; readonly signingSecret: string }
  | { readonly method: 'bearer'; readonly token: string }
  | {
      readonly method: 'smart-backend';
      readonly tokenUrl: string;
      readonly clientId: string;
      readonly privateKeyJwk: string;
      readonly keyId: string;
      readonly algorithm: 'RS384' | 'ES384';
      readonly scope: string;
    };

export interface ImportSettings {
  readonly facilityId: string;
  readonly departmentId: string;
  readonly defaultPractitionerId: string;
  /** EHR practitioner reference ("Practitioner/123") → our practitioner id. */
  readonly practitioners: Readonly<Record<string, string>>;
  readonly serviceType: string;
  readonly endpoint: messaging.BusinessEndpoint | undefined;
  readonly defaultLanguage: string;
  readonly pollIntervalSeconds: number;
}

/** One tenant's link to one FHIR R4 server, or to a generic CRM's webhook endpoint. */
export interface Connector {
  readonly tenantId: string;
  readonly connectorId: string;
  readonly kind: 'fhir-r4' | 'webhook';
  /** Without a trailing slash. */
  readonly baseUrl: string;
  readonly enabled: boolean;
  readonly flows: readonly SyncFlowName[];
  /** 0: the service default. */
  readonly ratePerSecond: number;
  readonly mrnSystem: string;
  readonly import: ImportSettings | undefined;
  readonly auth: ConnectorAuth;
  /** Webhook connectors: the body's JSON template ('' for the default body). */
  readonly webhookTemplate: string;
  readonly updatedAt: Date;
}

export function carries(connector: Connector, flow: SyncFlowName): boolean {
  return connector.enabled && connector.flows.includes(flow);
}

/** Identifier systems for our own ids in the tenant's FHIR server: replays find what they wrote. */
export type OwnIdKind =
  | 'appointment'
  | 'appointment-response'
  | 'patient'
  | 'contact'
  | 'observation'
  | 'consent'
  | 'consent-purpose'
  | 'reminder'
  | 'reminder-failure'
  | 'practitioner'
  | 'service-type'
  | 'facility'
  | 'triage-assessment'
  | 'survey';

export function ownSystem(tenantId: string, kind: OwnIdKind): string {
  return `urn:careloop:${tenantId}:${kind}`;
}

export function isOwnSystem(tenantId: string, system: string | undefined): boolean {
  return system?.startsWith(`urn:careloop:${tenantId}:`) ?? false;
}

/** The identifier system under which scheduling keeps an EHR appointment's id. */
export function ehrAppointmentSystem(connector: Pick<Connector, 'baseUrl'>): string {
  return `${connector.baseUrl}/Appointment`;
}

/** Extension carrying scheduling's appointment version: updates never go backwards. */
export const SOURCE_VERSION_EXTENSION = 'urn:careloop:fhir:StructureDefinition:source-version';
/** R4 has no cancellation date. */
export const CANCELLED_AT_EXTENSION = 'urn:careloop:fhir:StructureDefinition:cancelled-at';
