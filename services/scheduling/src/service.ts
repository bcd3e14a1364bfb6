import { Topics, schedulingApi, type EventDefinition } from '@careloop/contracts';
import { on } from '@careloop/bus';
import { Counter } from '@careloop/observability';
import { defineService } from '@careloop/service-kit';
import { SkillResponder } from '@careloop/skill-kit';
import { schedulingSettings } from './config';
import { offsetClock } from './domain/clock';
import { Catalog } from './i18n/catalog';
import { AppointmentEvents } from './adapters/appointment-events';
import { AppointmentStore } from './adapters/appointment-store';
import { CalendarLinks } from './adapters/calendar-links';
import { DialogueStore } from './adapters/dialogue-store';
import { DirectoryStore } from './adapters/directory-store';
import { PatientBookingLock } from './adapters/patient-booking-lock';
import { schedulingGrpc } from './adapters/grpc-api';
import { SlotDays, SlotHolds } from './adapters/slot-store';
import { WaitlistEntries, WaitlistOffers } from './adapters/waitlist-store';
import { Appointments } from './use-cases/appointments';
import { BookingDialogue } from './use-cases/booking-dialogue';
import { ManageDirectory } from './use-cases/manage-directory';
import { MarkNoShows } from './use-cases/mark-no-shows';
import { SearchSlots } from './use-cases/search-slots';
import { Waitlist } from './use-cases/waitlist';

export const SCHEDULING_TOPICS = [Topics.schedulingTurn, Topics.outboundCommand, Topics.skillOutcome, Topics.appointmentChanged, Topics.waitlistChanged] as readonly EventDefinition<unknown>[];

/** scheduling's composition root. */
export const schedulingService = defineService({
  name: 'scheduling',
  needs: { kafka: true, mongo: true, redis: true, phi: true, http: true, grpc: true },
  ports: { ops: 9082, http: 8082, grpc: 50052 },
  settings: schedulingSettings,
  topics: SCHEDULING_TOPICS,
  start: async (ctx) => {
    const { config, logger, bus, mongo, redis, cipher, http, grpc, processedEvents } = ctx;
    if (!bus || !mongo || !redis || !cipher || !http || !grpc || !processedEvents) throw new Error('scheduling needs Kafka, MongoDB, Redis, PHI keys, HTTP and gRPC');

    const clock = offsetClock(config.SCHEDULING_CLOCK_OFFSET_MS);
    const catalog = Catalog.load();
    const directory = new DirectoryStore(mongo);
    const days = new SlotDays(mongo);
    const holds = new SlotHolds(mongo);
    const appointmentStore = new AppointmentStore(mongo, cipher);
    const entries = new WaitlistEntries(mongo, cipher);
    const offers = new WaitlistOffers(mongo);
    await Promise.all([directory.init(), days.init(), holds.init(), appointmentStore.init(), entries.init(), offers.init()]);

    const responder = new SkillResponder(bus, 'scheduling');
    const bookingLock = new PatientBookingLock(redis);
    const calendar = new CalendarLinks(redis, config.SCHEDULING_PUBLIC_BASE_URL, config.SCHEDULING_ICS_TTL_HOURS * 3600);
    http.use(calendar.router());
    const search = new SearchSlots(days, holds, directory);
    const manage = new ManageDirectory(directory, days, clock, config.SCHEDULING_HORIZON_DAYS);

    // The waitlist and the appointments call each other (a freed slot is offered; an accepted offer books).
    const late: { dialogue?: BookingDialogue; appointments?: Appointments } = {};
    const waitlist = new Waitlist({
      entries,
      offers,
      holds,
      directory,
      appointments: () => late.appointments as Appointments,
      bus,
      clock,
      offerMinutes: config.SCHEDULING_WAITLIST_OFFER_MINUTES,
      parallelOffers: config.SCHEDULING_WAITLIST_PARALLEL_OFFERS,
      notify: () => (entry, offer) => (late.dialogue ? late.dialogue.sendOffer(entry, offer) : Promise.resolve()),
    });
    const appointments = new Appointments({
      appointments: appointmentStore,
      days,
      holds,
      directory,
      events: new AppointmentEvents(bus, directory),
      clock,
      maxFutureBookingsPerDepartment: config.SCHEDULING_MAX_FUTURE_BOOKINGS,
      onePatientAtATime: (tenantId, patientId, departmentId, work) => bookingLock.around(tenantId, patientId, departmentId, work),
      onSlotFreed: (slot) =>
        waitlist.onSlotFreed(slot).catch((error: unknown) => logger.warn({ err: { name: error instanceof Error ? error.name : 'Error' } }, 'waitlist offer failed')),
    });
    late.appointments = appointments;
    const dialogue = new BookingDialogue({
      responder,
      catalog,
      dialogues: new DialogueStore(redis, config.SCHEDULING_DIALOGUE_TTL_MINUTES * 60),
      directory,
      appointments,
      search,
      waitlist,
      calendar,
      clock,
      horizonDays: config.SCHEDULING_HORIZON_DAYS,
      offerMinutes: config.SCHEDULING_WAITLIST_OFFER_MINUTES,
      logger,
    });

    grpc.add({
      name: 'careloop.scheduling.v1.SchedulingService',
      definition: schedulingApi.SchedulingServiceService,
      implementation: schedulingGrpc({ manage, directory, search, appointments, waitlist, horizonDays: config.SCHEDULING_HORIZON_DAYS, now: () => clock.now(), logger }),
      protoFile: 'careloop/scheduling/v1/scheduling.proto',
    });

    late.dialogue = dialogue;
    const booking = dialogue;
    const turns = bus.consumer({
      group: 'scheduling.turns',
      processed: processedEvents,
      partitionsConcurrently: config.TURN_CONCURRENCY,
      keysConcurrently: config.TURN_KEY_CONCURRENCY,
      handlers: [on(Topics.schedulingTurn, (event) => booking.execute(event))],
    });
    await turns.start();

    const noShows = new MarkNoShows(appointmentStore, appointments, clock, config.SCHEDULING_NO_SHOW_GRACE_MINUTES, config.SCHEDULING_NO_SHOW_LOOKBACK_HOURS);
    const marked = new Counter({ name: 'careloop_scheduling_no_shows_marked_total', help: 'Appointments the sweep marked no-show.', registers: [ctx.metrics] });
    const expired = new Counter({ name: 'careloop_scheduling_waitlist_offers_expired_total', help: 'Waitlist offers that expired unanswered.', registers: [ctx.metrics] });
    let sweeping = false;
    // Slots are generated SCHEDULING_HORIZON_DAYS ahead; once a (UTC) day, including the first
    // sweep after a start, each schedule gets the days the calendar has moved into.
    let horizonExtendedFor = '';
    const sweep = async () => {
      if (sweeping) return;
      sweeping = true;
      try {
        const today = clock.now().toISOString().slice(0, 10);
        let extendHorizon = horizonExtendedFor !== today;
        for (const tenantId of await directory.tenantIds()) {
          if (extendHorizon) {
            // A failure here must not hold up no-shows and waitlist offers; the next sweep retries.
            await manage.extendHorizon(tenantId).catch((error: unknown) => {
              extendHorizon = false;
              logger.warn({ err: { name: error instanceof Error ? error.name : 'Error' } }, 'slot horizon not extended');
            });
          }
          marked.inc(await noShows.execute(tenantId));
          expired.inc(await waitlist.sweep(tenantId));
        }
        if (extendHorizon) horizonExtendedFor = today;
      } finally {
        sweeping = false;
      }
    };
    const timer = setInterval(() => {
      sweep().catch((error: unknown) => logger.warn({ err: { name: error instanceof Error ? error.name : 'Error' } }, 'scheduling sweep failed'));
    }, config.SCHEDULING_SWEEP_MS);
    timer.unref();
    ctx.onShutdown(() => {
      clearInterval(timer);
      return Promise.resolve();
    });
  },
});
