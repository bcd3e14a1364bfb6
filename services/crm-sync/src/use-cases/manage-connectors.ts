import { crmApi } from '@careloop/contracts';
import type { ConnectorStore, StoredConnector } from '../adapters/connector-store';
import type { ConnectorRegistry } from '../adapters/connector-registry';
import type { PollSchedule } from '../adapters/poll-schedule';
import { carries, type Connector, type ConnectorAuth, type ImportSettings, type SyncFlowName } from '../domain/connector';
import { ConnectorNotFoundError, InvalidConnectorError, UnsafeUrlError } from '../domain/errors';
import type { HostPolicy } from '../domain/host-policy';

const { SyncFlow } = crmApi;
const ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** A connector that starts polling picks up what the EHR changed this long before it was added. */
const FIRST_POLL_LOOKBACK_MS = 5 * 60_000;

function flowName(flow: crmApi.SyncFlow): SyncFlowName | undefined {
  switch (flow) {
    case SyncFlow.SYNC_FLOW_APPOINTMENTS_OUT: return 'appointments-out';
    case SyncFlow.SYNC_FLOW_OBSERVATIONS_OUT: return 'observations-out';
    case SyncFlow.SYNC_FLOW_APPOINTMENTS_IN: return 'appointments-in';
    case SyncFlow.SYNC_FLOW_PATIENT_LOOKUP: return 'patient-lookup';
    case SyncFlow.SYNC_FLOW_CONSENT_OUT: return 'consent-out';
    case SyncFlow.SYNC_FLOW_COMMUNICATIONS_OUT: return 'communications-out';
    case SyncFlow.SYNC_FLOW_APPOINTMENT_RESPONSES_OUT: return 'appointment-responses-out';
    case SyncFlow.SYNC_FLOW_TRIAGE_ANSWERS_OUT: return 'triage-answers-out';
    case SyncFlow.SYNC_FLOW_SURVEY_ANSWERS_OUT: return 'survey-answers-out';
    case SyncFlow.SYNC_FLOW_CHANGES_PULL: return 'changes-pull';
    case SyncFlow.SYNC_FLOW_UNSPECIFIED:
    case SyncFlow.UNRECOGNIZED:
      return undefined;
  }
}

function flowEnum(flow: SyncFlowName): crmApi.SyncFlow {
  switch (flow) {
    case 'appointments-out': return SyncFlow.SYNC_FLOW_APPOINTMENTS_OUT;
    case 'observations-out': return SyncFlow.SYNC_FLOW_OBSERVATIONS_OUT;
    case 'appointments-in': return SyncFlow.SYNC_FLOW_APPOINTMENTS_IN;
    case 'patient-lookup': return SyncFlow.SYNC_FLOW_PATIENT_LOOKUP;
    case 'consent-out': return SyncFlow.SYNC_FLOW_CONSENT_OUT;
    case 'communications-out': return SyncFlow.SYNC_FLOW_COMMUNICATIONS_OUT;
    case 'appointment-responses-out': return SyncFlow.SYNC_FLOW_APPOINTMENT_RESPONSES_OUT;
    case 'triage-answers-out': return SyncFlow.SYNC_FLOW_TRIAGE_ANSWERS_OUT;
    case 'survey-answers-out': return SyncFlow.SYNC_FLOW_SURVEY_ANSWERS_OUT;
    case 'changes-pull': return SyncFlow.SYNC_FLOW_CHANGES_PULL;
  }
}

/** Tenants' connectors: validated (the SSRF guard first), stored with sealed credentials, enrolled for polling. */
export class ManageConnectors {
  constructor(
    private readonly store: ConnectorStore,
    private readonly registry: ConnectorRegistry,
    private readonly polls: PollSchedule,
    private readonly policy: HostPolicy,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async put(input: crmApi.Connector | undefined): Promise<crmApi.Connector> {
    const connector = this.parse(input);
    const previous = await this.store.get(connector.tenantId, connector.connectorId);
    // Credentials are write-only: a put without them keeps the stored ones.
    const withAuth = connector.auth.method === 'none' && previous ? { ...connector, auth: previous.auth } : connector;
    if (withAuth.kind === 'webhook' && withAuth.auth.method !== 'hmac') throw new InvalidConnectorError('webhook.signing_secret is required');
    const saved = await this.store.put(withAuth);
    this.registry.forget(saved.tenantId);
    if (carries(saved, 'appointments-in')) {
      await this.polls.enrol(saved.tenantId, saved.connectorId, new Date(saved.createdAt.getTime() - FIRST_POLL_LOOKBACK_MS).toISOString(), this.now());
    } else {
      await this.polls.withdraw(saved.tenantId, saved.connectorId);
    }
    return toProto(saved);
  }

  async get(tenantId: string, connectorId: string): Promise<crmApi.Connector> {
    requireId('tenant_id', tenantId);
    const found = await this.store.get(tenantId, connectorId);
    if (!found) throw new ConnectorNotFoundError(connectorId);
    return toProto(found);
  }

  async list(tenantId: string): Promise<crmApi.Connector[]> {
    requireId('tenant_id', tenantId);
    return (await this.store.list(tenantId)).map(toProto);
  }

  /** The request as a Connector, or InvalidConnectorError naming the field (values are not echoed). */
  parse(input: crmApi.Connector | undefined): Connector {
    if (!input) throw new InvalidConnectorError('connector is missing');
    requireId('tenant_id', input.tenantId);
    requireId('connector_id', input.connectorId);
    const kind = input.kind === crmApi.ConnectorKind.CONNECTOR_KIND_FHIR_R4 ? 'fhir-r4' : input.kind === crmApi.ConnectorKind.CONNECTOR_KIND_WEBHOOK ? 'webhook' : undefined;
    if (!kind) throw new InvalidConnectorError('kind must be CONNECTOR_KIND_FHIR_R4 or CONNECTOR_KIND_WEBHOOK');
    const baseUrl = this.safeUrl('base_url', input.baseUrl).replace(/\/+$/, '');
    const flows = [...new Set(input.flows.map(flowName).filter((f): f is SyncFlowName => f !== undefined))];
    if (flows.length === 0) throw new InvalidConnectorError('flows must name at least one flow');
    if (kind === 'webhook' && flows.some((f) => f !== 'appointments-out' && f !== 'changes-pull')) throw new InvalidConnectorError('a webhook connector carries SYNC_FLOW_APPOINTMENTS_OUT and SYNC_FLOW_CHANGES_PULL only');
    if (kind !== 'webhook' && flows.includes('changes-pull')) throw new InvalidConnectorError('SYNC_FLOW_CHANGES_PULL is for webhook connectors (it needs their signing secret)');
    if (!(input.ratePerSecond >= 0 && input.ratePerSecond <= 10_000)) throw new InvalidConnectorError('rate_per_second must be between 0 and 10000');
    if (flows.includes('patient-lookup') && !input.mrnSystem) throw new InvalidConnectorError('mrn_system is required for patient lookup');
    return {
      tenantId: input.tenantId,
      connectorId: input.connectorId,
      kind,
      baseUrl,
      enabled: input.enabled,
      flows,
      ratePerSecond: input.ratePerSecond,
      mrnSystem: input.mrnSystem,
      import: flows.includes('appointments-in') ? this.importSettings(input.import) : undefined,
      auth: kind === 'webhook' ? this.webhookAuth(input.webhook) : this.auth(input.auth),
      webhookTemplate: kind === 'webhook' ? this.template(input.webhook?.bodyTemplate ?? '') : '',
      updatedAt: this.now(),
    };
  }

  /** An empty secret keeps the stored one (put resolves that); otherwise at least 32 characters. */
  private webhookAuth(w: crmApi.WebhookSettings | undefined): ConnectorAuth {
    const secret = w?.signingSecret ?? '';
    if (secret && secret.length < 32) throw new InvalidConnectorError('webhook.signing_secret must be at least 32 characters');
    return secret ? { method: 'hmac', signingSecret: secret } : { method: 'none' };
  }

  private template(raw: string): string {
    if (!raw) return '';
    try {
      JSON.parse(raw);
    } catch {
      throw new InvalidConnectorError('webhook.body_template is not JSON');
    }
    return raw;
  }

  private importSettings(i: crmApi.ImportSettings | undefined): ImportSettings {
    if (!i) throw new InvalidConnectorError('import is required for appointments-in');
    requireId('import.facility_id', i.facilityId);
    requireId('import.department_id', i.departmentId);
    if (!i.defaultPractitionerId && Object.keys(i.practitioners).length === 0) throw new InvalidConnectorError('import needs default_practitioner_id or practitioners');
    if (i.pollIntervalSeconds < 0 || i.pollIntervalSeconds > 86_400) throw new InvalidConnectorError('import.poll_interval_seconds must be between 0 and 86400');
    return {
      facilityId: i.facilityId,
      departmentId: i.departmentId,
      defaultPractitionerId: i.defaultPractitionerId,
      practitioners: { ...i.practitioners },
      serviceType: i.serviceType,
      endpoint: i.endpoint,
      defaultLanguage: i.defaultLanguage || 'en',
      pollIntervalSeconds: i.pollIntervalSeconds || 60,
    };
  }

  private auth(auth: crmApi.ConnectorAuth | undefined): ConnectorAuth {
    const method = auth?.method;
    if (!method) return { method: 'none' };
    switch (method.$case) {
      case 'bearer':
        if (!method.value.token) throw new InvalidConnectorError('auth.bearer.token is empty');
        return { method: 'bearer', token: method.value.token };
      case 'smartBackend': {
        const s = method.value;
        if (!s.clientId) throw new InvalidConnectorError('auth.smart_backend.client_id is empty');
        if (!s.privateKeyJwk) throw new InvalidConnectorError('auth.smart_backend.private_key_jwk is empty');
        try {
          JSON.parse(s.privateKeyJwk);
        } catch {
          throw new InvalidConnectorError('auth.smart_backend.private_key_jwk is not JSON');
        }
        const algorithm = s.algorithm || 'RS384';
        if (algorithm !== 'RS384' && algorithm !== 'ES384') throw new InvalidConnectorError('auth.smart_backend.algorithm must be RS384 or ES384');
        return { method: 'smart-backend', tokenUrl: this.safeUrl('auth.smart_backend.token_url', s.tokenUrl), clientId: s.clientId, privateKeyJwk: s.privateKeyJwk, keyId: s.keyId, algorithm, scope: s.scope || 'system/*.rs' };
      }
    }
  }

  private safeUrl(field: string, raw: string): string {
    try {
      return this.policy.checkUrl(raw).toString();
    } catch (error) {
      if (error instanceof UnsafeUrlError) throw new InvalidConnectorError(`${field} refused: ${error.message}`);
      throw error;
    }
  }
}

function requireId(field: string, value: string): void {
  if (!ID.test(value)) throw new InvalidConnectorError(`${field} must be 1-64 characters of a-z 0-9 . _ -`);
}

function toProto(c: StoredConnector): crmApi.Connector {
  return {
    tenantId: c.tenantId,
    connectorId: c.connectorId,
    kind: c.kind === 'webhook' ? crmApi.ConnectorKind.CONNECTOR_KIND_WEBHOOK : crmApi.ConnectorKind.CONNECTOR_KIND_FHIR_R4,
    baseUrl: c.baseUrl,
    enabled: c.enabled,
    flows: c.flows.map(flowEnum),
    ratePerSecond: c.ratePerSecond,
    mrnSystem: c.mrnSystem,
    import: c.import ? { ...c.import, practitioners: { ...c.import.practitioners } } : undefined,
    auth: undefined,
    hasCredentials: c.auth.method !== 'none',
    updatedAt: c.updatedAt,
    webhook: c.kind === 'webhook' ? { signingSecret: '', bodyTemplate: c.webhookTemplate } : undefined,
  };
}
