import { Schema, type Connection } from 'mongoose';
import { Channel } from '@careloop/contracts';
import { ensureCollection, modelFor, TenantRepository, tenantGuard, type FieldCipher, type TenantOwned } from '@careloop/store';
import type { RefillStatus } from '../domain/refill-policy';

/** A refill request and where its status updates go (the recipient sealed). */
interface RefillRequestDoc extends TenantOwned {
  _id: string;
  contactId: string;
  conversationId: string;
  facilityId: string;
  patientId: string;
  connectorId: string;
  taskId: string;
  medicationRequestId: string;
  pharmacyId: string;
  controlled: boolean;
  language: string;
  channel: number;
  endpointId: string;
  /** Sealed: the patient's channel user id. */
  recipientSealed: string;
  status: RefillStatus;
  /** The contact opted out of messages: status updates are no longer sent. */
  silenced?: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** Open requests across tenants, for the status follower: ids and the last status only, no PHI. */
interface RefillWatchDoc {
  _id: string;
  tenantId: string;
  connectorId: string;
  taskId: string;
  status: string;
  open: boolean;
}

const requestSchema = new Schema<RefillRequestDoc>(
  {
    _id: String,
    tenantId: { type: String, required: true },
    contactId: String,
    conversationId: String,
    facilityId: String,
    patientId: String,
    connectorId: String,
    taskId: String,
    medicationRequestId: String,
    pharmacyId: String,
    controlled: Boolean,
    language: String,
    channel: Number,
    endpointId: String,
    recipientSealed: String,
    status: String,
    silenced: Boolean,
    createdAt: Date,
    updatedAt: Date,
  },
  { versionKey: false, collection: 'refill_requests' },
);
requestSchema.index({ tenantId: 1, contactId: 1 });
requestSchema.plugin(tenantGuard);

const watchSchema = new Schema<RefillWatchDoc>({ _id: String, tenantId: String, connectorId: String, taskId: String, status: String, open: Boolean }, { versionKey: false, collection: 'refill_watch' });
watchSchema.index({ open: 1 });

export interface RefillRequest {
  readonly id: string;
  readonly tenantId: string;
  readonly contactId: string;
  readonly conversationId: string;
  readonly facilityId: string;
  readonly patientId: string;
  readonly connectorId: string;
  readonly taskId: string;
  readonly medicationRequestId: string;
  readonly pharmacyId: string;
  readonly controlled: boolean;
  readonly language: string;
  readonly channel: Channel;
  readonly endpointId: string;
  readonly channelUserId: string;
  readonly status: RefillStatus;
  readonly silenced?: boolean;
}

const FIELD = 'refill_requests.recipient';

export class RefillRequests extends TenantRepository<RefillRequestDoc> {
  private readonly watch;

  constructor(
    connection: Connection,
    private readonly cipher: FieldCipher,
  ) {
    super(modelFor<RefillRequestDoc>(connection, 'RefillRequest', requestSchema));
    this.watch = modelFor<RefillWatchDoc>(connection, 'RefillWatch', watchSchema);
  }

  async init(): Promise<void> {
    await Promise.all([ensureCollection(this.model), ensureCollection(this.watch)]);
  }

  /** Idempotent per request id (derived from the confirming turn). */
  async record(r: RefillRequest): Promise<void> {
    const now = new Date();
    const { id, tenantId, channelUserId, ...rest } = r;
    await this.updateOneScoped(tenantId, { _id: id }, { $setOnInsert: { ...rest, recipientSealed: this.cipher.encrypt(channelUserId, { tenantId, field: FIELD }), createdAt: now, updatedAt: now } }, true);
    await this.watch.updateOne({ _id: id }, { $setOnInsert: { tenantId, connectorId: r.connectorId, taskId: r.taskId, status: r.status, open: true } }, { upsert: true }).exec();
  }

  async get(tenantId: string, id: string): Promise<RefillRequest | undefined> {
    const doc = await this.findOneScoped(tenantId, { _id: id });
    if (!doc) return undefined;
    const { _id, recipientSealed, channel, createdAt: _c, updatedAt: _u, ...rest } = doc;
    return { ...rest, id: _id, channel: channel === (Channel.CHANNEL_MESSENGER as number) ? Channel.CHANNEL_MESSENGER : Channel.CHANNEL_WHATSAPP, channelUserId: this.cipher.decrypt(recipientSealed, { tenantId, field: FIELD }) };
  }

  /** The requests whose Task may still change. */
  async open(limit: number): Promise<{ id: string; tenantId: string; connectorId: string; taskId: string; status: string }[]> {
    const docs = await this.watch.find({ open: true }).limit(limit).lean<RefillWatchDoc[]>().exec();
    return docs.map((d) => ({ id: d._id, tenantId: d.tenantId, connectorId: d.connectorId, taskId: d.taskId, status: d.status }));
  }

  /** Consent follows the contact: an opt-out silences its requests' updates, an opt-in restores them. */
  async silence(tenantId: string, contactId: string, silenced: boolean): Promise<void> {
    for (const doc of await this.findScoped(tenantId, { contactId })) await this.updateOneScoped(tenantId, { _id: doc._id }, { $set: { silenced } });
  }

  async setStatus(tenantId: string, id: string, status: RefillStatus, final: boolean): Promise<void> {
    await this.updateOneScoped(tenantId, { _id: id }, { $set: { status, updatedAt: new Date() } });
    await this.watch.updateOne({ _id: id }, { $set: { status, open: !final } }).exec();
  }
}
