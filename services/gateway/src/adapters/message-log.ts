import { Schema, type Connection, type FilterQuery, type Model } from 'mongoose';
import { ensureCollection, GroupCommittedInserts, modelFor, TenantRepository, tenantGuard, type FieldCipher, type TenantOwned } from '@careloop/store';

/**
 * claimed: being worked on, nothing sent yet (safe to resume);
 * sending: the request to the channel is out (outcome unknown until answered);
 * accepted / failed: final; unknown: a send may or may not have reached the
 * channel, waiting for a status webhook carrying our command id.
 */
export type SendState = 'claimed' | 'sending' | 'accepted' | 'failed' | 'unknown';

export interface StatusEntry {
  status: string;
  at: Date;
  errorCode?: number;
}

interface MessageLogDoc extends TenantOwned {
  _id: string;
  commandId: string;
  channel: string;
  endpointId: string;
  recipientIndex: string;
  recipientSealed: string;
  contentSealed: string;
  contactId: string;
  conversationId: string;
  requestedBy: string;
  /** The send's state before its outcome is settled (the outcome lives in message_outcomes). */
  state: SendState;
  attempts: number;
  sentAsTemplate: boolean;
  failureReason?: string;
  createdAt: Date;
  updatedAt: Date;
}

const schema = new Schema<MessageLogDoc>(
  {
    _id: String,
    tenantId: { type: String, required: true },
    commandId: { type: String, required: true },
    channel: String,
    endpointId: String,
    recipientIndex: String,
    recipientSealed: String,
    contentSealed: String,
    contactId: String,
    conversationId: String,
    requestedBy: String,
    state: { type: String, required: true },
    attempts: { type: Number, default: 0 },
    sentAsTemplate: Boolean,
    failureReason: String,
    createdAt: Date,
    updatedAt: Date,
  },
  { versionKey: false, collection: 'message_log' },
);
schema.index({ tenantId: 1, recipientIndex: 1, createdAt: -1 });
schema.plugin(tenantGuard);

/** A command's final outcome, written once: its unique `_id` (tenant:command) is what settles it. */
interface OutcomeDoc extends TenantOwned {
  _id: string;
  commandId: string;
  state: 'accepted' | 'failed';
  messageId?: string;
  failureReason?: string;
  /** Settled by a status webhook (the send's own answer was lost), not by the send. */
  fromStatus: boolean;
  at: Date;
}

const outcomeSchema = new Schema<OutcomeDoc>(
  {
    _id: String,
    tenantId: { type: String, required: true },
    commandId: { type: String, required: true },
    state: { type: String, required: true },
    messageId: String,
    failureReason: String,
    fromStatus: Boolean,
    at: Date,
  },
  { versionKey: false, collection: 'message_outcomes' },
);
outcomeSchema.index({ tenantId: 1, messageId: 1 });
outcomeSchema.plugin(tenantGuard);

/** One delivery status of one message; a redelivered status webhook has the same `_id` and is dropped. */
interface StatusDoc extends TenantOwned {
  _id: string;
  messageId: string;
  commandId: string;
  status: string;
  at: Date;
  errorCode?: number;
}

const statusSchema = new Schema<StatusDoc>(
  {
    _id: String,
    tenantId: { type: String, required: true },
    messageId: { type: String, required: true },
    commandId: String,
    status: { type: String, required: true },
    at: Date,
    errorCode: Number,
  },
  { versionKey: false, collection: 'message_statuses' },
);
statusSchema.index({ tenantId: 1, messageId: 1 });
statusSchema.plugin(tenantGuard);

export interface NewLogEntry {
  commandId: string;
  channel: string;
  endpointId: string;
  recipient: string;
  content: unknown;
  contactId: string;
  conversationId: string;
  requestedBy: string;
  /** Claimed as already sending (the caller sends right after: one write instead of two), and with which content. */
  sending?: { readonly asTemplate: boolean };
}

export interface LogEntryView {
  commandId: string;
  state: SendState;
  messageId: string | undefined;
  attempts: number;
  sentAsTemplate: boolean;
  failureReason: string | undefined;
  statuses: StatusEntry[];
  contactId: string;
  conversationId: string;
  requestedBy: string;
}

/**
 * The gateway's message log: one entry per outbound command, linking it to
 * the channel's message id and its status timeline. Recipient and content are
 * PHI and sealed; the recipient is looked up by blind index.
 *
 * The hot path only inserts (FerretDB serialises single-document writes at
 * ~2 ms each but inserts a batch at ~0.3 ms a document): the claim, the final
 * outcome and each status are group-committed insert-once documents in three
 * collections. Updates remain for the rare paths (a retry, an unknown outcome).
 */
export class MessageLog extends TenantRepository<MessageLogDoc> {
  private readonly outcomes: TenantStore<OutcomeDoc>;
  private readonly statuses: TenantStore<StatusDoc>;
  private readonly claims: GroupCommittedInserts<MessageLogDoc>;
  private readonly settlements: GroupCommittedInserts<OutcomeDoc>;
  private readonly statusWrites: GroupCommittedInserts<StatusDoc>;

  constructor(
    connection: Connection,
    private readonly cipher: FieldCipher,
  ) {
    super(modelFor<MessageLogDoc>(connection, 'MessageLog', schema));
    this.outcomes = new TenantStore(connection, 'MessageOutcome', outcomeSchema);
    this.statuses = new TenantStore(connection, 'MessageStatus', statusSchema);
    this.claims = new GroupCommittedInserts(this.model);
    this.settlements = new GroupCommittedInserts(this.outcomes.collectionModel);
    this.statusWrites = new GroupCommittedInserts(this.statuses.collectionModel);
  }

  async init(): Promise<void> {
    await Promise.all([ensureCollection(this.model), ensureCollection(this.outcomes.collectionModel), ensureCollection(this.statuses.collectionModel)]);
  }

  /** Creates the entry, or returns the existing one: the caller owns the command only when `created`. */
  async claim(tenantId: string, entry: NewLogEntry, now = new Date()): Promise<{ created: boolean; existing: LogEntryView | null }> {
    this.scope(tenantId, {}, 'claim');
    const field = (name: string) => ({ tenantId, field: `message_log.${name}` });
    // An insert that finds the command's entry already there (E11000) means a redelivery: the caller reads it.
    const created = await this.claims.add({
      _id: key(tenantId, entry.commandId),
      tenantId,
      commandId: entry.commandId,
      channel: entry.channel,
      endpointId: entry.endpointId,
      recipientIndex: this.cipher.blindIndex(entry.recipient, field('recipient')),
      recipientSealed: this.cipher.encrypt(entry.recipient, field('recipient')),
      contentSealed: this.cipher.encrypt(JSON.stringify(entry.content), field('content')),
      contactId: entry.contactId,
      conversationId: entry.conversationId,
      requestedBy: entry.requestedBy,
      state: entry.sending ? 'sending' : 'claimed',
      attempts: entry.sending ? 1 : 0,
      sentAsTemplate: entry.sending?.asTemplate ?? false,
      createdAt: now,
      updatedAt: now,
    });
    if (created) return { created: true, existing: null };
    const existing = await this.get(tenantId, entry.commandId);
    // Refused as existing yet not readable: never treat that as ours to send (the bus retries it).
    if (!existing) throw new Error(`message log entry for command ${entry.commandId} exists but could not be read`);
    return { created: false, existing };
  }

  async get(tenantId: string, commandId: string): Promise<LogEntryView | null> {
    const [doc, outcome] = await Promise.all([this.findOneScoped(tenantId, { _id: key(tenantId, commandId) }), this.outcomes.findOne(tenantId, { _id: key(tenantId, commandId) })]);
    if (!doc) return null;
    const statuses = outcome?.messageId ? await this.statuses.find(tenantId, { messageId: outcome.messageId }, { sort: { at: 1 } }) : [];
    return view(doc, outcome, statuses);
  }

  async markSending(tenantId: string, commandId: string, sentAsTemplate: boolean): Promise<void> {
    await this.updateOneScoped(tenantId, { _id: key(tenantId, commandId) }, { $set: { state: 'sending', sentAsTemplate, updatedAt: new Date() }, $inc: { attempts: 1 } });
  }

  /** Back to claimed after an answer that proves nothing was sent (throttled, refused). */
  async markNotSent(tenantId: string, commandId: string): Promise<void> {
    await this.updateOneScoped(tenantId, { _id: key(tenantId, commandId), state: 'sending' }, { $set: { state: 'claimed', updatedAt: new Date() } });
  }

  /**
   * Settles the command as accepted by the channel. False when it was settled already — by
   * a status webhook that overtook the send's answer, which then published the result.
   */
  async markAccepted(tenantId: string, commandId: string, messageId: string): Promise<boolean> {
    return this.settlements.add({ _id: key(tenantId, commandId), tenantId, commandId, state: 'accepted', messageId, fromStatus: false, at: new Date() });
  }

  /** Settles the command as failed (final), or records its outcome as unknown (a status may still settle it). */
  async markFailed(tenantId: string, commandId: string, reason: string, state: 'failed' | 'unknown' = 'failed'): Promise<void> {
    if (state === 'unknown') {
      await this.updateOneScoped(tenantId, { _id: key(tenantId, commandId) }, { $set: { state, failureReason: reason, updatedAt: new Date() } });
      return;
    }
    await this.settlements.add({ _id: key(tenantId, commandId), tenantId, commandId, state: 'failed', failureReason: reason, fromStatus: false, at: new Date() });
  }

  /**
   * Appends a delivery status. When the status names our command (Meta echoes
   * it) and no outcome was settled yet (the send's answer was lost, or has not
   * been recorded), it settles it as accepted: returns the entry so the caller
   * publishes the result — exactly one of the send and the status does.
   */
  async recordStatus(tenantId: string, messageId: string, commandId: string, entry: StatusEntry): Promise<LogEntryView | null> {
    this.scope(tenantId, {}, 'recordStatus');
    const at = entry.at.getTime();
    await this.statusWrites.add({
      _id: `${tenantId}:${messageId}:${entry.status}:${Number.isFinite(at) ? at : 0}`,
      tenantId,
      messageId,
      commandId,
      status: entry.status,
      at: entry.at,
      ...(entry.errorCode !== undefined ? { errorCode: entry.errorCode } : {}),
    });
    // Any status, even "failed", proves Meta accepted the message: a failed delivery is news about it.
    if (!commandId) return null;
    const settledNow = await this.settlements.add({ _id: key(tenantId, commandId), tenantId, commandId, state: 'accepted', messageId, fromStatus: true, at: new Date() });
    if (!settledNow) return null;
    const doc = await this.findOneScoped(tenantId, { _id: key(tenantId, commandId) });
    if (doc) return view(doc, { state: 'accepted', messageId }, [entry]);
    // Not a command of ours (another system's message on the number): take the settlement back.
    await this.outcomes.delete(tenantId, { _id: key(tenantId, commandId) });
    return null;
  }
}

/** A plain tenant-scoped store for the log's companion collections. */
class TenantStore<TDoc extends TenantOwned> extends TenantRepository<TDoc> {
  constructor(connection: Connection, name: string, schema: Schema<TDoc>) {
    super(modelFor<TDoc>(connection, name, schema));
  }

  get collectionModel(): Model<TDoc> {
    return this.model;
  }

  findOne(tenantId: string, filter: FilterQuery<TDoc>): Promise<TDoc | null> {
    return this.findOneScoped(tenantId, filter);
  }

  find(tenantId: string, filter: FilterQuery<TDoc>, options: { sort?: Record<string, 1 | -1> } = {}): Promise<TDoc[]> {
    return this.findScoped(tenantId, filter, options);
  }

  delete(tenantId: string, filter: FilterQuery<TDoc>): Promise<number> {
    return this.deleteScoped(tenantId, filter);
  }
}

function key(tenantId: string, commandId: string): string {
  return `${tenantId}:${commandId}`;
}

function view(doc: MessageLogDoc, outcome: Pick<OutcomeDoc, 'state' | 'messageId' | 'failureReason'> | null, statuses: readonly StatusEntry[]): LogEntryView {
  return {
    commandId: doc.commandId,
    state: outcome?.state ?? doc.state,
    messageId: outcome?.messageId,
    attempts: doc.attempts,
    sentAsTemplate: doc.sentAsTemplate,
    failureReason: outcome ? outcome.failureReason : doc.failureReason,
    statuses: statuses.map((s) => ({ status: s.status, at: s.at, ...(s.errorCode !== undefined ? { errorCode: s.errorCode } : {}) })),
    contactId: doc.contactId,
    conversationId: doc.conversationId,
    requestedBy: doc.requestedBy,
  };
}
