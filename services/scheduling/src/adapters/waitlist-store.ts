import { Schema, type Connection } from 'mongoose';
import { ensureCollection, modelFor, TenantRepository, tenantGuard, type FieldCipher, type TenantOwned } from '@careloop/store';
import type { Addressing } from './appointment-store';
import { isDuplicateKey } from './slot-store';

export interface WaitlistEntry {
  entryId: string;
  tenantId: string;
  departmentId: string;
  practitionerId: string;
  facilityId: string;
  patientId: string;
  contactId: string;
  addressing?: Addressing | undefined;
  language: string;
  currentAppointmentId: string;
  before: Date;
  createdAt: Date;
  status: 'waiting' | 'accepted' | 'left';
  version: number;
}

export interface WaitlistOffer {
  offerId: string;
  tenantId: string;
  entryId: string;
  slotId: string;
  departmentId: string;
  practitionerId: string;
  start: Date;
  end: Date;
  expiresAt: Date;
  freedBy: string;
  position: number;
  status: 'open' | 'accepted' | 'declined' | 'expired' | 'withdrawn';
  createdAt: Date;
}

type EntryDoc = TenantOwned & Omit<WaitlistEntry, 'entryId' | 'addressing'> & { _id: string; addressing?: (Omit<Addressing, 'channelUserId'> & { channelUserIdSealed: string }) | undefined };
type OfferDoc = TenantOwned & Omit<WaitlistOffer, 'offerId'> & { _id: string };

const entrySchema = new Schema<EntryDoc>({ _id: String, tenantId: { type: String, required: true } }, { versionKey: false, collection: 'waitlist_entries', strict: false });
entrySchema.plugin(tenantGuard);
entrySchema.index({ tenantId: 1, departmentId: 1, status: 1 });
const offerSchema = new Schema<OfferDoc>({ _id: String, tenantId: { type: String, required: true } }, { versionKey: false, collection: 'waitlist_offers', strict: false });
offerSchema.plugin(tenantGuard);
offerSchema.index({ tenantId: 1, status: 1 });
offerSchema.index({ tenantId: 1, slotId: 1 });

const FIELD = 'waitlist.channel_user_id';

export class WaitlistEntries extends TenantRepository<EntryDoc> {
  constructor(
    connection: Connection,
    private readonly cipher: FieldCipher,
  ) {
    super(modelFor<EntryDoc>(connection, 'WaitlistEntry', entrySchema));
  }
  init(): Promise<void> {
    return ensureCollection(this.model);
  }
  /** Adds an entry; false when this id exists (a retried join). */
  async add(entry: WaitlistEntry): Promise<boolean> {
    const { entryId, addressing, ...rest } = entry;
    try {
      await this.insertScoped(entry.tenantId, {
        ...rest,
        _id: entryId,
        addressing: addressing ? { ...addressing, channelUserId: undefined, channelUserIdSealed: this.cipher.encrypt(addressing.channelUserId, { tenantId: entry.tenantId, field: FIELD }) } : undefined,
      } as Omit<EntryDoc, 'tenantId'>);
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }
  async get(tenantId: string, entryId: string): Promise<WaitlistEntry | undefined> {
    const doc = await this.findOneScoped(tenantId, { _id: entryId });
    return doc ? this.fromDoc(doc) : undefined;
  }
  /** Waiting entries of a department, in the order they joined. */
  async waiting(tenantId: string, departmentId: string): Promise<WaitlistEntry[]> {
    const docs = await this.findScoped(tenantId, { departmentId, status: 'waiting' });
    return docs.map((d) => this.fromDoc(d)).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.entryId.localeCompare(b.entryId));
  }
  /** Moves an entry from `from` to `to`; false if it was not in `from` any more. */
  async transition(tenantId: string, entryId: string, from: WaitlistEntry['status'], to: WaitlistEntry['status']): Promise<boolean> {
    const r = await this.updateOneScoped(tenantId, { _id: entryId, status: from }, { $set: { status: to }, $inc: { version: 1 } });
    return r.modified === 1;
  }
  /** Next version of the entry, for the events of its offers. */
  async bumpVersion(tenantId: string, entryId: string): Promise<number> {
    const doc = await this.findOneAndUpdateScoped(tenantId, { _id: entryId }, { $inc: { version: 1 } });
    return doc?.version ?? 0;
  }
  private fromDoc(doc: EntryDoc): WaitlistEntry {
    const { _id, addressing, ...rest } = doc;
    return {
      ...rest,
      entryId: _id,
      addressing: addressing
        ? { channel: addressing.channel, endpointId: addressing.endpointId, displayAddress: addressing.displayAddress, accountId: addressing.accountId, channelUserId: addressing.channelUserIdSealed ? this.cipher.decrypt(addressing.channelUserIdSealed, { tenantId: doc.tenantId, field: FIELD }) : '' }
        : undefined,
    };
  }
}

export class WaitlistOffers extends TenantRepository<OfferDoc> {
  constructor(connection: Connection) {
    super(modelFor<OfferDoc>(connection, 'WaitlistOffer', offerSchema));
  }
  init(): Promise<void> {
    return ensureCollection(this.model);
  }
  /** Creates the offer; false when this entry was offered this slot already (the id is theirs). */
  async create(offer: WaitlistOffer): Promise<boolean> {
    const { offerId, ...rest } = offer;
    try {
      await this.insertScoped(offer.tenantId, { ...rest, _id: offerId });
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }
  async get(tenantId: string, offerId: string): Promise<WaitlistOffer | undefined> {
    const doc = await this.findOneScoped(tenantId, { _id: offerId });
    return doc ? fromOffer(doc) : undefined;
  }
  async open(tenantId: string): Promise<WaitlistOffer[]> {
    return (await this.findScoped(tenantId, { status: 'open' })).map(fromOffer);
  }
  async forSlot(tenantId: string, slotId: string): Promise<WaitlistOffer[]> {
    return (await this.findScoped(tenantId, { slotId })).map(fromOffer);
  }
  async transition(tenantId: string, offerId: string, from: WaitlistOffer['status'], to: WaitlistOffer['status']): Promise<boolean> {
    const r = await this.updateOneScoped(tenantId, { _id: offerId, status: from }, { $set: { status: to } });
    return r.modified === 1;
  }
}

function fromOffer(doc: OfferDoc): WaitlistOffer {
  const { _id, ...rest } = doc;
  return { ...rest, offerId: _id };
}
