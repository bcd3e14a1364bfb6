import { randomUUID } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import { ensureCollection, GroupCommittedInserts, modelFor, TenantRepository, tenantGuard, type FieldCipher, type TenantOwned } from '@careloop/store';
import { FIRST_RESPONSE_SLA_SECONDS, type Conversation, type ConversationStatus } from '../domain/conversation';
import type { SkillName } from '../domain/skills';

interface ConversationDoc extends TenantOwned {
  _id: string;
  contactId: string;
  facilityId: string;
  channel: string;
  endpointId: string;
  recipientId: string; // sealed
  status: ConversationStatus;
  ownerSkill?: string;
  queue?: string;
  department?: string;
  priority: number;
  agentId?: string;
  openedAt: Date;
  lastInboundAt?: Date;
  queuedAt?: Date;
  firstResponseAt?: Date;
  slaDueAt?: Date;
  slaEscalatedAt?: Date;
  closedAt?: Date;
  notUnderstood: number;
}

export type Direction = 'in' | 'out' | 'note';

interface MessageDoc extends TenantOwned {
  _id: string;
  conversationId: string;
  direction: Direction;
  content: string; // sealed JSON
  author: string;
  at: Date;
  status?: string;
}

const conversationSchema = new Schema<ConversationDoc>(
  {
    _id: String,
    tenantId: { type: String, required: true },
    contactId: { type: String, required: true },
    facilityId: String,
    channel: String,
    endpointId: String,
    recipientId: String,
    status: { type: String, required: true },
    ownerSkill: String,
    queue: String,
    department: String,
    priority: { type: Number, default: 0 },
    agentId: String,
    openedAt: Date,
    lastInboundAt: Date,
    queuedAt: Date,
    firstResponseAt: Date,
    slaDueAt: Date,
    slaEscalatedAt: Date,
    closedAt: Date,
    notUnderstood: { type: Number, default: 0 },
  },
  { versionKey: false, collection: 'conversations' },
);
conversationSchema.index({ tenantId: 1, contactId: 1, status: 1 });
conversationSchema.index({ tenantId: 1, status: 1, queue: 1, priority: -1, queuedAt: 1 });
conversationSchema.index({ tenantId: 1, slaDueAt: 1 });
conversationSchema.plugin(tenantGuard);

const messageSchema = new Schema<MessageDoc>(
  {
    _id: String,
    tenantId: { type: String, required: true },
    conversationId: { type: String, required: true },
    direction: String,
    content: String,
    author: String,
    at: Date,
    status: String,
  },
  { versionKey: false, collection: 'messages' },
);
messageSchema.index({ tenantId: 1, conversationId: 1, at: 1 });
messageSchema.plugin(tenantGuard);

export interface HistoryEntry {
  readonly id: string;
  readonly direction: Direction;
  readonly content: unknown;
  readonly author: string;
  readonly at: Date;
  readonly status: string | undefined;
}

class MessageHistory extends TenantRepository<MessageDoc> {
  constructor(
    model: Model<MessageDoc>,
    private readonly cipher: FieldCipher,
  ) {
    super(model);
  }
  get rawModel(): Model<MessageDoc> {
    return this.model;
  }
  // Messages recorded at about the same time (many contacts' turns in parallel) share one unordered
  // insert: FerretDB inserts a batch at ~0.3 ms a document but applies each upsert on its own (~2 ms).
  private readonly inserts = new GroupCommittedInserts<MessageDoc>(this.model);

  /** Idempotent: the same message id is recorded once (true when this call recorded it). */
  async record(tenantId: string, entry: { id: string; conversationId: string; direction: Direction; content: unknown; author: string; at: Date }): Promise<boolean> {
    this.scope(tenantId, {}, 'record');
    return this.inserts.add({
      _id: `${tenantId}:${entry.id}`,
      tenantId,
      conversationId: entry.conversationId,
      direction: entry.direction,
      content: this.cipher.encrypt(JSON.stringify(entry.content), { tenantId, field: 'messages.content' }),
      author: entry.author,
      at: entry.at,
    });
  }
  /** Replaces what a recorded message says (a one-time code the patient typed): agents never read it. */
  async redact(tenantId: string, id: string, content: unknown): Promise<void> {
    await this.updateOneScoped(tenantId, { _id: `${tenantId}:${id}` }, { $set: { content: this.cipher.encrypt(JSON.stringify(content), { tenantId, field: 'messages.content' }) } });
  }
  async list(tenantId: string, conversationId: string, limit: number): Promise<HistoryEntry[]> {
    const docs = await this.findScoped(tenantId, { conversationId }, { sort: { at: 1 }, limit });
    return docs.map((d) => ({
      id: d._id.slice(tenantId.length + 1),
      direction: d.direction,
      content: JSON.parse(this.cipher.decrypt(d.content, { tenantId, field: 'messages.content' })) as unknown,
      author: d.author,
      at: d.at,
      status: d.status,
    }));
  }
}

/**
 * Conversations and their message history. One open conversation per contact
 * and business endpoint; state changes are single-document atomic updates.
 */
export class ConversationStore extends TenantRepository<ConversationDoc> {
  readonly history: MessageHistory;

  constructor(
    connection: Connection,
    private readonly cipher: FieldCipher,
  ) {
    super(modelFor<ConversationDoc>(connection, 'Conversation', conversationSchema));
    this.history = new MessageHistory(modelFor<MessageDoc>(connection, 'Message', messageSchema), cipher);
  }

  async init(): Promise<void> {
    await Promise.all([ensureCollection(this.model), ensureCollection(this.history.rawModel)]);
  }

  async openFor(tenantId: string, contactIds: readonly string[], endpointId: string): Promise<Conversation | null> {
    // The newest open one of each contact id (a merged contact has several), then the newest of those.
    const docs = await this.findEachScoped(tenantId, 'contactId', contactIds, { endpointId, status: { $ne: 'closed' } }, { sort: { openedAt: -1 }, limit: 1 });
    const newest = docs.reduce<ConversationDoc | undefined>((a, b) => (a && a.openedAt.getTime() >= b.openedAt.getTime() ? a : b), undefined);
    return newest ? this.view(newest) : null;
  }

  // Conversations opened at about the same time (new contacts' first turns) share one unordered insert.
  private readonly openings = new GroupCommittedInserts<ConversationDoc>(this.model);

  async open(tenantId: string, init: { contactId: string; facilityId: string; channel: string; endpointId: string; recipientId: string; at: Date }): Promise<Conversation> {
    this.scope(tenantId, {}, 'open');
    const doc: ConversationDoc = {
      _id: randomUUID(),
      tenantId,
      contactId: init.contactId,
      facilityId: init.facilityId,
      channel: init.channel,
      endpointId: init.endpointId,
      recipientId: this.cipher.encrypt(init.recipientId, { tenantId, field: 'conversations.recipientId' }),
      status: 'bot',
      priority: 0,
      openedAt: init.at,
      notUnderstood: 0,
    };
    if (!(await this.openings.add(doc))) throw new Error('a new conversation id exists already');
    return this.view(doc);
  }

  async get(tenantId: string, id: string): Promise<Conversation | null> {
    const doc = await this.findOneScoped(tenantId, { _id: id });
    return doc ? this.view(doc) : null;
  }

  async list(tenantId: string, filter: { status?: ConversationStatus[]; queues?: string[]; agentId?: string }, limit = 100): Promise<Conversation[]> {
    const q: Record<string, unknown> = {};
    if (filter.status) q['status'] = { $in: filter.status };
    if (filter.queues) q['queue'] = { $in: filter.queues };
    if (filter.agentId) q['agentId'] = filter.agentId;
    const docs = await this.findScoped(tenantId, q, { sort: { priority: -1, queuedAt: 1 }, limit });
    return docs.map((d) => this.view(d));
  }

  async touchInbound(tenantId: string, id: string, at: Date): Promise<void> {
    await this.updateOneScoped(tenantId, { _id: id }, { $set: { lastInboundAt: at } });
  }

  async setOwner(tenantId: string, id: string, owner: SkillName | undefined): Promise<void> {
    await this.updateOneScoped(tenantId, { _id: id }, owner ? { $set: { ownerSkill: owner } } : { $unset: { ownerSkill: '' } });
  }

  async notUnderstood(tenantId: string, id: string, reset = false): Promise<number> {
    const doc = await this.findOneAndUpdateScoped(tenantId, { _id: id }, reset ? { $set: { notUnderstood: 0 } } : { $inc: { notUnderstood: 1 } });
    return doc?.notUnderstood ?? 0;
  }

  /** Queues for a human; a higher priority than the current one wins. */
  async enqueue(tenantId: string, id: string, queue: string, department: string, priority: number, at: Date): Promise<Conversation | null> {
    const slaDueAt = new Date(at.getTime() + (FIRST_RESPONSE_SLA_SECONDS[priority] ?? 300) * 1000);
    const doc = await this.findOneAndUpdateScoped(
      tenantId,
      { _id: id, status: { $in: ['bot', 'queued'] } },
      { $set: { status: 'queued', queue, department, priority, queuedAt: at, slaDueAt }, $unset: { ownerSkill: '', slaEscalatedAt: '' } },
    );
    return doc ? this.view(doc) : null;
  }

  async assign(tenantId: string, id: string, agentId: string): Promise<Conversation | null> {
    const doc = await this.findOneAndUpdateScoped(tenantId, { _id: id, status: { $in: ['queued', 'with_agent'] } }, { $set: { status: 'with_agent', agentId } });
    return doc ? this.view(doc) : null;
  }

  /** Automatic assignment: only a conversation still waiting in the queue (an agent may have taken it). */
  async assignIfQueued(tenantId: string, id: string, agentId: string): Promise<Conversation | null> {
    const doc = await this.findOneAndUpdateScoped(tenantId, { _id: id, status: 'queued' }, { $set: { status: 'with_agent', agentId } });
    return doc ? this.view(doc) : null;
  }

  async transfer(tenantId: string, id: string, queue: string): Promise<Conversation | null> {
    const doc = await this.findOneAndUpdateScoped(tenantId, { _id: id, status: { $in: ['queued', 'with_agent'] } }, { $set: { status: 'queued', queue }, $unset: { agentId: '' } });
    return doc ? this.view(doc) : null;
  }

  /** The first human answer stops the SLA clock (only the first counts). */
  async markFirstResponse(tenantId: string, id: string, at: Date): Promise<void> {
    await this.updateOneScoped(tenantId, { _id: id, firstResponseAt: { $exists: false } }, { $set: { firstResponseAt: at } });
  }

  async close(tenantId: string, id: string, at: Date): Promise<Conversation | null> {
    const doc = await this.findOneAndUpdateScoped(tenantId, { _id: id, status: { $ne: 'closed' } }, { $set: { status: 'closed', closedAt: at }, $unset: { ownerSkill: '' } });
    return doc ? this.view(doc) : null;
  }

  /** Queued conversations past their first-response target, each claimed once (safe across replicas). */
  async claimSlaBreaches(tenantId: string, now: Date, limit = 50): Promise<Conversation[]> {
    const due = await this.findScoped(tenantId, { status: 'queued', slaDueAt: { $lte: now }, slaEscalatedAt: { $exists: false } }, { limit });
    const claimed: Conversation[] = [];
    for (const d of due) {
      const doc = await this.findOneAndUpdateScoped(tenantId, { _id: d._id, slaEscalatedAt: { $exists: false } }, { $set: { slaEscalatedAt: now }, $max: { priority: 2 } });
      if (doc) claimed.push(this.view(doc));
    }
    return claimed;
  }

  async tenantsWithQueues(): Promise<string[]> {
    // Operational sweep across tenants: distinct over the tenant field itself.
    return (await this.model.distinct('tenantId', { tenantId: { $exists: true }, status: 'queued' }).exec()).map(String);
  }

  private view(doc: ConversationDoc): Conversation {
    return {
      id: doc._id,
      tenantId: doc.tenantId,
      contactId: doc.contactId,
      facilityId: doc.facilityId,
      channel: doc.channel,
      endpointId: doc.endpointId,
      recipientId: this.cipher.decrypt(doc.recipientId, { tenantId: doc.tenantId, field: 'conversations.recipientId' }),
      status: doc.status,
      ownerSkill: doc.ownerSkill as SkillName | undefined,
      queue: doc.queue,
      department: doc.department,
      priority: doc.priority,
      agentId: doc.agentId,
      openedAt: doc.openedAt,
      lastInboundAt: doc.lastInboundAt,
      queuedAt: doc.queuedAt,
      firstResponseAt: doc.firstResponseAt,
      slaDueAt: doc.slaDueAt,
      notUnderstood: doc.notUnderstood,
    };
  }
}
