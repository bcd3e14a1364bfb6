import { Schema, type Connection, type Model } from 'mongoose';
import { ensureCollection, modelFor, TenantRepository, tenantGuard, type FieldCipher, type TenantOwned } from '@careloop/store';
import type { Channel } from '@careloop/contracts';
import type { StatusCode } from '../domain/appointment';
import { isDuplicateKey } from './slot-store';

export type BookingChannelCode = 'chat' | 'ehr' | 'agent';
export type PatientResponseCode = 'needs-action' | 'accepted' | 'declined' | 'tentative';

/** Where to write to the patient about an appointment (business endpoint + their channel id). */
export interface Addressing {
  channel: Channel;
  endpointId: string;
  displayAddress: string;
  accountId: string;
  /** The patient's channel user id (a WhatsApp wa_id is their phone number): PHI. */
  channelUserId: string;
}

export interface AppointmentRecord {
  appointmentId: string;
  tenantId: string;
  facilityId: string;
  departmentId: string;
  practitionerId: string;
  serviceType: string;
  start: Date;
  end: Date;
  status: StatusCode;
  version: number;
  patientId: string;
  contactId: string;
  bookingChannel: BookingChannelCode;
  addressing?: Addressing | undefined;
  language: string;
  bookedAt: Date;
  leadTimeSeconds: number;
  cancellationReason?: string | undefined;
  cancelledAt?: Date | undefined;
  patientResponse: PatientResponseCode;
  confirmedAt?: Date | undefined;
  arrivedAt?: Date | undefined;
  fulfilledAt?: Date | undefined;
  noShowAt?: Date | undefined;
  rescheduledAt?: Date | undefined;
  rescheduleCount: number;
  slotId: string;
  /** The seat it holds in slot_holds ("" when it holds none, e.g. imported over capacity). */
  holdId: string;
  waitlistEntryId?: string | undefined;
  externalIds: { system: string; value: string }[];
  /** Request ids already applied (book, reschedule): a retried request changes nothing. */
  requestIds: string[];
}

interface AppointmentDoc extends TenantOwned, Omit<AppointmentRecord, 'appointmentId' | 'addressing'> {
  _id: string;
  addressing?: (Omit<Addressing, 'channelUserId'> & { channelUserIdSealed: string }) | undefined;
  /** Hour bucket of the end (epoch hours): the no-show sweep reads by equality on it. */
  endHour: number;
  /** Start day bucket (epoch days) for upcoming lists. */
  upcoming: boolean;
}

const schema = new Schema<AppointmentDoc>({ _id: String, tenantId: { type: String, required: true } }, { versionKey: false, collection: 'appointments', strict: false });
schema.plugin(tenantGuard);
schema.index({ tenantId: 1, patientId: 1 });
schema.index({ tenantId: 1, contactId: 1 });
schema.index({ tenantId: 1, endHour: 1 });

/** Maps an external id (EHR) to our appointment: its _id is unique, so an import creates one appointment. */
interface ExternalIdDoc extends TenantOwned {
  _id: string;
  appointmentId: string;
}
const externalSchema = new Schema<ExternalIdDoc>({ _id: String, tenantId: { type: String, required: true }, appointmentId: String }, { versionKey: false, collection: 'appointment_external_ids' });
externalSchema.plugin(tenantGuard);

export class VersionConflictError extends Error {
  override readonly name = 'VersionConflictError';
}

const HOUR_MS = 3_600_000;

export class AppointmentStore extends TenantRepository<AppointmentDoc> {
  private readonly external: Model<ExternalIdDoc>;

  constructor(
    connection: Connection,
    private readonly cipher: FieldCipher,
  ) {
    super(modelFor<AppointmentDoc>(connection, 'Appointment', schema));
    this.external = modelFor<ExternalIdDoc>(connection, 'AppointmentExternalId', externalSchema);
  }

  async init(): Promise<void> {
    await Promise.all([ensureCollection(this.model), ensureCollection(this.external)]);
  }

  async get(tenantId: string, appointmentId: string): Promise<AppointmentRecord | undefined> {
    const doc = await this.findOneScoped(tenantId, { _id: appointmentId });
    return doc ? this.fromDoc(doc) : undefined;
  }

  /** Inserts a new appointment; false if one with that id exists already. */
  async insert(record: AppointmentRecord): Promise<boolean> {
    try {
      await this.insertScoped(record.tenantId, this.toDoc(record));
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  /**
   * Writes a changed appointment if nobody changed it since `expectedVersion` (a single-document
   * compare-and-set: no transactions needed). Returns false on a conflict.
   */
  async replace(record: AppointmentRecord, expectedVersion: number): Promise<boolean> {
    const { _id, tenantId, ...rest } = this.toDoc(record);
    const r = await this.model.replaceOne(this.scope(tenantId, { _id, version: expectedVersion }), { ...rest, tenantId }).exec();
    return r.modifiedCount === 1 || r.matchedCount === 1;
  }

  async byPatient(tenantId: string, patientId: string): Promise<AppointmentRecord[]> {
    return (await this.findScoped(tenantId, { patientId })).map((d) => this.fromDoc(d));
  }

  async byContact(tenantId: string, contactId: string): Promise<AppointmentRecord[]> {
    return (await this.findScoped(tenantId, { contactId })).map((d) => this.fromDoc(d));
  }

  /** Appointments ending in that epoch hour (equality on the bucket), with a status. */
  async endingInHour(tenantId: string, endHour: number, status: StatusCode): Promise<AppointmentRecord[]> {
    return (await this.findScoped(tenantId, { endHour, status })).map((d) => this.fromDoc(d));
  }

  async externalLink(tenantId: string, system: string, value: string): Promise<string | undefined> {
    const doc = await this.external.findOne({ _id: `${tenantId}|${system}|${value}`, tenantId }).lean<ExternalIdDoc>().exec();
    return doc?.appointmentId;
  }

  /** Links an external id to an appointment; returns the appointment it is linked to (first writer wins). */
  async linkExternal(tenantId: string, system: string, value: string, appointmentId: string): Promise<string> {
    try {
      await this.external.create({ _id: `${tenantId}|${system}|${value}`, tenantId, appointmentId });
      return appointmentId;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      return (await this.externalLink(tenantId, system, value)) ?? appointmentId;
    }
  }

  private toDoc(record: AppointmentRecord): AppointmentDoc {
    const { appointmentId, addressing, ...rest } = record;
    const context = { tenantId: record.tenantId, field: 'appointments.channel_user_id' };
    return {
      ...rest,
      _id: appointmentId,
      addressing: addressing
        ? {
            channel: addressing.channel,
            endpointId: addressing.endpointId,
            displayAddress: addressing.displayAddress,
            accountId: addressing.accountId,
            channelUserIdSealed: addressing.channelUserId ? this.cipher.encrypt(addressing.channelUserId, context) : '',
          }
        : undefined,
      endHour: Math.floor(record.end.getTime() / HOUR_MS),
      upcoming: record.status === 'booked' || record.status === 'pending',
    };
  }

  private fromDoc(doc: AppointmentDoc): AppointmentRecord {
    const { _id, addressing, ...stored } = doc;
    const rest: Omit<AppointmentDoc, '_id' | 'addressing' | 'endHour' | 'upcoming'> & { endHour?: number; upcoming?: boolean } = { ...stored };
    delete rest.endHour;
    delete rest.upcoming;
    const context = { tenantId: doc.tenantId, field: 'appointments.channel_user_id' };
    return {
      ...rest,
      appointmentId: _id,
      addressing: addressing
        ? {
            channel: addressing.channel,
            endpointId: addressing.endpointId,
            displayAddress: addressing.displayAddress,
            accountId: addressing.accountId,
            channelUserId: addressing.channelUserIdSealed ? this.cipher.decrypt(addressing.channelUserIdSealed, context) : '',
          }
        : undefined,
    };
  }
}
