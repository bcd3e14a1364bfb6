import { Schema, type Connection } from 'mongoose';
import type { BusinessEndpoint, Channel } from '@careloop/contracts';
import { ensureCollection, modelFor, TenantRepository, tenantGuard, type FieldCipher, type TenantOwned } from '@careloop/store';
import type { Language } from '@careloop/i18n';
import type { SkipReason, SurveyStatus } from '../domain/survey';

/**
 * A survey as the skill keeps it. PHI is sealed: the recipient's channel id (a phone number on
 * WhatsApp) until the survey is sent, and the comment. `version` counts changes; `unpublished`
 * marks a change whose SurveyChanged has not been published yet (the outbox: the sweep
 * republishes it if the process died in between).
 */
export interface SurveyDoc extends TenantOwned {
  _id: string;
  subject: 'appointment' | 'conversation';
  appointmentId: string;
  conversationId: string;
  contactId: string;
  facilityId: string;
  facilityName: string;
  facilityTimeZone: string;
  departmentId: string;
  practitionerId: string;
  channel: 'whatsapp' | 'messenger';
  language: Language;
  endpoint: BusinessEndpoint;
  recipientChannel: Channel;
  recipientSealed: string;
  status: SurveyStatus;
  skipReason: SkipReason | '';
  subjectAt: Date;
  dueAt: Date;
  leaseUntil: Date;
  sentAt?: Date;
  rating: number;
  ratedAt?: Date;
  commentSealed?: string;
  commentAt?: Date;
  sentimentScore: number;
  hasComment: boolean;
  version: number;
  unpublished: boolean;
  createdAt: Date;
}

/** Per contact: the latest consent, the last survey (frequency cap), the survey awaiting a comment. */
interface SurveyContactDoc extends TenantOwned {
  _id: string;
  contactId: string;
  consent: 'opted-in' | 'opted-out' | 'pending' | 'unknown';
  consentAt: Date;
  lastSurveyAt: Date;
  lastSurveyId: string;
  awaitingCommentFor: string;
}

const surveySchema = new Schema<SurveyDoc>(
  {
    _id: String,
    tenantId: { type: String, required: true },
    subject: String,
    appointmentId: String,
    conversationId: String,
    contactId: String,
    facilityId: String,
    facilityName: String,
    facilityTimeZone: String,
    departmentId: String,
    practitionerId: String,
    channel: String,
    language: String,
    endpoint: { type: Object },
    recipientChannel: Number,
    recipientSealed: String,
    status: String,
    skipReason: String,
    subjectAt: Date,
    dueAt: Date,
    leaseUntil: Date,
    sentAt: Date,
    rating: Number,
    ratedAt: Date,
    commentSealed: String,
    commentAt: Date,
    sentimentScore: Number,
    hasComment: Boolean,
    version: Number,
    unpublished: Boolean,
    createdAt: Date,
  },
  { versionKey: false, collection: 'surveys', minimize: false },
);
surveySchema.index({ tenantId: 1, status: 1 });
surveySchema.index({ tenantId: 1, unpublished: 1 });
surveySchema.plugin(tenantGuard);

const contactSchema = new Schema<SurveyContactDoc>(
  { _id: String, tenantId: { type: String, required: true }, contactId: String, consent: String, consentAt: Date, lastSurveyAt: Date, lastSurveyId: String, awaitingCommentFor: String },
  { versionKey: false, collection: 'survey_contacts' },
);
contactSchema.plugin(tenantGuard);

const EPOCH = new Date(0);

export type NewSurvey = Omit<SurveyDoc, 'tenantId' | 'status' | 'skipReason' | 'leaseUntil' | 'rating' | 'sentimentScore' | 'hasComment' | 'version' | 'unpublished' | 'createdAt' | 'recipientSealed'> & { recipientId: string };

export class SurveyStore extends TenantRepository<SurveyDoc> {
  constructor(
    connection: Connection,
    private readonly cipher: FieldCipher,
  ) {
    super(modelFor<SurveyDoc>(connection, 'Survey', surveySchema));
  }

  async init(): Promise<void> {
    await ensureCollection(this.model);
  }

  /** Creates the survey once: a second call for the same id (a replayed event) changes nothing. */
  async createOnce(tenantId: string, survey: NewSurvey): Promise<boolean> {
    const { recipientId, ...rest } = survey;
    const r = await this.updateOneScoped(
      tenantId,
      { _id: survey._id },
      {
        $setOnInsert: {
          ...rest,
          recipientSealed: this.cipher.encrypt(recipientId, { tenantId, field: 'surveys.recipient' }),
          status: 'pending',
          skipReason: '',
          leaseUntil: EPOCH,
          rating: 0,
          sentimentScore: 0,
          hasComment: false,
          version: 0,
          unpublished: false,
          createdAt: new Date(),
        },
      },
      true,
    );
    return r.upserted;
  }

  async get(tenantId: string, surveyId: string): Promise<SurveyDoc | null> {
    return this.findOneScoped(tenantId, { _id: surveyId });
  }

  recipientOf(doc: SurveyDoc): string {
    return this.cipher.decrypt(doc.recipientSealed, { tenantId: doc.tenantId, field: 'surveys.recipient' });
  }

  commentOf(doc: SurveyDoc): string | undefined {
    return doc.commentSealed ? this.cipher.decrypt(doc.commentSealed, { tenantId: doc.tenantId, field: 'surveys.comment' }) : undefined;
  }

  async tenantsWithWork(): Promise<string[]> {
    // Operational sweep across tenants: distinct over the tenant field itself.
    const [pending, unpublished] = await Promise.all([
      this.model.distinct('tenantId', { tenantId: { $exists: true }, status: 'pending' }).exec(),
      this.model.distinct('tenantId', { tenantId: { $exists: true }, unpublished: true }).exec(),
    ]);
    return [...new Set([...pending, ...unpublished].map(String))];
  }

  async pending(tenantId: string, limit: number): Promise<SurveyDoc[]> {
    return this.findScoped(tenantId, { status: 'pending' }, { limit });
  }

  async unpublished(tenantId: string, limit: number): Promise<SurveyDoc[]> {
    return this.findScoped(tenantId, { unpublished: true }, { limit });
  }

  /** Takes a pending survey for a while, so two sweeps do not work on it at once. */
  async lease(tenantId: string, surveyId: string, now: Date, forMs: number): Promise<SurveyDoc | null> {
    return this.findOneAndUpdateScoped(tenantId, { _id: surveyId, status: 'pending', leaseUntil: { $lte: now } }, { $set: { leaseUntil: new Date(now.getTime() + forMs) } });
  }

  async postpone(tenantId: string, surveyId: string, dueAt: Date): Promise<void> {
    await this.updateOneScoped(tenantId, { _id: surveyId, status: 'pending' }, { $set: { dueAt, leaseUntil: EPOCH } });
  }

  /** Moves a survey from one status to another (or leaves it if it moved already); returns the new snapshot. */
  async transition(tenantId: string, surveyId: string, from: readonly SurveyStatus[], set: Partial<SurveyDoc>): Promise<SurveyDoc | null> {
    for (const status of from) {
      const doc = await this.findOneAndUpdateScoped(tenantId, { _id: surveyId, status }, { $set: { ...set, unpublished: true }, $inc: { version: 1 } });
      if (doc) return doc;
    }
    return null;
  }

  sealComment(tenantId: string, comment: string): string {
    return this.cipher.encrypt(comment, { tenantId, field: 'surveys.comment' });
  }

  async markPublished(tenantId: string, surveyId: string, version: number): Promise<void> {
    await this.updateOneScoped(tenantId, { _id: surveyId, version }, { $set: { unpublished: false } });
  }

  /** Commented surveys with their sealed comments (only for callers allowed to read them). */
  async withComments(tenantId: string, filter: { facilityId?: string }, limit: number): Promise<SurveyDoc[]> {
    return this.findScoped(tenantId, { status: 'commented', hasComment: true, ...(filter.facilityId ? { facilityId: filter.facilityId } : {}) }, { limit, sort: { commentAt: -1 } });
  }
}

export class SurveyContacts extends TenantRepository<SurveyContactDoc> {
  constructor(connection: Connection) {
    super(modelFor<SurveyContactDoc>(connection, 'SurveyContact', contactSchema));
  }

  async init(): Promise<void> {
    await ensureCollection(this.model);
  }

  private id(tenantId: string, contactId: string): string {
    return `${tenantId}/${contactId}`;
  }

  private async ensure(tenantId: string, contactId: string): Promise<void> {
    await this.updateOneScoped(
      tenantId,
      { _id: this.id(tenantId, contactId) },
      { $setOnInsert: { contactId, consent: 'unknown', consentAt: EPOCH, lastSurveyAt: EPOCH, lastSurveyId: '', awaitingCommentFor: '' } },
      true,
    );
  }

  /** Keeps the latest consent by its time: an older ConsentChanged arriving late changes nothing. */
  async recordConsent(tenantId: string, contactId: string, consent: SurveyContactDoc['consent'], at: Date): Promise<void> {
    await this.ensure(tenantId, contactId);
    await this.updateOneScoped(tenantId, { _id: this.id(tenantId, contactId), consentAt: { $lte: at } }, { $set: { consent, consentAt: at } });
  }

  async consentOf(tenantId: string, contactId: string): Promise<SurveyContactDoc['consent']> {
    return (await this.findOneScoped(tenantId, { _id: this.id(tenantId, contactId) }))?.consent ?? 'unknown';
  }

  /**
   * Takes the contact's survey slot for this survey if the last survey is older than the cap
   * (or is this very survey: a retried send). False: the cap holds.
   */
  async claimSlot(tenantId: string, contactId: string, surveyId: string, now: Date, capMs: number): Promise<boolean> {
    await this.ensure(tenantId, contactId);
    const _id = this.id(tenantId, contactId);
    if ((await this.countScoped(tenantId, { _id, lastSurveyId: surveyId })) > 0) return true;
    const r = await this.updateOneScoped(tenantId, { _id, lastSurveyAt: { $lte: new Date(now.getTime() - capMs) } }, { $set: { lastSurveyAt: now, lastSurveyId: surveyId } });
    return r.matched > 0;
  }

  async awaitComment(tenantId: string, contactId: string, surveyId: string): Promise<void> {
    await this.ensure(tenantId, contactId);
    await this.updateOneScoped(tenantId, { _id: this.id(tenantId, contactId) }, { $set: { awaitingCommentFor: surveyId } });
  }

  async awaitingComment(tenantId: string, contactId: string): Promise<string | undefined> {
    const doc = await this.findOneScoped(tenantId, { _id: this.id(tenantId, contactId) });
    return doc?.awaitingCommentFor || undefined;
  }

  async stopAwaiting(tenantId: string, contactId: string, surveyId: string): Promise<void> {
    await this.updateOneScoped(tenantId, { _id: this.id(tenantId, contactId), awaitingCommentFor: surveyId }, { $set: { awaitingCommentFor: '' } });
  }
}
