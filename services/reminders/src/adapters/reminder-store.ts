import { Schema, type Connection, type Model } from 'mongoose';
import { ensureCollection, modelFor, TenantRepository, tenantGuard, type TenantOwned } from '@careloop/store';
import type { Channel } from '@careloop/contracts';
import type { ReasonCode, ReminderKindName, ReminderStateName } from '../domain/reminder';

/** The business endpoint a reminder leaves from (hospital data, not PHI). */
export interface EndpointRecord {
  channel: Channel;
  endpointId: string;
  displayAddress: string;
  accountId: string;
}

/** What the message shows besides the time: directory names as the hospital publishes them (not PHI). */
export interface AppointmentDisplay {
  facilityName: string;
  departmentName: string;
  practitionerName: string;
  facilityAddress: string;
  serviceType: string;
}

/**
 * One reminder occurrence: the source of truth of a timer. The due-index in Redis only says
 * "look at this one at that time"; whether and how it is sent is decided from this document,
 * by single-document conditional updates on `state`.
 */
export interface ReminderRecord extends TenantOwned {
  _id: string;
  kind: ReminderKindName;
  state: ReminderStateName;
  reason: ReasonCode;
  occurrenceKey: string;
  commandId: string;
  dueAt: Date;
  /** Never sent after this: gateway fails it, the firing loop drops it. */
  notAfter: Date;
  facilityId: string;
  departmentId: string;
  practitionerId: string;
  appointmentId: string;
  appointmentVersion: number;
  appointmentStart: Date | null;
  offsetId: string;
  offsetSeconds: number;
  askConfirmation: boolean;
  planId: string;
  contactId: string;
  patientId: string;
  endpoint: EndpointRecord;
  recipientChannel: Channel;
  /** The patient's channel user id (a phone number on WhatsApp): PHI, sealed. */
  recipientSealed: string;
  language: string;
  timeZone: string;
  display: AppointmentDisplay | null;
  /** Medication label (PHI), sealed; empty for other kinds. */
  labelSealed: string;
  messageId: string;
  sentAsTemplate: boolean;
  /** Increases with every state change; the event id of each ReminderChanged derives from it. */
  sequence: number;
  createdAt: Date;
  updatedAt: Date;
}

const schema = new Schema<ReminderRecord>(
  {
    _id: String,
    tenantId: { type: String, required: true },
    kind: String,
    state: String,
    reason: String,
    occurrenceKey: String,
    commandId: String,
    dueAt: Date,
    notAfter: Date,
    facilityId: String,
    departmentId: String,
    practitionerId: String,
    appointmentId: String,
    appointmentVersion: Number,
    appointmentStart: Date,
    offsetId: String,
    offsetSeconds: Number,
    askConfirmation: Boolean,
    planId: String,
    contactId: String,
    patientId: String,
    endpoint: { type: Schema.Types.Mixed },
    recipientChannel: Number,
    recipientSealed: String,
    language: String,
    timeZone: String,
    display: { type: Schema.Types.Mixed },
    labelSealed: String,
    messageId: String,
    sentAsTemplate: Boolean,
    sequence: Number,
    createdAt: Date,
    updatedAt: Date,
  },
  { versionKey: false, collection: 'reminders' },
);
// Equality lookups only (FerretDB pushes nothing else down): by appointment, plan, command and message id.
schema.index({ tenantId: 1, appointmentId: 1 });
schema.index({ tenantId: 1, planId: 1 });
schema.index({ tenantId: 1, commandId: 1 }, { unique: true });
schema.index({ tenantId: 1, messageId: 1 });
schema.plugin(tenantGuard);

export const REMINDER_COLLECTION = 'reminders';

export class ReminderStore extends TenantRepository<ReminderRecord> {
  constructor(connection: Connection) {
    super(modelFor<ReminderRecord>(connection, 'Reminder', schema));
  }

  get collectionModel(): Model<ReminderRecord> {
    return this.model;
  }

  async init(): Promise<void> {
    await ensureCollection(this.model);
  }

  /** Inserts the occurrence unless it exists (a re-processed event plans the same ids): true when new. */
  async insertIfAbsent(record: ReminderRecord): Promise<boolean> {
    const { _id, tenantId, ...rest } = record;
    const r = await this.updateOneScoped(tenantId, { _id }, { $setOnInsert: rest }, true);
    return r.upserted;
  }

  async get(tenantId: string, id: string): Promise<ReminderRecord | null> {
    return this.findOneScoped(tenantId, { _id: id });
  }

  async byAppointment(tenantId: string, appointmentId: string): Promise<ReminderRecord[]> {
    return this.findScoped(tenantId, { appointmentId });
  }

  async byPlan(tenantId: string, planId: string): Promise<ReminderRecord[]> {
    return this.findScoped(tenantId, { planId });
  }

  async byCommandId(tenantId: string, commandId: string): Promise<ReminderRecord | null> {
    return this.findOneScoped(tenantId, { commandId });
  }

  async byMessageId(tenantId: string, messageId: string): Promise<ReminderRecord | null> {
    return this.findOneScoped(tenantId, { messageId });
  }

  /**
   * Compare-and-set on the state: moves the reminder from `from` to `to` only if it is still in
   * `from`, and returns the document after the change (null when another writer got there first).
   * This single-document update is what makes each transition happen once.
   */
  async transition(tenantId: string, id: string, from: ReminderStateName, to: ReminderStateName, set: Partial<ReminderRecord> = {}): Promise<ReminderRecord | null> {
    return this.findOneAndUpdateScoped(tenantId, { _id: id, state: from }, { $set: { ...set, state: to, updatedAt: new Date() }, $inc: { sequence: 1 } });
  }
}
