import { randomBytes, randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import {
  AppointmentChanged,
  Channel,
  DispatchReason,
  InboundMessage,
  InteractiveReplyKind,
  OutboundMessageCommand,
  SkillOutcome,
  SkillTurn,
  Topics,
  WaitlistChanged,
  schedulingApi,
} from '@careloop/contracts';
import { KafkaEventBus } from '@careloop/bus';
import { createLogger } from '@careloop/observability';
import { promiseClient, startService, type PromiseClient, type RunningService } from '@careloop/service-kit';
import { infraEnv, TopicTap, uniqueName, waitFor, type TappedEvent, TEST_GROUP_PREFIX, TEST_GROUPS_START_AT } from '@careloop/testing';
import { schedulingService } from '../../src/service';
import type { SchedulingSettings } from '../../src/config';

export const WHATSAPP_NUMBER = '1000001';

export interface Patient {
  readonly contactId: string;
  readonly patientIds: string[];
  readonly channelUserId: string;
  readonly language: string;
}

export function patient(language = 'es', patients = 1): Patient {
  const contactId = `contact-${randomUUID()}`;
  return {
    contactId,
    patientIds: Array.from({ length: patients }, () => `patient-${randomUUID().slice(0, 12)}`),
    channelUserId: `34${Math.floor(600_000_000 + Math.random() * 99_999_999)}`,
    language,
  };
}

/** The gRPC API as promises: `api.book(request)`. */
export type SchedulingApi = PromiseClient<schedulingApi.SchedulingServiceServer>;

export interface SchedulingUnderTest {
  readonly running: RunningService<SchedulingSettings>;
  readonly tenantId: string;
  readonly baseUrl: string;
  readonly client: schedulingApi.SchedulingServiceClient;
  readonly outbound: TopicTap<OutboundMessageCommand>;
  readonly outcomes: TopicTap<SkillOutcome>;
  readonly appointments: TopicTap<AppointmentChanged>;
  readonly waitlist: TopicTap<WaitlistChanged>;
  readonly api: SchedulingApi;
  /** Publishes a turn as routing would; returns the envelope id (the answers' causation id). */
  turn(p: Patient, replyId: string, options?: { turnId?: string; reason?: DispatchReason; text?: string }): Promise<string>;
  /** Outbound commands answering one turn, once `expected` of them arrived. */
  answersTo(eventId: string, expected: number, timeoutMs?: number): Promise<OutboundMessageCommand[]>;
  /** A second instance on the same database with other settings (e.g. a clock moved forward). */
  another(overrides: Record<string, string>): Promise<RunningService<SchedulingSettings>>;
  stop(): Promise<void>;
}

export async function startScheduling(overrides: Record<string, string> = {}): Promise<SchedulingUnderTest> {
  const env = infraEnv();
  const tenantId = uniqueName('network');
  const key = () => randomBytes(32).toString('base64');
  const baseEnv = {
    ...env,
    KAFKA_CONSUMER_GROUP_PREFIX: TEST_GROUP_PREFIX,
    KAFKA_NEW_GROUPS_START_AT: TEST_GROUPS_START_AT,
    HTTP_PORT: '0',
    OPS_PORT: '0',
    GRPC_PORT: '0',
    MONGODB_DATABASE: uniqueName('scheduling_test').replace(/-/g, '_'),
    KAFKA_TOPIC_PARTITIONS: '3',
    PHI_ENCRYPTION_KEYS: `t1:${key()}`,
    PHI_BLIND_INDEX_KEYS: `i1:${key()}`,
    LOG_LEVEL: 'silent',
  };
  const start = (extra: Record<string, string>) =>
    startService(schedulingService, {
      env: { ...baseEnv, ...extra },
      logger: createLogger({ service: 'scheduling', level: process.env['SCHEDULING_TEST_LOG_LEVEL'] ?? 'silent' }),
      host: '127.0.0.1',
    });
  const running = await start({ SCHEDULING_PUBLIC_BASE_URL: 'http://127.0.0.1:1', ...overrides });
  const baseUrl = `http://127.0.0.1:${running.httpPort ?? 0}`;
  const others: RunningService<SchedulingSettings>[] = [];
  const client = new schedulingApi.SchedulingServiceClient(`127.0.0.1:${running.grpcPort ?? 0}`, grpc.credentials.createInsecure());
  const bus = new KafkaEventBus({ brokers: env.KAFKA_BROKERS.split(','), service: 'routing-double' });
  await bus.connect();
  const [outbound, outcomes, appointments, waitlist] = await Promise.all([
    TopicTap.start(env.KAFKA_BROKERS, Topics.outboundCommand, [tenantId]),
    TopicTap.start(env.KAFKA_BROKERS, Topics.skillOutcome, [tenantId]),
    TopicTap.start(env.KAFKA_BROKERS, Topics.appointmentChanged, [tenantId]),
    TopicTap.start(env.KAFKA_BROKERS, Topics.waitlistChanged, [tenantId]),
  ]);

  return {
    running,
    tenantId,
    baseUrl,
    client,
    outbound,
    outcomes,
    appointments,
    waitlist,
    api: promiseClient<schedulingApi.SchedulingServiceServer>(client, schedulingApi.SchedulingServiceService),
    turn: async (p, replyId, options = {}) => {
      const now = new Date();
      const turnId = options.turnId ?? randomUUID();
      const message = InboundMessage.fromPartial({
        messageId: `wamid.${randomUUID()}`,
        to: { channel: Channel.CHANNEL_WHATSAPP, endpointId: WHATSAPP_NUMBER, displayAddress: '34910000001', accountId: '102290129340398' },
        from: { channel: Channel.CHANNEL_WHATSAPP, channelUserId: p.channelUserId, phoneE164: `+${p.channelUserId}`, profileName: 'Paciente Prueba' },
        sentAt: now,
        receivedAt: now,
        content: options.text !== undefined ? { $case: 'text', value: { body: options.text } } : { $case: 'interactiveReply', value: { kind: InteractiveReplyKind.INTERACTIVE_REPLY_KIND_LIST, id: replyId, title: '', description: '' } },
      });
      const turn = SkillTurn.fromPartial({
        turnId,
        contactId: p.contactId,
        conversationId: `conv-${p.contactId}`,
        patientIds: p.patientIds,
        language: p.language,
        endpoint: message.to,
        // Routing hands the full identity over; scheduling must keep only channel + channel_user_id.
        recipient: message.from,
        message,
        replyId,
        reason: options.reason ?? (replyId.startsWith('menu:') ? DispatchReason.DISPATCH_REASON_MENU : DispatchReason.DISPATCH_REASON_REPLY_NAMESPACE),
        windowOpen: true,
        receivedAt: now,
        facilityId: 'madrid-central',
      });
      const meta = await bus.publish(Topics.schedulingTurn, turn, { key: p.contactId, tenantId, facilityId: 'madrid-central', id: options.turnId ? `turn-${options.turnId}` : randomUUID() });
      return meta.id;
    },
    answersTo: async (eventId, expected, timeoutMs = 30_000) => {
      const mine = () => outbound.received().filter((e: TappedEvent<OutboundMessageCommand>) => e.meta.causationId === eventId);
      await waitFor(`${expected} answer(s) to ${eventId}`, () => mine().length >= expected, timeoutMs);
      await new Promise((resolve) => setTimeout(resolve, 300));
      return mine().map((e) => e.payload);
    },
    another: async (extra) => {
      const r = await start(extra);
      others.push(r);
      return r;
    },
    stop: async () => {
      client.close();
      await Promise.all([outbound.stop(), outcomes.stop(), appointments.stop(), waitlist.stop()]);
      await bus.close();
      for (const o of others) await o.stop();
      await running.stop();
    },
  };
}

/** A small network through the admin API: two facilities in different zones, two departments. */
export async function seedSmallNetwork(s: SchedulingUnderTest, options: { slotMinutes?: number; capacity?: number; hours?: { start: string; end: string } } = {}): Promise<void> {
  const c = s.api;
  const t = s.tenantId;
  await c.upsertFacility({ facility: { tenantId: t, facilityId: 'madrid-central', name: 'Hospital Madrid Central', timeZone: 'Europe/Madrid', address: 'Calle de Alcalá 100', city: 'Madrid', country: 'ES' } });
  await c.upsertFacility({ facility: { tenantId: t, facilityId: 'istanbul-levent', name: 'Levent Hastanesi', timeZone: 'Europe/Istanbul', address: 'Büyükdere Cd. 185', city: 'İstanbul', country: 'TR' } });
  for (const departmentId of ['cardiology', 'dermatology']) {
    await c.upsertDepartment({ department: { tenantId: t, departmentId, name: departmentId, serviceTypes: [{ code: 'consultation', name: 'Consultation', minutes: options.slotMinutes ?? 30 }], maxFutureBookingsPerPatient: 0 } });
  }
  const practitioners = [
    { id: 'p-garcia', name: 'Dra. Ana García', facility: 'madrid-central', department: 'cardiology', languages: ['es', 'en'] },
    { id: 'p-yilmaz', name: 'Dr. Mehmet Yılmaz', facility: 'istanbul-levent', department: 'cardiology', languages: ['tr', 'en'] },
    { id: 'p-lopez', name: 'Dr. Luis López', facility: 'madrid-central', department: 'dermatology', languages: ['es'] },
  ];
  for (const p of practitioners) {
    await c.upsertPractitioner({ practitioner: { tenantId: t, practitionerId: p.id, name: p.name, departmentIds: [p.department], facilityIds: [p.facility], roles: ['doctor'], languages: p.languages, active: true } });
    await c.upsertSchedule({
      schedule: {
        tenantId: t,
        scheduleId: `s-${p.id}`,
        practitionerId: p.id,
        facilityId: p.facility,
        departmentId: p.department,
        serviceType: 'consultation',
        slotMinutes: 0,
        capacity: options.capacity ?? 1,
        hours: [{ weekdays: [1, 2, 3, 4, 5, 6, 7], start: options.hours?.start ?? '08:00', end: options.hours?.end ?? '20:00' }],
        exceptions: [],
        validFrom: '2020-01-01',
        validTo: '',
      },
    });
  }
}

export function listOf(command: OutboundMessageCommand | undefined) {
  return command?.content?.$case === 'interactiveList' ? command.content.value : undefined;
}
export function buttonsOf(command: OutboundMessageCommand | undefined) {
  return command?.content?.$case === 'replyButtons' ? command.content.value : undefined;
}
export function textOf(command: OutboundMessageCommand | undefined): string {
  return command?.content?.$case === 'text' ? command.content.value.body : '';
}

const len = (text: string) => Array.from(new Intl.Segmenter().segment(text)).length;

/** Meta's limits for interactive messages: the gateway would reject any command breaking them. */
export function expectWithinMetaLimits(command: OutboundMessageCommand): void {
  const list = listOf(command);
  if (list) {
    const rows = list.sections.flatMap((sec) => sec.rows);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThanOrEqual(10);
    expect(list.sections.length).toBeLessThanOrEqual(10);
    expect(len(list.button)).toBeLessThanOrEqual(20);
    expect(len(list.body)).toBeLessThanOrEqual(4096);
    for (const sec of list.sections) expect(len(sec.title)).toBeLessThanOrEqual(24);
    for (const r of rows) {
      expect(len(r.title)).toBeLessThanOrEqual(24);
      expect(len(r.description)).toBeLessThanOrEqual(72);
      expect(r.id.length).toBeLessThanOrEqual(200);
      expect(r.id.startsWith('sched:')).toBe(true);
    }
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
  }
  const buttons = buttonsOf(command);
  if (buttons) {
    expect(buttons.buttons.length).toBeGreaterThan(0);
    expect(buttons.buttons.length).toBeLessThanOrEqual(3);
    expect(len(buttons.body)).toBeLessThanOrEqual(1024);
    for (const b of buttons.buttons) {
      expect(len(b.title)).toBeLessThanOrEqual(20);
      expect(b.id.length).toBeLessThanOrEqual(256);
      expect(b.id.startsWith('sched:')).toBe(true);
    }
    expect(new Set(buttons.buttons.map((b) => b.title)).size).toBe(buttons.buttons.length);
  }
}
