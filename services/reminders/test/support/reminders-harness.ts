import { randomBytes, randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import {
  AppointmentChanged,
  AppointmentChangeKind,
  AppointmentStatus,
  Channel,
  ConsentChanged,
  ConsentState,
  DispatchReason,
  InboundMessage,
  InteractiveReplyKind,
  OutboundMessageCommand,
  OutboundResult,
  ObservationRecorded,
  PatientResponse,
  ReminderChanged,
  SkillOutcome,
  SkillTurn,
  Topics,
  remindersApi,
  schedulingApi,
} from '@careloop/contracts';
import { KafkaEventBus } from '@careloop/bus';
import { startService, type RunningService } from '@careloop/service-kit';
import { createLogger } from '@careloop/observability';
import { infraEnv, TopicTap, uniqueName, waitFor, type TappedEvent, TEST_GROUP_PREFIX } from '@careloop/testing';
import { remindersService } from '../../src/service';
import type { RemindersSettings } from '../../src/config';

export const key = () => randomBytes(32).toString('base64');

/**
 * Stand-in for scheduling's gRPC API (another service's API, not infrastructure): Confirm and
 * Cancel of the generated service definition, recording what they were asked.
 */
export class SchedulingStandIn {
  readonly confirms: schedulingApi.ConfirmRequest[] = [];
  readonly cancels: schedulingApi.CancelRequest[] = [];
  private readonly server = new grpc.Server();
  address = '';

  static async start(): Promise<SchedulingStandIn> {
    const standIn = new SchedulingStandIn();
    // Only Confirm and Cancel: grpc-js answers UNIMPLEMENTED for the rest.
    const implementation: Pick<schedulingApi.SchedulingServiceServer, 'confirm' | 'cancel'> = {
      confirm: (call, callback) => {
        standIn.confirms.push(call.request);
        callback(null, { appointment: undefined });
      },
      cancel: (call, callback) => {
        standIn.cancels.push(call.request);
        callback(null, { appointment: undefined });
      },
    };
    standIn.server.addService(schedulingApi.SchedulingServiceService, implementation);
    const port = await new Promise<number>((resolve, reject) => {
      standIn.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p)));
    });
    standIn.address = `127.0.0.1:${port}`;
    return standIn;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }
}

export interface Patient {
  readonly contactId: string;
  readonly patientId: string;
  readonly waId: string;
}

export function newPatient(): Patient {
  return { contactId: uniqueName('contact'), patientId: uniqueName('patient'), waId: `34${Math.floor(600_000_000 + Math.random() * 99_999_999)}` };
}

export interface RemindersUnderTest {
  readonly running: RunningService<RemindersSettings>;
  readonly tenantId: string;
  readonly endpointId: string;
  readonly scheduling: SchedulingStandIn;
  readonly bus: KafkaEventBus;
  readonly outbound: TopicTap<OutboundMessageCommand>;
  readonly changes: TopicTap<ReminderChanged>;
  readonly observations: TopicTap<ObservationRecorded>;
  readonly outcomes: TopicTap<SkillOutcome>;
  readonly api: remindersApi.RemindersServiceClient;
  consent(patient: Patient, state: ConsentState): Promise<void>;
  appointment(patient: Patient, a: { id: string; version: number; start: Date; kind?: AppointmentChangeKind; status?: AppointmentStatus; confirmed?: boolean; serviceType?: string; timeZone?: string }): Promise<void>;
  press(patient: Patient, replyId: string): Promise<string>;
  say(patient: Patient, body: string): Promise<string>;
  accepted(command: OutboundMessageCommand): Promise<void>;
  /** ReminderChanged events of one reminder, or of one appointment. */
  changesOf(filter: { reminderId?: string; appointmentId?: string; planId?: string }): ReminderChanged[];
  waitForChange(what: string, probe: (c: ReminderChanged) => boolean, timeoutMs?: number): Promise<ReminderChanged>;
  answersTo(turnId: string, expected: number): Promise<OutboundMessageCommand[]>;
  createPlan(req: remindersApi.CreatePlanRequest): Promise<remindersApi.CreatePlanResponse>;
  list(req: Partial<remindersApi.ListRemindersRequest>): Promise<remindersApi.ListRemindersResponse>;
  stop(): Promise<void>;
}

export async function startReminders(overrides: Record<string, string> = {}): Promise<RemindersUnderTest> {
  const env = infraEnv();
  const tenantId = uniqueName('network');
  const endpointId = `1${Math.floor(Math.random() * 1e9)}`;
  const scheduling = await SchedulingStandIn.start();
  const running = await startService(remindersService, {
    env: {
      ...env,
      KAFKA_CONSUMER_GROUP_PREFIX: TEST_GROUP_PREFIX,
      OPS_PORT: '0',
      GRPC_PORT: '0',
      MONGODB_DATABASE: uniqueName('reminders_test').replace(/-/g, '_'),
      KAFKA_TOPIC_PARTITIONS: '3',
      PHI_ENCRYPTION_KEYS: `t1:${key()}`,
      PHI_BLIND_INDEX_KEYS: `i1:${key()}`,
      SCHEDULING_GRPC_ADDRESS: scheduling.address,
      REMINDERS_REDIS_NAMESPACE: uniqueName('test'),
      REMINDERS_POLICIES: JSON.stringify({ default: { quietHours: null } }),
      REMINDERS_TICK_MS: '20',
      LOG_LEVEL: 'silent',
      ...overrides,
    },
    logger: createLogger({ service: 'reminders', level: process.env['REMINDERS_TEST_LOG_LEVEL'] ?? 'silent' }),
    host: '127.0.0.1',
  });
  const bus = new KafkaEventBus({ brokers: env.KAFKA_BROKERS.split(','), service: 'reminders-test-double' });
  await bus.connect();
  const [outbound, changes, observations, outcomes] = await Promise.all([
    TopicTap.start(env.KAFKA_BROKERS, Topics.outboundCommand, [tenantId]),
    TopicTap.start(env.KAFKA_BROKERS, Topics.reminderChanged, [tenantId]),
    TopicTap.start(env.KAFKA_BROKERS, Topics.observationRecorded, [tenantId]),
    TopicTap.start(env.KAFKA_BROKERS, Topics.skillOutcome, [tenantId]),
  ]);
  const api = new remindersApi.RemindersServiceClient(`127.0.0.1:${running.grpcPort ?? 0}`, grpc.credentials.createInsecure());
  const endpoint = { channel: Channel.CHANNEL_WHATSAPP, endpointId, displayAddress: '34910000001', accountId: '102290129340398' };

  const turn = async (patient: Patient, content: InboundMessage['content'], replyId: string): Promise<string> => {
    const now = new Date();
    const turnId = randomUUID();
    await bus.publish(
      Topics.remindersTurn,
      SkillTurn.fromPartial({
        turnId,
        contactId: patient.contactId,
        conversationId: `conv-${patient.contactId}`,
        patientIds: [patient.patientId],
        language: 'en',
        endpoint,
        recipient: { channel: Channel.CHANNEL_WHATSAPP, channelUserId: patient.waId },
        message: InboundMessage.fromPartial({ messageId: `wamid.${randomUUID()}`, to: endpoint, from: { channel: Channel.CHANNEL_WHATSAPP, channelUserId: patient.waId }, sentAt: now, receivedAt: now, content }),
        replyId,
        reason: replyId ? DispatchReason.DISPATCH_REASON_REPLY_NAMESPACE : DispatchReason.DISPATCH_REASON_OWNER,
        windowOpen: true,
        receivedAt: now,
        facilityId: 'madrid-central',
      }),
      { key: patient.contactId, tenantId, facilityId: 'madrid-central', id: turnId },
    );
    return turnId;
  };

  const matches = (c: ReminderChanged, f: { reminderId?: string; appointmentId?: string; planId?: string }) =>
    (!f.reminderId || c.reminderId === f.reminderId) && (!f.appointmentId || c.appointmentId === f.appointmentId) && (!f.planId || c.planId === f.planId);

  return {
    running,
    tenantId,
    endpointId,
    scheduling,
    bus,
    outbound,
    changes,
    observations,
    outcomes,
    api,
    consent: async (patient, state) => {
      await bus.publish(
        Topics.consentChanged,
        ConsentChanged.fromPartial({ contactId: patient.contactId, state, purpose: 'care-messaging', source: 'button', changedAt: new Date(), identities: [], language: 'en' }),
        { key: patient.contactId, tenantId },
      );
    },
    appointment: async (patient, a) => {
      const status = a.status ?? AppointmentStatus.APPOINTMENT_STATUS_BOOKED;
      await bus.publish(
        Topics.appointmentChanged,
        AppointmentChanged.fromPartial({
          kind: a.kind ?? AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_BOOKED,
          appointment: {
            appointmentId: a.id,
            tenantId,
            facilityId: 'madrid-central',
            facilityTimeZone: a.timeZone ?? 'Europe/Madrid',
            departmentId: 'cardiology',
            practitionerId: 'pr-1',
            serviceType: a.serviceType ?? 'consultation',
            start: a.start,
            end: new Date(a.start.getTime() + 20 * 60_000),
            status,
            version: a.version,
            patientId: patient.patientId,
            contactId: patient.contactId,
            endpoint,
            recipient: { channel: Channel.CHANNEL_WHATSAPP, channelUserId: patient.waId },
            language: 'en',
            patientResponse: a.confirmed ? PatientResponse.PATIENT_RESPONSE_ACCEPTED : PatientResponse.PATIENT_RESPONSE_NEEDS_ACTION,
            facilityName: 'Hospital Central',
            departmentName: 'Cardiology',
            practitionerName: 'Dr. Ruiz',
            facilityAddress: 'Calle Mayor 1, Madrid',
          },
          changedAt: new Date(),
        }),
        { key: a.id, tenantId, facilityId: 'madrid-central' },
      );
    },
    press: (patient, replyId) => turn(patient, { $case: 'interactiveReply', value: { kind: InteractiveReplyKind.INTERACTIVE_REPLY_KIND_BUTTON, id: replyId, title: '', description: '' } }, replyId),
    say: (patient, body) => turn(patient, { $case: 'text', value: { body } }, ''),
    accepted: async (command) => {
      await bus.publish(
        Topics.outboundResult,
        OutboundResult.fromPartial({ commandId: command.commandId, requestedBy: command.requestedBy, contactId: command.contactId, accepted: true, messageId: `wamid.${randomUUID()}`, occurredAt: new Date() }),
        { key: `whatsapp:${command.to?.channelUserId ?? ''}`, tenantId },
      );
    },
    changesOf: (f) => changes.received().map((e: TappedEvent<ReminderChanged>) => e.payload).filter((c) => matches(c, f)),
    waitForChange: (what, probe, timeoutMs = 20_000) => waitFor(what, () => changes.received().map((e) => e.payload).find(probe), timeoutMs),
    answersTo: async (turnId, expected) => {
      const mine = () => outbound.received().filter((e) => e.meta.causationId === turnId);
      await waitFor(`${expected} answer(s) to ${turnId}`, () => mine().length >= expected, 20_000);
      return mine().map((e) => e.payload);
    },
    createPlan: (req) =>
      new Promise((resolve, reject) => {
        api.createPlan(req, (e, res) => (e ? reject(e) : resolve(res)));
      }),
    list: (req) =>
      new Promise((resolve, reject) => {
        api.listReminders(remindersApi.ListRemindersRequest.fromPartial({ tenantId, ...req }), (e, res) => (e ? reject(e) : resolve(res)));
      }),
    stop: async () => {
      api.close();
      await Promise.allSettled([outbound.stop(), changes.stop(), observations.stop(), outcomes.stop()]);
      await bus.close();
      await running.stop();
      await scheduling.stop();
    },
  };
}
