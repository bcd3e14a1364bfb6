import { randomBytes } from 'node:crypto';
import { Channel } from '@careloop/contracts';
import { connectMongo, connectRedis, FieldCipher, redisKeyPrefix, type Redis } from '@careloop/store';
import type { Connection } from 'mongoose';
import { ContactStore } from '../../src/adapters/contact-store';
import { DueIndex } from '../../src/adapters/due-index';
import { ReminderStore, type ReminderRecord } from '../../src/adapters/reminder-store';
import { commandIdOf, reminderIdOf } from '../../src/domain/reminder';
import { RECIPIENT_FIELD } from '../../src/use-cases/ports';

export interface SeedStores {
  readonly mongo: Connection;
  readonly redis: Redis;
  readonly reminders: ReminderStore;
  readonly contacts: ContactStore;
  readonly index: DueIndex;
  readonly cipher: FieldCipher;
  readonly keys: { readonly encryption: string; readonly blindIndex: string };
  close(): Promise<void>;
}

/** The service's own stores, opened the way the service opens them, for seeding and checking. */
export async function openStores(settings: { mongoUri: string; database: string; redisUrl: string; namespace: string }): Promise<SeedStores> {
  const encryption = randomBytes(32);
  const blindIndex = randomBytes(32);
  const cipher = new FieldCipher([{ id: 's1', key: encryption }], [{ id: 'b1', key: blindIndex }]);
  const mongo = await connectMongo({ uri: settings.mongoUri, dbName: settings.database });
  const redis = await connectRedis({ url: settings.redisUrl, keyPrefix: redisKeyPrefix('reminders') });
  const ns = settings.namespace ? `${settings.namespace}:` : '';
  const reminders = new ReminderStore(mongo);
  const contacts = new ContactStore(mongo, redis, ns);
  await Promise.all([reminders.init(), contacts.init()]);
  return {
    mongo,
    redis,
    reminders,
    contacts,
    index: new DueIndex(redis, ns),
    cipher,
    keys: { encryption: `s1:${encryption.toString('base64')}`, blindIndex: `b1:${blindIndex.toString('base64')}` },
    close: async () => {
      await mongo.close();
      redis.disconnect();
    },
  };
}

/** An appointment reminder due at `dueAt`, as the service would have planned it. */
export function appointmentReminder(stores: SeedStores, input: { tenantId: string; endpointId: string; contactId: string; waId: string; key: string; dueAt: Date; start: Date }): ReminderRecord {
  const at = new Date();
  return {
    _id: reminderIdOf(input.tenantId, input.key),
    tenantId: input.tenantId,
    kind: 'appointment',
    state: 'scheduled',
    reason: '',
    occurrenceKey: input.key,
    commandId: commandIdOf(input.tenantId, input.key),
    dueAt: input.dueAt,
    notAfter: input.start,
    facilityId: 'madrid-central',
    departmentId: 'cardiology',
    practitionerId: 'pr-1',
    appointmentId: input.key,
    appointmentVersion: 1,
    appointmentStart: input.start,
    offsetId: '48h',
    offsetSeconds: 172_800,
    askConfirmation: true,
    planId: '',
    contactId: input.contactId,
    patientId: `patient-${input.contactId}`,
    endpoint: { channel: Channel.CHANNEL_WHATSAPP, endpointId: input.endpointId, displayAddress: '', accountId: '' },
    recipientChannel: Channel.CHANNEL_WHATSAPP,
    recipientSealed: stores.cipher.encrypt(input.waId, { tenantId: input.tenantId, field: RECIPIENT_FIELD }),
    language: 'es',
    timeZone: 'Europe/Madrid',
    display: { facilityName: 'Hospital Central', departmentName: 'Cardiología', practitionerName: 'Dra. Ruiz', facilityAddress: 'Calle Mayor 1', serviceType: 'consultation' },
    labelSealed: '',
    messageId: '',
    sentAsTemplate: false,
    sequence: 1,
    createdAt: at,
    updatedAt: at,
  };
}
