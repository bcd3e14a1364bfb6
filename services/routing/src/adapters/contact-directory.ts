import { randomUUID } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import { Channel, type ChannelIdentity } from '@careloop/contracts';
import { ensureCollection, GroupCommittedInserts, modelFor, TenantRepository, tenantGuard, type FieldCipher, type TenantOwned } from '@careloop/store';
import type { ConsentStatus } from '../domain/conversation';

/**
 * Who is speaking. A contact has one or more channel identities (WhatsApp
 * wa_id, WhatsApp business-scoped user id, Messenger PSID), verified phones,
 * and may speak for several patients. Every identifier is PHI: sealed in the
 * contact, and looked up through blind indexes in `contact_keys`, whose
 * unique `_id` makes "first message creates the contact" atomic.
 */

export interface Contact {
  readonly id: string;
  readonly tenantId: string;
  readonly profileName: string;
  readonly language: string | undefined;
  readonly languageSource: string | undefined;
  readonly consent: ConsentStatus;
  readonly consentWordingVersion: string | undefined;
  readonly patientIds: readonly string[];
  readonly identities: readonly { channel: string; channelUserId: string }[];
  readonly verifiedPhones: readonly string[];
  readonly mergedFrom: readonly string[];
}

interface IdentityDoc {
  channel: string;
  channelUserId: string; // sealed
}

interface ContactDoc extends TenantOwned {
  _id: string;
  profileName: string; // sealed
  language?: string;
  languageSource?: string;
  consent: ConsentStatus;
  consentWordingVersion?: string;
  patientIds: string[];
  identities: IdentityDoc[];
  phones: string[]; // sealed, verified
  mergedInto?: string;
  mergedFrom: string[];
  /** Blind index of the normalised profile name: weak evidence, for merge suggestions only. */
  nameIndex?: string;
  createdAt: Date;
  updatedAt: Date;
}

interface KeyDoc extends TenantOwned {
  _id: string;
  contactId: string;
}

const contactSchema = new Schema<ContactDoc>(
  {
    _id: String,
    tenantId: { type: String, required: true },
    profileName: String,
    language: String,
    languageSource: String,
    consent: { type: String, required: true },
    consentWordingVersion: String,
    patientIds: [String],
    identities: [{ _id: false, channel: String, channelUserId: String }],
    phones: [String],
    mergedInto: String,
    mergedFrom: [String],
    nameIndex: String,
    createdAt: Date,
    updatedAt: Date,
  },
  { versionKey: false, collection: 'contacts' },
);
contactSchema.index({ tenantId: 1, nameIndex: 1 });
contactSchema.plugin(tenantGuard);

const keySchema = new Schema<KeyDoc>({ _id: String, tenantId: { type: String, required: true }, contactId: { type: String, required: true } }, { versionKey: false, collection: 'contact_keys' });
keySchema.plugin(tenantGuard);

const CHANNEL_NAMES: Partial<Record<Channel, string>> = { [Channel.CHANNEL_WHATSAPP]: 'whatsapp', [Channel.CHANNEL_MESSENGER]: 'messenger', [Channel.CHANNEL_SMS]: 'sms' };

export function channelName(channel: Channel | undefined): string {
  return (channel !== undefined && CHANNEL_NAMES[channel]) || 'unknown';
}

class KeyRepository extends TenantRepository<KeyDoc> {
  // Public on purpose: the base constructor is protected.
  // eslint-disable-next-line @typescript-eslint/no-useless-constructor
  constructor(model: Model<KeyDoc>) {
    super(model);
  }
  get rawModel(): Model<KeyDoc> {
    return this.model;
  }
  find(tenantId: string, ids: string[]): Promise<KeyDoc[]> {
    return this.findEachScoped(tenantId, '_id', ids);
  }
  // Keys claimed at about the same time (new contacts' first turns in parallel) share one unordered
  // insert: FerretDB inserts a batch at ~0.3 ms a document but applies each upsert on its own (~2 ms).
  private readonly inserts = new GroupCommittedInserts<KeyDoc>(this.model);

  async claim(tenantId: string, id: string, contactId: string): Promise<string> {
    this.scope(tenantId, {}, 'claim');
    // Insert-or-read: whoever inserted first owns the key.
    if (await this.inserts.add({ _id: id, tenantId, contactId })) return contactId;
    const owner = await this.findOneScoped(tenantId, { _id: id });
    // Refused as existing yet not readable: never guess an owner (the caller's turn is retried).
    if (!owner) throw new Error('contact key exists but could not be read');
    return owner.contactId;
  }
  repoint(tenantId: string, ids: string[], contactId: string): Promise<{ matched: number }> {
    return this.model.updateMany(this.scope(tenantId, { _id: { $in: ids } }), { $set: { contactId } }).exec().then((r) => ({ matched: r.matchedCount }));
  }
}

export class ContactDirectory extends TenantRepository<ContactDoc> {
  private readonly keys: KeyRepository;

  constructor(
    connection: Connection,
    private readonly cipher: FieldCipher,
  ) {
    super(modelFor<ContactDoc>(connection, 'Contact', contactSchema));
    this.keys = new KeyRepository(modelFor<KeyDoc>(connection, 'ContactKey', keySchema));
  }

  async init(): Promise<void> {
    await Promise.all([ensureCollection(this.model), ensureCollection(this.keys.rawModel)]);
  }

  /** Blind-index keys of an identity: the channel id, the business-scoped id, the verified phone. */
  private identityKeys(tenantId: string, identity: ChannelIdentity): string[] {
    const channel = channelName(identity.channel);
    const idx = (kind: string, value: string) => `${tenantId}:${kind}:${this.cipher.blindIndex(value, { tenantId, field: `contact_keys.${kind}` })}`;
    const keys = [idx(`${channel}-user`, identity.channelUserId)];
    if (identity.businessScopedUserId && identity.businessScopedUserId !== identity.channelUserId) keys.push(idx(`${channel}-bsuid`, identity.businessScopedUserId));
    // WhatsApp phone numbers are verified by WhatsApp itself.
    if (identity.phoneE164 && identity.channel === Channel.CHANNEL_WHATSAPP) keys.push(this.phoneKey(tenantId, identity.phoneE164));
    return keys;
  }

  private phoneKey(tenantId: string, phoneE164: string): string {
    return `${tenantId}:phone:${this.cipher.blindIndex(phoneE164, { tenantId, field: 'contact_keys.phone' })}`;
  }

  /**
   * The contact behind a channel identity, created on first contact. A new
   * identity whose verified phone is already a contact's verified phone joins
   * that contact: the same person on another channel (certain evidence).
   */
  // New contacts of turns handled at about the same time share one unordered insert (group commit).
  private readonly creations = new GroupCommittedInserts<ContactDoc>(this.model);

  /**
   * The contact of an identity, created when new. `initial`: what a new contact starts with (the
   * language detected from its first message), asked only on creation, so that its first turn
   * needs no update for it.
   */
  async resolve(tenantId: string, identity: ChannelIdentity, initial: () => { language?: string; languageSource?: string } = () => ({})): Promise<{ contact: Contact; created: boolean }> {
    if (!identity.channelUserId) throw new Error('identity without channel user id');
    const keys = this.identityKeys(tenantId, identity);
    const known = await this.keys.find(tenantId, keys);
    let contactId = known[0]?.contactId;
    let created = false;
    const mapped = new Set(known.map((k) => k._id));
    let fresh: ContactDoc | undefined;
    if (!contactId) {
      const candidate = randomUUID();
      contactId = await this.keys.claim(tenantId, keys[0] ?? '', candidate);
      // Mapped now, to us or to whoever claimed it first.
      mapped.add(keys[0] ?? '');
      if (contactId === candidate) {
        created = true;
        const now = new Date();
        const start = initial();
        const doc: ContactDoc = {
          _id: candidate,
          tenantId,
          profileName: this.seal(tenantId, 'profileName', identity.profileName),
          ...(start.language ? { language: start.language, ...(start.languageSource ? { languageSource: start.languageSource } : {}) } : {}),
          consent: 'unknown',
          patientIds: [],
          identities: [{ channel: channelName(identity.channel), channelUserId: this.seal(tenantId, 'channelUserId', identity.channelUserId) }],
          phones: identity.phoneE164 && identity.channel === Channel.CHANNEL_WHATSAPP ? [this.seal(tenantId, 'phone', identity.phoneE164)] : [],
          mergedFrom: [],
          ...(identity.profileName ? { nameIndex: this.nameIndex(tenantId, identity.profileName) } : {}),
          createdAt: now,
          updatedAt: now,
        };
        // The id is a fresh UUID that just won its key: refused as existing, something is wrong.
        if (!(await this.creations.add(doc))) throw new Error('a new contact id exists already');
        fresh = doc;
      }
    }
    // A contact created just now is the one inserted (no merge can point it elsewhere yet).
    const contact = fresh ?? (await this.follow(tenantId, contactId));
    // Map any keys not yet mapped (a phone seen for the first time, a new bsuid); each claim is an
    // independent insert-or-read, so they go together.
    await Promise.all(keys.filter((key) => !mapped.has(key)).map((key) => this.keys.claim(tenantId, key, contact._id)));
    if (!created && !contact.identities.some((i) => i.channel === channelName(identity.channel) && this.open(tenantId, 'channelUserId', i.channelUserId) === identity.channelUserId)) {
      await this.updateOneScoped(tenantId, { _id: contact._id }, { $push: { identities: { channel: channelName(identity.channel), channelUserId: this.seal(tenantId, 'channelUserId', identity.channelUserId) } } });
      return { contact: this.view(await this.follow(tenantId, contact._id)), created };
    }
    return { contact: this.view(contact), created };
  }

  /** The contact of an identity, without creating one. */
  async find(tenantId: string, identity: ChannelIdentity): Promise<Contact | null> {
    if (!identity.channelUserId) return null;
    const [key] = await this.keys.find(tenantId, this.identityKeys(tenantId, identity));
    return key ? this.view(await this.follow(tenantId, key.contactId)) : null;
  }

  /**
   * Contacts that may be the same person but without certain evidence (same
   * profile name): shown to an agent as merge suggestions, never merged alone.
   */
  async mergeSuggestions(tenantId: string, contactId: string): Promise<Contact[]> {
    const doc = await this.findOneScoped(tenantId, { _id: contactId });
    if (!doc?.nameIndex) return [];
    const alike = await this.findScoped(tenantId, { nameIndex: doc.nameIndex, _id: { $ne: contactId }, mergedInto: { $exists: false } }, { limit: 10 });
    return alike.filter((d) => !doc.mergedFrom.includes(d._id)).map((d) => this.view(d));
  }

  private nameIndex(tenantId: string, profileName: string): string {
    const normalised = profileName.normalize('NFD').replace(/\p{M}/gu, '').toLocaleLowerCase().replace(/\s+/g, ' ').trim();
    return this.cipher.blindIndex(normalised, { tenantId, field: 'contacts.name' });
  }

  async get(tenantId: string, contactId: string): Promise<Contact | null> {
    const doc = await this.findOneScoped(tenantId, { _id: contactId });
    return doc ? this.view(doc.mergedInto ? await this.follow(tenantId, doc.mergedInto) : doc) : null;
  }

  /**
   * Records a verified phone for a contact (agent check, EHR match). If another
   * contact already has it, the two are the same person and are merged.
   */
  async addVerifiedPhone(tenantId: string, contactId: string, phoneE164: string, actor: string): Promise<{ mergedWith: string | undefined }> {
    const key = this.phoneKey(tenantId, phoneE164);
    const owner = await this.keys.claim(tenantId, key, contactId);
    await this.updateOneScoped(tenantId, { _id: contactId }, { $push: { phones: this.seal(tenantId, 'phone', phoneE164) }, $set: { updatedAt: new Date() } });
    if (owner === contactId) return { mergedWith: undefined };
    const survivor = (await this.follow(tenantId, owner))._id;
    if (survivor === contactId) return { mergedWith: undefined };
    await this.merge(tenantId, survivor, contactId, actor);
    return { mergedWith: survivor };
  }

  /**
   * Merges `mergedId` into `survivorId`: its identities and keys now resolve to
   * the survivor; its own document stays (with `mergedInto`) so histories are
   * kept and the merge can be undone.
   */
  async merge(tenantId: string, survivorId: string, mergedId: string, _actor: string): Promise<void> {
    if (survivorId === mergedId) return;
    const merged = await this.findOneScoped(tenantId, { _id: mergedId });
    if (!merged) throw new Error('contact to merge not found');
    await this.keys.rawModel.updateMany({ tenantId, contactId: mergedId }, { $set: { contactId: survivorId } }).exec();
    await this.updateOneScoped(tenantId, { _id: mergedId }, { $set: { mergedInto: survivorId, updatedAt: new Date() } });
    await this.updateOneScoped(tenantId, { _id: survivorId }, {
      $addToSet: { mergedFrom: mergedId, patientIds: { $each: merged.patientIds } },
      $push: { identities: { $each: merged.identities }, phones: { $each: merged.phones } },
      $set: { updatedAt: new Date() },
    });
  }

  /** Undoes a merge: the merged contact's own identities resolve to it again. */
  async unmerge(tenantId: string, mergedId: string): Promise<void> {
    const merged = await this.findOneScoped(tenantId, { _id: mergedId });
    if (!merged?.mergedInto) return;
    const survivorId = merged.mergedInto;
    const keys = merged.identities.map((i) =>
      `${tenantId}:${i.channel}-user:${this.cipher.blindIndex(this.open(tenantId, 'channelUserId', i.channelUserId), { tenantId, field: `contact_keys.${i.channel}-user` })}`,
    );
    await this.keys.repoint(tenantId, keys, mergedId);
    const sealedIds = new Set(merged.identities.map((i) => this.open(tenantId, 'channelUserId', i.channelUserId)));
    const survivor = await this.findOneScoped(tenantId, { _id: survivorId });
    if (survivor) {
      const remaining = survivor.identities.filter((i) => !sealedIds.has(this.open(tenantId, 'channelUserId', i.channelUserId)));
      await this.updateOneScoped(tenantId, { _id: survivorId }, { $set: { identities: remaining, updatedAt: new Date() }, $pull: { mergedFrom: mergedId } });
    }
    await this.updateOneScoped(tenantId, { _id: mergedId }, { $unset: { mergedInto: '' }, $set: { updatedAt: new Date() } });
  }

  async setLanguage(tenantId: string, contactId: string, language: string, source: string): Promise<void> {
    await this.updateOneScoped(tenantId, { _id: contactId }, { $set: { language, languageSource: source, updatedAt: new Date() } });
  }

  async setConsent(tenantId: string, contactId: string, consent: ConsentStatus, wordingVersion: string): Promise<void> {
    await this.updateOneScoped(tenantId, { _id: contactId }, { $set: { consent, consentWordingVersion: wordingVersion, updatedAt: new Date() } });
  }

  async linkPatients(tenantId: string, contactId: string, patientIds: readonly string[]): Promise<void> {
    await this.updateOneScoped(tenantId, { _id: contactId }, { $addToSet: { patientIds: { $each: [...patientIds] } }, $set: { updatedAt: new Date() } });
  }

  private async follow(tenantId: string, contactId: string): Promise<ContactDoc> {
    let id = contactId;
    for (let hop = 0; hop < 5; hop++) {
      const doc = await this.findOneScoped(tenantId, { _id: id });
      if (!doc) throw new Error(`contact ${id} missing`);
      if (!doc.mergedInto) return doc;
      id = doc.mergedInto;
    }
    throw new Error('contact merge chain too long');
  }

  private seal(tenantId: string, field: string, value: string): string {
    return this.cipher.encrypt(value, { tenantId, field: `contacts.${field}` });
  }

  private open(tenantId: string, field: string, sealed: string): string {
    return this.cipher.decrypt(sealed, { tenantId, field: `contacts.${field}` });
  }

  private view(doc: ContactDoc): Contact {
    return {
      id: doc._id,
      tenantId: doc.tenantId,
      profileName: doc.profileName ? this.open(doc.tenantId, 'profileName', doc.profileName) : '',
      language: doc.language,
      languageSource: doc.languageSource,
      consent: doc.consent,
      consentWordingVersion: doc.consentWordingVersion,
      patientIds: doc.patientIds,
      identities: doc.identities.map((i) => ({ channel: i.channel, channelUserId: this.open(doc.tenantId, 'channelUserId', i.channelUserId) })),
      verifiedPhones: doc.phones.map((p) => this.open(doc.tenantId, 'phone', p)),
      mergedFrom: doc.mergedFrom,
    };
  }
}
