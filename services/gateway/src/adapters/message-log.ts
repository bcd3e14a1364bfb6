import { Schema, type Connection } from 'mongoose';
import { duplicateKeyIndexes, ensureCollection, GroupCommitWithResults, modelFor, TenantRepository, tenantGuard, type FieldCipher, type TenantOwned } from '@careloop/store';

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
  state: SendState;
  attempts: number;
  messageId?: string;
  sentAsTemplate: boolean;
  failureReason?: string;
  statuses: StatusEntry[];
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
    messageId: String,
    sentAsTemplate: Boolean,
    failureReason: String,
    statuses: [{ _id: false, status: String, at: Date, errorCode: Number }],
    createdAt: Date,
    updatedAt: Date,
  },
  { versionKey: false, collection: 'message_log' },
);
schema.index({ tenantId: 1, messageId: 1 });
schema.index({ tenantId: 1, recipientIndex: 1, createdAt: -1 });
schema.plugin(tenantGuard);

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
 */
export class MessageLog extends TenantRepository<MessageLogDoc> {
  constructor(
    connection: Connection,
    private readonly cipher: FieldCipher,
  ) {
    super(modelFor<MessageLogDoc>(connection, 'MessageLog', schema));
  }

  async init(): Promise<void> {
    await ensureCollection(this.model);
  }

  // Claims of commands sent at about the same time share one unordered insert (group commit):
  // FerretDB writes one document in ~2 ms but a batch in ~0.3 ms a document. An insert that
  // finds the command's entry already there (E11000) means a redelivery: the caller reads it.
  private readonly claims = new GroupCommitWithResults<MessageLogDoc, boolean>(async (docs) => {
    try {
      // lean: the documents are complete and typed here; hydrating each one is CPU on the send path.
      await this.model.insertMany(docs, { ordered: false, lean: true });
      return docs.map(() => true);
    } catch (error) {
      const existing = duplicateKeyIndexes(error);
      if (!existing) throw error;
      return docs.map((_, i) => !existing.has(i));
    }
  });

  /** Creates the entry, or returns the existing one: the caller owns the command only when `created`. */
  async claim(tenantId: string, entry: NewLogEntry, now = new Date()): Promise<{ created: boolean; existing: LogEntryView | null }> {
    const field = (name: string) => ({ tenantId, field: `message_log.${name}` });
    const created = await this.claims.add({
      _id: `${tenantId}:${entry.commandId}`,
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
      statuses: [],
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
    const doc = await this.findOneScoped(tenantId, { _id: `${tenantId}:${commandId}` });
    return doc ? view(doc) : null;
  }

  async markSending(tenantId: string, commandId: string, sentAsTemplate: boolean): Promise<void> {
    await this.updateOneScoped(tenantId, { _id: `${tenantId}:${commandId}` }, { $set: { state: 'sending', sentAsTemplate, updatedAt: new Date() }, $inc: { attempts: 1 } });
  }

  /** Back to claimed after an answer that proves nothing was sent (throttled, refused). */
  async markNotSent(tenantId: string, commandId: string): Promise<void> {
    await this.updateOneScoped(tenantId, { _id: `${tenantId}:${commandId}`, state: 'sending' }, { $set: { state: 'claimed', updatedAt: new Date() } });
  }

  async markAccepted(tenantId: string, commandId: string, messageId: string): Promise<void> {
    await this.updateOneScoped(tenantId, { _id: `${tenantId}:${commandId}` }, { $set: { state: 'accepted', messageId, updatedAt: new Date() } });
  }

  async markFailed(tenantId: string, commandId: string, reason: string, state: 'failed' | 'unknown' = 'failed'): Promise<void> {
    await this.updateOneScoped(tenantId, { _id: `${tenantId}:${commandId}` }, { $set: { state, failureReason: reason, updatedAt: new Date() } });
  }

  /**
   * Appends a delivery status. When the status names our command (Meta echoes
   * it) and the send's outcome was unknown, it settles it: returns the entry
   * that was reconciled so the caller can publish the late result.
   */
  async recordStatus(tenantId: string, messageId: string, commandId: string, entry: StatusEntry): Promise<LogEntryView | null> {
    if (commandId) {
      const reconciled = await this.findOneAndUpdateScoped(
        tenantId,
        { _id: `${tenantId}:${commandId}`, state: { $in: ['sending', 'unknown'] } },
        { $set: { state: 'accepted', messageId, updatedAt: new Date() }, $push: { statuses: entry } },
      );
      if (reconciled) return view(reconciled);
    }
    await this.updateOneScoped(tenantId, { messageId }, { $push: { statuses: entry }, $set: { updatedAt: new Date() } });
    return null;
  }
}

function view(doc: MessageLogDoc): LogEntryView {
  return {
    commandId: doc.commandId,
    state: doc.state,
    messageId: doc.messageId,
    attempts: doc.attempts,
    sentAsTemplate: doc.sentAsTemplate,
    failureReason: doc.failureReason,
    statuses: doc.statuses,
    contactId: doc.contactId,
    conversationId: doc.conversationId,
    requestedBy: doc.requestedBy,
  };
}
