import { Schema, type Connection } from 'mongoose';
import { ensureCollection, modelFor, TenantRepository, tenantGuard, type FieldCipher, type TenantOwned } from '@careloop/store';
import type { Connector, ConnectorAuth, ImportSettings, SyncFlowName } from '../domain/connector';

interface ConnectorRecord extends TenantOwned {
  _id: string;
  connectorId: string;
  kind: 'fhir-r4' | 'webhook';
  /** Absent on connectors stored before webhooks existed. */
  webhookTemplate?: string;
  baseUrl: string;
  enabled: boolean;
  flows: SyncFlowName[];
  ratePerSecond: number;
  mrnSystem: string;
  import: ImportSettings | null;
  authMethod: ConnectorAuth['method'];
  /** The whole ConnectorAuth, sealed: tokens and private keys never reach the database in clear. */
  authSealed: string;
  createdAt: Date;
  updatedAt: Date;
}

const schema = new Schema<ConnectorRecord>(
  {
    _id: String,
    tenantId: { type: String, required: true },
    connectorId: String,
    kind: String,
    webhookTemplate: String,
    baseUrl: String,
    enabled: Boolean,
    flows: [String],
    ratePerSecond: Number,
    mrnSystem: String,
    import: { type: Schema.Types.Mixed },
    authMethod: String,
    authSealed: String,
    createdAt: Date,
    updatedAt: Date,
  },
  { versionKey: false, collection: 'connectors', minimize: false },
);
schema.plugin(tenantGuard);
schema.index({ tenantId: 1 });

const AUTH_FIELD = 'connectors.auth';

export interface StoredConnector extends Connector {
  readonly createdAt: Date;
}

/** The tenants' connectors; credentials sealed with the service's PHI key ring. */
export class ConnectorStore extends TenantRepository<ConnectorRecord> {
  constructor(
    connection: Connection,
    private readonly cipher: FieldCipher,
  ) {
    super(modelFor<ConnectorRecord>(connection, 'Connector', schema));
  }

  async init(): Promise<void> {
    await ensureCollection(this.model);
    await this.model.createIndexes();
  }

  async put(connector: Connector): Promise<StoredConnector> {
    const { tenantId, connectorId, auth, import: importSettings, ...rest } = connector;
    const authSealed = this.cipher.encrypt(JSON.stringify(auth), { tenantId, field: AUTH_FIELD });
    const saved = await this.findOneAndUpdateScoped(
      tenantId,
      { _id: idOf(tenantId, connectorId) },
      { $set: { ...rest, connectorId, import: importSettings ?? null, authMethod: auth.method, authSealed }, $setOnInsert: { createdAt: connector.updatedAt } },
      { upsert: true },
    );
    if (!saved) throw new Error('connector upsert returned nothing');
    return this.toConnector(saved);
  }

  async get(tenantId: string, connectorId: string): Promise<StoredConnector | undefined> {
    const r = await this.findOneScoped(tenantId, { _id: idOf(tenantId, connectorId) });
    return r ? this.toConnector(r) : undefined;
  }

  async list(tenantId: string): Promise<StoredConnector[]> {
    return (await this.findScoped(tenantId, {})).map((r) => this.toConnector(r));
  }

  private toConnector(r: ConnectorRecord): StoredConnector {
    const auth = JSON.parse(this.cipher.decrypt(r.authSealed, { tenantId: r.tenantId, field: AUTH_FIELD })) as ConnectorAuth;
    return {
      tenantId: r.tenantId,
      connectorId: r.connectorId,
      kind: r.kind,
      baseUrl: r.baseUrl,
      enabled: r.enabled,
      flows: r.flows,
      ratePerSecond: r.ratePerSecond,
      mrnSystem: r.mrnSystem,
      import: r.import ?? undefined,
      auth,
      webhookTemplate: r.webhookTemplate ?? '',
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
    };
  }
}

function idOf(tenantId: string, connectorId: string): string {
  return `${tenantId}/${connectorId}`;
}
