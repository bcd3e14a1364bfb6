import type { Logger } from '@careloop/observability';
import type { Connector, SyncFlowName } from '../domain/connector';
import { carries } from '../domain/connector';
import { CircuitBreaker, type BreakerSettings, type BreakerState } from './fhir/circuit-breaker';
import { FhirClient, type RateGate } from './fhir/fhir-client';
import type { GuardedHttp } from './fhir/guarded-http';
import { tokenSourceFor } from './fhir/token-source';
import { WebhookClient } from './webhook-client';
import type { ConnectorStore, StoredConnector } from './connector-store';

export interface Connection {
  readonly connector: StoredConnector;
  readonly fhir: FhirClient;
  /** Webhook connectors only: deliveries go here instead of FHIR writes. */
  readonly webhook?: WebhookClient;
}

export interface RegistrySettings {
  readonly defaultRatePerSecond: number;
  readonly breaker: BreakerSettings;
  /** How long a tenant's connector list is reused before it is read again. */
  readonly cacheMs: number;
  readonly onRequest?: (outcome: 'ok' | 'transient' | 'rejected' | 'conflict') => void;
  readonly onBreaker?: (connectorId: string, state: BreakerState) => void;
}

/**
 * The live connections of each tenant: a FHIR client per connector, rebuilt when the connector
 * changes, with a circuit breaker that outlives rebuilds (a config edit does not reset an open
 * circuit's memory of a dead server).
 */
export class ConnectorRegistry {
  private readonly byTenant = new Map<string, { at: number; connections: Connection[] }>();
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(
    private readonly store: ConnectorStore,
    private readonly http: GuardedHttp,
    private readonly rate: RateGate,
    private readonly settings: RegistrySettings,
    private readonly logger: Logger,
  ) {}

  async connectionsFor(tenantId: string, flow: SyncFlowName): Promise<Connection[]> {
    return (await this.all(tenantId)).filter((c) => carries(c.connector, flow));
  }

  /** Whether the tenant has any connector here (a tenant without one is another deployment's). */
  async serves(tenantId: string): Promise<boolean> {
    return (await this.all(tenantId)).length > 0;
  }

  async connection(tenantId: string, connectorId: string): Promise<Connection | undefined> {
    return (await this.all(tenantId)).find((c) => c.connector.connectorId === connectorId);
  }

  /** A connector changed in this replica: drop the cached list now (others see it within cacheMs). */
  forget(tenantId: string): void {
    this.byTenant.delete(tenantId);
  }

  private async all(tenantId: string): Promise<Connection[]> {
    const cached = this.byTenant.get(tenantId);
    if (cached && Date.now() - cached.at < this.settings.cacheMs) return cached.connections;
    const previous = new Map((cached?.connections ?? []).map((c) => [c.connector.connectorId, c]));
    const connections = (await this.store.list(tenantId)).map((connector) => {
      const old = previous.get(connector.connectorId);
      return old && old.connector.updatedAt.getTime() === connector.updatedAt.getTime() ? old : this.connect(connector);
    });
    this.byTenant.set(tenantId, { at: Date.now(), connections });
    return connections;
  }

  private connect(connector: StoredConnector): Connection {
    const key = `${connector.tenantId}/${connector.connectorId}`;
    let breaker = this.breakers.get(key);
    if (!breaker) {
      breaker = new CircuitBreaker(connector.connectorId, this.settings.breaker, Date.now, (state) => {
        this.logger.warn({ tenantId: connector.tenantId, connectorId: connector.connectorId, state }, 'connector circuit changed');
        this.settings.onBreaker?.(connector.connectorId, state);
      });
      this.breakers.set(key, breaker);
    }
    const fhir = new FhirClient({
      connectorId: key,
      baseUrl: connector.baseUrl,
      ratePerSecond: connector.ratePerSecond || this.settings.defaultRatePerSecond,
      http: this.http,
      tokens: tokenSourceFor(connector.auth, this.http),
      breaker,
      rate: this.rate,
      ...(this.settings.onRequest ? { onRequest: this.settings.onRequest } : {}),
    });
    if (connector.kind === 'webhook' && connector.auth.method === 'hmac') {
      const webhook = new WebhookClient({ connectorId: key, url: connector.baseUrl, secret: connector.auth.signingSecret, ratePerSecond: connector.ratePerSecond || this.settings.defaultRatePerSecond, http: this.http, breaker, rate: this.rate });
      return { connector, fhir, webhook };
    }
    return { connector, fhir };
  }
}

export type { Connector };
