import { Topics, type EventDefinition } from '@careloop/contracts';
import { on } from '@careloop/bus';
import { defineService } from '@careloop/service-kit';
import { SkillResponder } from '@careloop/skill-kit';
import { remindersSettings } from './config';
import { offsetClock } from './domain/clock';
import { Catalog } from './i18n/catalog';
import { AppointmentLedger } from './adapters/appointment-ledger';
import { ContactStore } from './adapters/contact-store';
import { DueIndex } from './adapters/due-index';
import { FiringLoop } from './adapters/firing-loop';
import { remindersGrpcService } from './adapters/grpc/reminders-api';
import { PlanStore } from './adapters/plan-store';
import { ReminderEvents } from './adapters/reminder-events';
import { ReminderStore } from './adapters/reminder-store';
import { NoopSender, ResponderSender } from './adapters/responder-sender';
import { SchedulingClient } from './adapters/scheduling-client';
import { AnswerReminderTurn } from './use-cases/answer-reminder-turn';
import { FireDueReminders } from './use-cases/fire-due-reminders';
import { ManagePlans } from './use-cases/manage-plans';
import { PlanScheduler } from './use-cases/plan-scheduler';
import type { ReminderDeps } from './use-cases/ports';
import { RebuildDueIndex } from './use-cases/rebuild-due-index';
import { RecordConsent } from './use-cases/record-consent';
import { RecordDelivery } from './use-cases/record-delivery';
import { ReminderMessages } from './use-cases/reminder-messages';
import { ScheduleAppointmentReminders } from './use-cases/schedule-appointment-reminders';

export const REMINDERS_TOPICS = [
  Topics.appointmentChanged,
  Topics.consentChanged,
  Topics.remindersTurn,
  Topics.outboundCommand,
  Topics.outboundResult,
  Topics.messageStatus,
  Topics.skillOutcome,
  Topics.reminderChanged,
  Topics.observationRecorded,
] as readonly EventDefinition<unknown>[];

/** reminders' composition root. */
export const remindersService = defineService({
  name: 'reminders',
  needs: { kafka: true, mongo: true, redis: true, phi: true, grpc: true },
  ports: { ops: 9083, grpc: 50053 },
  settings: remindersSettings,
  topics: REMINDERS_TOPICS,
  start: async (ctx) => {
    const { config, logger } = ctx;
    const { bus, mongo, redis, cipher, grpc, processedEvents } = ctx;
    if (!bus || !mongo || !redis || !cipher || !grpc || !processedEvents) throw new Error('reminders needs Kafka, MongoDB, Redis, PHI keys and gRPC');

    const reminders = new ReminderStore(mongo);
    const namespace = config.REMINDERS_REDIS_NAMESPACE ? `${config.REMINDERS_REDIS_NAMESPACE}:` : '';
    const contacts = new ContactStore(mongo, redis, namespace);
    const appointments = new AppointmentLedger(mongo);
    const plans = new PlanStore(mongo);
    await Promise.all([reminders.init(), contacts.init(), appointments.init(), plans.init()]);
    const index = new DueIndex(redis, namespace);
    await new RebuildDueIndex(reminders, index, logger).execute();

    const clock = offsetClock(config.REMINDERS_CLOCK_OFFSET_MS);
    const deps: ReminderDeps = { reminders, contacts, appointments, plans, index, events: new ReminderEvents(bus), cipher, clock, policies: config.REMINDERS_POLICIES, logger };
    const responder = new SkillResponder(bus, 'reminders');
    const messages = new ReminderMessages(Catalog.load());
    const planScheduler = new PlanScheduler(deps);
    const scheduling = new SchedulingClient(config.SCHEDULING_GRPC_ADDRESS);
    ctx.onShutdown(() => {
      scheduling.close();
      return Promise.resolve();
    });

    grpc.add(remindersGrpcService(new ManagePlans(deps, planScheduler), logger));

    const scheduleAppointment = new ScheduleAppointmentReminders(deps);
    const recordConsent = new RecordConsent(contacts);
    const delivery = new RecordDelivery(deps);
    const answerTurn = new AnswerReminderTurn(deps, contacts, scheduling, responder, messages, planScheduler, bus);

    const events = bus.consumer({
      group: 'reminders.events',
      processed: processedEvents,
      partitionsConcurrently: config.EVENT_CONCURRENCY,
      handlers: [
        on(Topics.appointmentChanged, (event) => scheduleAppointment.execute(event)),
        on(Topics.consentChanged, (event) => recordConsent.execute(event)),
      ],
    });
    const statuses = bus.consumer({
      group: 'reminders.statuses',
      processed: processedEvents,
      partitionsConcurrently: config.EVENT_CONCURRENCY,
      keysConcurrently: 8,
      handlers: [on(Topics.outboundResult, (event) => delivery.onResult(event)), on(Topics.messageStatus, (event) => delivery.onStatus(event))],
    });
    const turns = bus.consumer({
      group: 'reminders.turns',
      processed: processedEvents,
      partitionsConcurrently: config.TURN_CONCURRENCY,
      handlers: [on(Topics.remindersTurn, (event) => answerTurn.execute(event))],
    });
    await Promise.all([events.start(), statuses.start(), turns.start()]);

    const sender = config.REMINDERS_SENDER === 'noop' ? new NoopSender() : new ResponderSender(responder);
    const loop = new FiringLoop(
      index,
      new FireDueReminders(deps, sender, messages, planScheduler),
      clock,
      {
        ratePerNumber: config.REMINDERS_RATE_PER_NUMBER,
        maxBatch: config.REMINDERS_BATCH,
        tickMs: config.REMINDERS_TICK_MS,
        leaseMs: config.REMINDERS_LEASE_MS,
        ownerTtlMs: config.REMINDERS_OWNER_TTL_MS,
        batchesPerNumber: config.REMINDERS_BATCHES_PER_NUMBER,
      },
      logger,
      ctx.metrics,
      () => ctx.readiness.isDraining,
    );
    loop.start();
    // Registered last, so it runs first at shutdown: the loop stops taking timers and finishes its batches.
    ctx.onShutdown(() => loop.stop());
  },
});
