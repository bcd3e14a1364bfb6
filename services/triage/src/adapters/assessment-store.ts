import { Schema, type Connection } from 'mongoose';
import { ensureCollection, modelFor, TenantRepository, tenantGuard, type FieldCipher, type TenantOwned } from '@careloop/store';
import type { Acuity, Department } from '../domain/acuity';
import type { AnswerValue } from '../domain/protocol';

export type AssessmentStatus = 'open' | 'completed' | 'escalated' | 'abandoned';

/** What the assessment waits for: the description, a complaint from the list, or a question's answer. */
export type Pending = { readonly kind: 'describe' } | { readonly kind: 'pick' } | { readonly kind: 'question'; readonly questionId: string } | { readonly kind: 'none' };

/** One symptom assessment of a conversation, answers decrypted. */
export interface Assessment {
  readonly id: string;
  readonly contactId: string;
  readonly conversationId: string;
  readonly facilityId: string;
  readonly patientIds: readonly string[];
  readonly language: string;
  readonly status: AssessmentStatus;
  readonly protocolId: string | undefined;
  readonly protocolVersion: string | undefined;
  readonly redFlagVersion: string;
  readonly pending: Pending;
  /** The last turn's answer did not fit the question: say so before asking again. */
  readonly notice: 'number' | 'buttons' | undefined;
  readonly answers: Readonly<Record<string, AnswerValue>>;
  readonly redFlags: readonly string[];
  readonly crisisLine: boolean;
  readonly acuity: Acuity | undefined;
  readonly department: Department | undefined;
  /** The turn that last changed it (a redelivered turn re-sends the same answer), and the one that decided it. */
  readonly lastTurnId: string;
  readonly decidedTurnId: string | undefined;
  readonly createdAt: Date;
  readonly decidedAt: Date | undefined;
}

interface AssessmentDoc extends TenantOwned {
  _id: string;
  contactId: string;
  conversationId: string;
  facilityId: string;
  patientIds: string[];
  language: string;
  status: AssessmentStatus;
  protocolId?: string;
  protocolVersion?: string;
  redFlagVersion: string;
  pending: Pending;
  notice?: string;
  /** Sealed JSON of the answers, free text included (PHI). */
  answersSealed: string;
  redFlags: string[];
  crisisLine: boolean;
  acuity?: string;
  department?: string;
  lastTurnId: string;
  decidedTurnId?: string;
  createdAt: Date;
  decidedAt?: Date;
  updatedAt: Date;
}

const schema = new Schema<AssessmentDoc>(
  {
    _id: String,
    tenantId: { type: String, required: true },
    contactId: String,
    conversationId: String,
    facilityId: String,
    patientIds: [String],
    language: String,
    status: String,
    protocolId: String,
    protocolVersion: String,
    redFlagVersion: String,
    pending: Schema.Types.Mixed,
    notice: String,
    answersSealed: String,
    redFlags: [String],
    crisisLine: Boolean,
    acuity: String,
    department: String,
    lastTurnId: String,
    decidedTurnId: String,
    createdAt: Date,
    decidedAt: Date,
    updatedAt: Date,
  },
  { versionKey: false, collection: 'assessments' },
);
// The open assessment of a conversation is found by equality on these (FerretDB pushes equality down).
schema.index({ tenantId: 1, conversationId: 1, status: 1 });
schema.plugin(tenantGuard);

const ANSWERS_FIELD = 'assessments.answers';

/** Assessments with their answers sealed (FieldCipher): the answers are the patient's symptoms. */
export class AssessmentStore extends TenantRepository<AssessmentDoc> {
  constructor(
    connection: Connection,
    private readonly cipher: FieldCipher,
  ) {
    super(modelFor<AssessmentDoc>(connection, 'Assessment', schema));
  }

  async init(): Promise<void> {
    await ensureCollection(this.model);
  }

  async get(tenantId: string, id: string): Promise<Assessment | undefined> {
    const doc = await this.findOneScoped(tenantId, { _id: id });
    return doc ? this.open(tenantId, doc) : undefined;
  }

  /** The conversation's assessment in progress, if any. */
  async current(tenantId: string, conversationId: string): Promise<Assessment | undefined> {
    const doc = await this.findOneScoped(tenantId, { conversationId, status: 'open' });
    return doc ? this.open(tenantId, doc) : undefined;
  }

  /** The conversation's latest emergency decided since `since`, if any. */
  async recentEscalation(tenantId: string, conversationId: string, since: Date): Promise<Assessment | undefined> {
    const docs = await this.findScoped(tenantId, { conversationId, status: 'escalated' }, { sort: { decidedAt: -1 }, limit: 1 });
    const doc = docs[0];
    return doc && (doc.decidedAt ?? doc.createdAt) >= since ? this.open(tenantId, doc) : undefined;
  }

  /** Writes the whole assessment (one document: a single atomic write). */
  async save(tenantId: string, a: Assessment): Promise<void> {
    const doc: Omit<AssessmentDoc, 'tenantId' | '_id'> = {
      contactId: a.contactId,
      conversationId: a.conversationId,
      facilityId: a.facilityId,
      patientIds: [...a.patientIds],
      language: a.language,
      status: a.status,
      redFlagVersion: a.redFlagVersion,
      pending: a.pending,
      answersSealed: this.cipher.encrypt(JSON.stringify(a.answers), { tenantId, field: ANSWERS_FIELD }),
      redFlags: [...a.redFlags],
      crisisLine: a.crisisLine,
      lastTurnId: a.lastTurnId,
      createdAt: a.createdAt,
      updatedAt: new Date(),
      ...(a.protocolId ? { protocolId: a.protocolId, protocolVersion: a.protocolVersion ?? '' } : {}),
      ...(a.notice ? { notice: a.notice } : {}),
      ...(a.acuity ? { acuity: a.acuity } : {}),
      ...(a.department ? { department: a.department } : {}),
      ...(a.decidedTurnId ? { decidedTurnId: a.decidedTurnId } : {}),
      ...(a.decidedAt ? { decidedAt: a.decidedAt } : {}),
    };
    const unset = Object.fromEntries((['protocolId', 'protocolVersion', 'notice', 'acuity', 'department', 'decidedTurnId', 'decidedAt'] as const).filter((k) => !(k in doc)).map((k) => [k, 1]));
    await this.updateOneScoped(tenantId, { _id: a.id }, { $set: doc, ...(Object.keys(unset).length ? { $unset: unset } : {}) }, true);
  }

  private open(tenantId: string, doc: AssessmentDoc): Assessment {
    const answers = JSON.parse(this.cipher.decrypt(doc.answersSealed, { tenantId, field: ANSWERS_FIELD })) as Record<string, AnswerValue>;
    return {
      id: doc._id,
      contactId: doc.contactId,
      conversationId: doc.conversationId,
      facilityId: doc.facilityId,
      patientIds: doc.patientIds,
      language: doc.language,
      status: doc.status,
      protocolId: doc.protocolId,
      protocolVersion: doc.protocolVersion,
      redFlagVersion: doc.redFlagVersion,
      pending: doc.pending,
      notice: doc.notice === 'number' || doc.notice === 'buttons' ? doc.notice : undefined,
      answers,
      redFlags: doc.redFlags,
      crisisLine: doc.crisisLine,
      acuity: doc.acuity as Acuity | undefined,
      department: doc.department as Department | undefined,
      lastTurnId: doc.lastTurnId,
      decidedTurnId: doc.decidedTurnId,
      createdAt: doc.createdAt,
      decidedAt: doc.decidedAt,
    };
  }
}
