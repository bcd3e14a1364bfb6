import { MediaKind, type SkillTurn } from '@careloop/contracts';
import { nameBasedId, type ReceivedEvent } from '@careloop/bus';
import { buttonsMessage, listMessage, replyIdParts, textMessage, type ListRowInput, type MessageContent, type SkillResponder, type TurnOutcome } from '@careloop/skill-kit';
import { WHATSAPP_LIMITS } from '@careloop/i18n';
import type { Logger } from '@careloop/observability';
import { isLanguage, type Catalog, type Language, type MessageKey } from '../i18n/catalog';
import { fit, showTime } from '../domain/format';
import { calendarFile } from '../domain/ics';
import type { Clock } from '../domain/clock';
import type { Addressing, AppointmentRecord } from '../adapters/appointment-store';
import type { CalendarLinks } from '../adapters/calendar-links';
import type { DialogueState, DialogueStore } from '../adapters/dialogue-store';
import type { DirectoryStore, TenantDirectory } from '../adapters/directory-store';
import type { WaitlistEntry, WaitlistOffer } from '../adapters/waitlist-store';
import type { Appointments } from './appointments';
import type { FreeSlot, SearchSlots } from './search-slots';
import type { Waitlist } from './waitlist';

/** WhatsApp: at most 10 rows per list; one is kept for "more times". */
const MAX_ROWS = 10;

interface Turn {
  readonly event: ReceivedEvent<SkillTurn>;
  readonly tenantId: string;
  readonly contactId: string;
  readonly language: Language;
  readonly patientIds: readonly string[];
  readonly state: DialogueState;
  readonly directory: TenantDirectory;
}

interface Answer {
  readonly messages: MessageContent[];
  readonly outcome: TurnOutcome;
  readonly state?: DialogueState | undefined;
}

/**
 * The booking dialogue, scheduling's skill: department → practitioner or first available →
 * a slot from a list of at most 10 rows → confirm → confirmation with a calendar file; and
 * the patient's upcoming appointments to move or cancel. Reply ids are "sched:<step>:<id>"
 * with short ids only. A redelivered turn books nothing twice (the request id is the turn id).
 */
export class BookingDialogue {
  constructor(
    private readonly deps: {
      readonly responder: SkillResponder;
      readonly catalog: Catalog;
      readonly dialogues: DialogueStore;
      readonly directory: DirectoryStore;
      readonly appointments: Appointments;
      readonly search: SearchSlots;
      readonly waitlist: Waitlist;
      readonly calendar: CalendarLinks;
      readonly clock: Clock;
      readonly horizonDays: number;
      readonly offerMinutes: number;
      readonly logger: Logger;
    },
  ) {}

  async execute(event: ReceivedEvent<SkillTurn>): Promise<void> {
    const t = event.payload;
    const turn: Turn = {
      event,
      tenantId: event.tenantId,
      contactId: t.contactId,
      language: isLanguage(t.language) ? t.language : 'en',
      patientIds: t.patientIds.length > 0 ? t.patientIds : [t.contactId],
      state: await this.deps.dialogues.get(event.tenantId, t.contactId),
      directory: await this.deps.directory.directory(event.tenantId),
    };
    let answer: Answer;
    try {
      answer = await this.route(turn, t.replyId);
    } catch (error) {
      this.deps.logger.warn({ err: { name: error instanceof Error ? error.name : 'Error' }, turnId: t.turnId }, 'booking turn failed');
      answer = { messages: [textMessage(this.t(turn, 'error.body'))], outcome: { kind: 'hand-back', reason: 'scheduling_error' }, state: {} };
    }
    if (answer.state) {
      if (answer.outcome.kind === 'continue') await this.deps.dialogues.put(turn.tenantId, turn.contactId, answer.state);
      else await this.deps.dialogues.clear(turn.tenantId, turn.contactId);
    }
    await this.deps.responder.answer(event, answer.messages, answer.outcome);
  }

  private async route(turn: Turn, replyId: string): Promise<Answer> {
    if (replyId === 'menu:book') return this.start(turn, { flow: 'book' });
    if (replyId === 'menu:appointments') return this.start(turn, { flow: 'manage' });
    const [ns, step = '', a = '', b = ''] = replyIdParts(replyId);
    if (ns !== 'sched') return this.resume(turn);
    switch (step) {
      case 'book': {
        // Offers from other skills name the department: "sched:book:<department>" (reminders'
        // follow-up) and "sched:book:dept:<department>" (triage's outcome). One we do not
        // know (renamed, another facility's) falls back to the full list rather than failing.
        const departmentId = a === 'dept' ? b : a;
        return this.start(turn, { flow: 'book', ...(turn.directory.departments.has(departmentId) ? { departmentId } : {}) });
      }
      case 'who': {
        const patientId = turn.patientIds[Number(a)];
        if (!patientId) return this.resume(turn);
        return this.afterPatientChosen(turn, { ...turn.state, patientId });
      }
      case 'dep':
        if (!turn.directory.departments.has(a)) return this.resume(turn);
        return this.practitioners(turn, { ...turn.state, flow: turn.state.flow === 'reschedule' ? 'reschedule' : 'book', departmentId: a });
      case 'pr':
        return this.slots(turn, { ...turn.state, practitionerId: a === 'any' || turn.directory.practitioners.has(a) ? a : 'any' });
      case 'more':
        return this.slots(turn, turn.state, this.cursor(a));
      case 'other':
        return this.slots(turn, turn.state);
      case 'slot':
        return this.confirmSlot(turn, a);
      case 'ok':
        return this.book(turn, a);
      case 'quit':
        return { messages: [textMessage(this.t(turn, 'book.quit.body'))], outcome: { kind: 'done', reason: 'patient_quit' }, state: {} };
      case 'menu':
        return { messages: [], outcome: { kind: 'done', reason: 'back_to_menu' }, state: {} };
      case 'appt':
        return this.appointmentActions(turn, a);
      case 'mv':
        return this.startReschedule(turn, a);
      case 'cx':
        return this.confirmCancel(turn, a);
      case 'cxy':
        return this.cancel(turn, a);
      case 'keep':
        return { messages: [textMessage(this.t(turn, 'keep.body'))], outcome: { kind: 'done' }, state: {} };
      case 'wl':
        return this.waitlistReply(turn, a, b);
      default:
        return this.resume(turn);
    }
  }

  // --- steps --------------------------------------------------------------

  private start(turn: Turn, state: DialogueState): Promise<Answer> {
    if (turn.patientIds.length > 1) {
      const rows = turn.patientIds.slice(0, MAX_ROWS).map((_, i) => ({ id: `sched:who:${i}`, title: fit(this.t(turn, 'who.row.patient.title', { n: i + 1 }), WHATSAPP_LIMITS.listRowTitle) }));
      return Promise.resolve({
        messages: [listMessage({ body: this.t(turn, 'who.body'), button: this.t(turn, 'who.button'), sections: [{ title: this.t(turn, 'who.section'), rows }] })],
        outcome: { kind: 'continue' },
        state,
      });
    }
    return this.afterPatientChosen(turn, { ...state, patientId: turn.patientIds[0] });
  }

  /** Once we know for whom: their appointments, the departments, or straight to a preselected department. */
  private afterPatientChosen(turn: Turn, state: DialogueState): Promise<Answer> {
    if (state.flow === 'manage') return this.upcoming({ ...turn, state });
    if (state.departmentId) return this.practitioners({ ...turn, state }, state);
    return this.departments({ ...turn, state });
  }

  private departments(turn: Turn): Promise<Answer> {
    const rows = [...turn.directory.departments.values()]
      .sort((x, y) => x.departmentId.localeCompare(y.departmentId))
      .slice(0, MAX_ROWS)
      .map((d) => ({ id: `sched:dep:${d.departmentId}`, title: this.departmentName(turn, d.departmentId) }));
    return Promise.resolve({
      messages: [listMessage({ body: this.t(turn, 'book.departments.body'), button: this.t(turn, 'book.departments.button'), sections: [{ title: this.t(turn, 'book.departments.section'), rows }] })],
      outcome: { kind: 'continue' },
      state: { ...turn.state, flow: turn.state.flow ?? 'book' },
    });
  }

  private practitioners(turn: Turn, state: DialogueState): Promise<Answer> {
    const facilityId = turn.event.payload.facilityId || turn.event.facilityId;
    const department = state.departmentId ?? '';
    const inDepartment = [...turn.directory.practitioners.values()]
      .filter((p) => p.active && p.departmentIds.includes(department))
      // Practitioners of the facility the patient wrote to first.
      .sort((x, y) => Number(y.facilityIds.includes(facilityId)) - Number(x.facilityIds.includes(facilityId)) || x.name.localeCompare(y.name));
    const rows: ListRowInput[] = [
      { id: 'sched:pr:any', title: this.t(turn, 'book.row.any.title'), description: this.t(turn, 'book.row.any.description') },
      ...inDepartment.slice(0, MAX_ROWS - 1).map((p) => ({
        id: `sched:pr:${p.practitionerId}`,
        title: fit(p.name, WHATSAPP_LIMITS.listRowTitle),
        description: fit(p.facilityIds.map((f) => turn.directory.facilities.get(f)?.name ?? f).join(', '), WHATSAPP_LIMITS.listRowDescription),
      })),
    ];
    return Promise.resolve({
      messages: [
        listMessage({
          body: this.t(turn, 'book.practitioners.body', { department: this.departmentName(turn, department) }),
          button: this.t(turn, 'book.practitioners.button'),
          sections: [{ title: this.t(turn, 'book.practitioners.section'), rows }],
        }),
      ],
      outcome: { kind: 'continue' },
      state,
    });
  }

  /** The free slots list: at most 9 slots and a "more times" row when there are more. */
  private async slots(turn: Turn, state: DialogueState, from?: Date, lead: MessageContent[] = []): Promise<Answer> {
    if (!state.departmentId) return this.departments({ ...turn, state });
    const now = this.deps.clock.now();
    const start = from && from.getTime() > now.getTime() ? from : now;
    const found = await this.deps.search.execute({
      tenantId: turn.tenantId,
      departmentId: state.departmentId,
      practitionerId: state.practitionerId && state.practitionerId !== 'any' ? state.practitionerId : undefined,
      from: start,
      to: new Date(now.getTime() + this.deps.horizonDays * 86_400_000),
      limit: MAX_ROWS,
    });
    const department = this.departmentName(turn, state.departmentId);
    if (found.length === 0) {
      return {
        messages: [...lead, buttonsMessage({ body: this.t(turn, 'book.slots.none', { department }), buttons: [{ id: 'sched:wl:join', title: this.t(turn, 'book.reply.yes') }, { id: 'sched:menu', title: this.t(turn, 'book.reply.menu') }] })],
        outcome: { kind: 'continue' },
        state,
      };
    }
    const more = found.length === MAX_ROWS;
    const shown = more ? found.slice(0, MAX_ROWS - 1) : found;
    const rows: ListRowInput[] = shown.map((s) => this.slotRow(turn, s));
    const last = shown[shown.length - 1];
    if (more && last) rows.push({ id: `sched:more:${(Math.round(last.start.getTime() / 60_000) + 1).toString(36)}`, title: this.t(turn, 'book.row.more.title'), description: this.t(turn, 'book.row.more.description') });
    return {
      messages: [...lead, listMessage({ body: this.t(turn, 'book.slots.body', { department }), button: this.t(turn, 'book.slots.button'), sections: [{ title: this.t(turn, 'book.slots.section'), rows }] })],
      outcome: { kind: 'continue' },
      state,
    };
  }

  private async confirmSlot(turn: Turn, slotId: string): Promise<Answer> {
    const slot = await this.deps.appointments.resolveSlot(turn.tenantId, slotId);
    if (!slot) return this.slots(turn, turn.state, undefined, [textMessage(this.t(turn, 'book.unavailable.body'))]);
    const place = this.place(turn, { facilityId: slot.facilityId, departmentId: slot.departmentId, practitionerId: slot.practitionerId, start: new Date(slot.startMinute * 60_000) });
    return {
      messages: [
        buttonsMessage({
          body: this.t(turn, 'book.confirm.body', place),
          buttons: [
            { id: `sched:ok:${slotId}`, title: this.t(turn, 'book.reply.confirm') },
            { id: 'sched:other', title: this.t(turn, 'book.reply.other') },
            { id: 'sched:quit', title: this.t(turn, 'book.reply.cancel') },
          ],
        }),
      ],
      outcome: { kind: 'continue' },
      state: { ...turn.state, departmentId: turn.state.departmentId ?? slot.departmentId },
    };
  }

  private async book(turn: Turn, slotId: string): Promise<Answer> {
    const t = turn.event.payload;
    const state = turn.state;
    const moving = state.flow === 'reschedule' && state.appointmentId ? await this.ownAppointment(turn, state.appointmentId) : undefined;
    const result = moving
      ? await this.deps.appointments.reschedule(turn.tenantId, moving.appointmentId, slotId, t.turnId, 'patient')
      : await this.deps.appointments.book({
          tenantId: turn.tenantId,
          requestId: t.turnId,
          slotId,
          patientId: state.patientId ?? turn.patientIds[0] ?? t.contactId,
          contactId: t.contactId,
          bookingChannel: 'chat',
          addressing: this.addressing(turn),
          language: turn.language,
          source: 'patient',
        });
    switch (result.outcome) {
      case 'booked': {
        const a = result.appointment;
        const place = this.place(turn, a);
        const messages: MessageContent[] = [textMessage(this.t(turn, moving ? 'moved.body' : 'book.done.body', place))];
        const ics = await this.calendarMessage(turn, a);
        if (ics) messages.push(ics);
        messages.push(buttonsMessage({ body: this.t(turn, 'book.waitlist.ask.body'), buttons: [{ id: `sched:wl:join:${a.appointmentId}`, title: this.t(turn, 'book.reply.yes') }, { id: 'sched:keep', title: this.t(turn, 'book.reply.no') }] }));
        return { messages, outcome: { kind: 'done', reason: moving ? 'rescheduled' : 'booked' }, state: {} };
      }
      case 'taken': {
        const slot = await this.deps.appointments.resolveSlot(turn.tenantId, slotId);
        const from = slot ? new Date(slot.startMinute * 60_000) : undefined;
        return this.slots(turn, { ...state, departmentId: state.departmentId ?? slot?.departmentId }, from, [textMessage(this.t(turn, 'book.taken.body'))]);
      }
      case 'limit': {
        const slot = await this.deps.appointments.resolveSlot(turn.tenantId, slotId);
        const department = this.departmentName(turn, slot?.departmentId ?? state.departmentId ?? '');
        const max = turn.directory.departments.get(slot?.departmentId ?? '')?.maxFutureBookingsPerPatient;
        const count = (await this.deps.appointments.list(turn.tenantId, { patientId: state.patientId ?? turn.patientIds[0] ?? '' }, true)).filter((x) => x.departmentId === slot?.departmentId).length;
        return { messages: [textMessage(this.t(turn, 'book.limit.body', { count: count || max || 1, department }))], outcome: { kind: 'done', reason: 'booking_limit' }, state: {} };
      }
      case 'unavailable':
        return this.slots(turn, state, undefined, [textMessage(this.t(turn, 'book.unavailable.body'))]);
    }
  }

  private async upcoming(turn: Turn): Promise<Answer> {
    const patients = turn.state.patientId ? [turn.state.patientId] : turn.patientIds;
    const lists = await Promise.all(patients.map((p) => this.deps.appointments.list(turn.tenantId, { patientId: p }, true)));
    const mine = lists.flat().sort((x, y) => x.start.getTime() - y.start.getTime());
    if (mine.length === 0) {
      return {
        messages: [buttonsMessage({ body: this.t(turn, 'appts.none.body'), buttons: [{ id: 'sched:book', title: this.t(turn, 'appts.reply.book') }, { id: 'sched:menu', title: this.t(turn, 'book.reply.menu') }] })],
        outcome: { kind: 'continue' },
        state: turn.state,
      };
    }
    const rows = mine.slice(0, MAX_ROWS).map((a) => {
      const shown = showTime(a.start, this.zoneOf(turn, a.facilityId), turn.language);
      return {
        id: `sched:appt:${a.appointmentId}`,
        title: fit(this.t(turn, 'book.row.slot.title', { date: shown.shortDate, time: shown.time }), WHATSAPP_LIMITS.listRowTitle),
        description: fit(this.t(turn, 'appts.row.appointment.description', { department: this.departmentName(turn, a.departmentId), practitioner: turn.directory.practitioners.get(a.practitionerId)?.name ?? '' }), WHATSAPP_LIMITS.listRowDescription),
      };
    });
    return {
      messages: [listMessage({ body: this.t(turn, 'appts.body'), button: this.t(turn, 'appts.button'), sections: [{ title: this.t(turn, 'appts.section'), rows }] })],
      outcome: { kind: 'continue' },
      state: turn.state,
    };
  }

  private async appointmentActions(turn: Turn, appointmentId: string): Promise<Answer> {
    const a = await this.ownAppointment(turn, appointmentId);
    if (!a) return this.upcoming(turn);
    return {
      messages: [
        buttonsMessage({
          body: this.t(turn, 'appt.body', this.place(turn, a)),
          buttons: [
            { id: `sched:mv:${a.appointmentId}`, title: this.t(turn, 'appt.reply.reschedule') },
            { id: `sched:cx:${a.appointmentId}`, title: this.t(turn, 'appt.reply.cancel') },
            { id: 'sched:keep', title: this.t(turn, 'appt.reply.keep') },
          ],
        }),
      ],
      outcome: { kind: 'continue' },
      state: turn.state,
    };
  }

  private async startReschedule(turn: Turn, appointmentId: string): Promise<Answer> {
    const a = await this.ownAppointment(turn, appointmentId);
    if (!a) return this.upcoming(turn);
    return this.slots(turn, { flow: 'reschedule', appointmentId, patientId: a.patientId, departmentId: a.departmentId, practitionerId: 'any' });
  }

  private async confirmCancel(turn: Turn, appointmentId: string): Promise<Answer> {
    const a = await this.ownAppointment(turn, appointmentId);
    if (!a) return this.upcoming(turn);
    const shown = showTime(a.start, this.zoneOf(turn, a.facilityId), turn.language);
    return {
      messages: [
        buttonsMessage({
          body: this.t(turn, 'cancel.confirm.body', { date: shown.longDate, time: shown.time }),
          buttons: [
            { id: `sched:cxy:${a.appointmentId}`, title: this.t(turn, 'cancel.reply.yes') },
            { id: 'sched:keep', title: this.t(turn, 'cancel.reply.no') },
          ],
        }),
      ],
      outcome: { kind: 'continue' },
      state: turn.state,
    };
  }

  private async cancel(turn: Turn, appointmentId: string): Promise<Answer> {
    const a = await this.ownAppointment(turn, appointmentId);
    if (!a) return this.upcoming(turn);
    const cancelled = await this.deps.appointments.cancel(turn.tenantId, a.appointmentId, 'pat', 'patient');
    const shown = showTime(cancelled.start, this.zoneOf(turn, cancelled.facilityId), turn.language);
    return { messages: [textMessage(this.t(turn, 'cancel.done.body', { date: shown.longDate, time: shown.time }))], outcome: { kind: 'done', reason: 'cancelled' }, state: {} };
  }

  private async waitlistReply(turn: Turn, action: string, id: string): Promise<Answer> {
    const t = turn.event.payload;
    switch (action) {
      case 'join': {
        const a = id ? await this.ownAppointment(turn, id) : undefined;
        await this.deps.waitlist.join({
          tenantId: turn.tenantId,
          requestId: `${t.contactId}:${a?.appointmentId ?? turn.state.departmentId ?? ''}:${t.turnId}`,
          departmentId: a?.departmentId ?? turn.state.departmentId ?? '',
          practitionerId: a ? '' : turn.state.practitionerId && turn.state.practitionerId !== 'any' ? turn.state.practitionerId : '',
          facilityId: '',
          patientId: a?.patientId ?? turn.state.patientId ?? turn.patientIds[0] ?? t.contactId,
          contactId: t.contactId,
          addressing: this.addressing(turn),
          language: turn.language,
          currentAppointmentId: a?.appointmentId ?? '',
          before: a ? a.start : new Date(this.deps.clock.now().getTime() + this.deps.horizonDays * 86_400_000),
        });
        return { messages: [textMessage(this.t(turn, 'book.waitlist.joined.body'))], outcome: { kind: 'done', reason: 'waitlist_joined' }, state: {} };
      }
      case 'yes': {
        const r = await this.deps.waitlist.accept(turn.tenantId, id, t.turnId).catch(() => ({ outcome: 'gone' as const }));
        if (r.outcome !== 'booked' || r.result.outcome !== 'booked') return { messages: [textMessage(this.t(turn, 'offer.gone.body'))], outcome: { kind: 'done', reason: 'offer_gone' }, state: {} };
        const a = r.result.appointment;
        const messages: MessageContent[] = [textMessage(this.t(turn, a.rescheduleCount > 0 ? 'moved.body' : 'book.done.body', this.place(turn, a)))];
        const ics = await this.calendarMessage(turn, a);
        if (ics) messages.push(ics);
        return { messages, outcome: { kind: 'done', reason: 'waitlist_accepted' }, state: {} };
      }
      case 'no':
        await this.deps.waitlist.decline(turn.tenantId, id).catch(() => undefined);
        return { messages: [textMessage(this.t(turn, 'offer.declined.body'))], outcome: { kind: 'done', reason: 'waitlist_declined' }, state: {} };
      default:
        return this.resume(turn);
    }
  }

  /** Free text or an unknown reply in the middle of the dialogue: say so, and show the step again. */
  private async resume(turn: Turn): Promise<Answer> {
    const hint = textMessage(this.t(turn, 'fallback.body'));
    if (turn.state.departmentId && turn.state.practitionerId) return this.slots(turn, turn.state, undefined, [hint]);
    if (turn.state.departmentId) {
      const a = await this.practitioners(turn, turn.state);
      return { ...a, messages: [hint, ...a.messages] };
    }
    const a = await (turn.state.flow === 'manage' ? this.upcoming(turn) : this.departments(turn));
    return { ...a, messages: [hint, ...a.messages] };
  }

  // --- waitlist offers (messages scheduling starts itself) -------------------

  /** Sends a waitlist offer with Take it / No thanks buttons; gateway sends it at most once. */
  async sendOffer(entry: WaitlistEntry, offer: WaitlistOffer): Promise<void> {
    if (!entry.addressing?.channelUserId) return;
    const directory = await this.deps.directory.directory(entry.tenantId);
    const language: Language = isLanguage(entry.language) ? entry.language : 'en';
    const practitioner = directory.practitioners.get(offer.practitionerId);
    const facilityId = offer.slotId.split('@')[1] ?? '';
    const facility = directory.facilities.get(facilityId);
    const shown = showTime(offer.start, facility?.timeZone ?? 'UTC', language);
    const department = this.deps.catalog.keys.includes(`department.row.${offer.departmentId}.title` as MessageKey)
      ? this.deps.catalog.t(language, `department.row.${offer.departmentId}.title` as MessageKey)
      : (directory.departments.get(offer.departmentId)?.name ?? offer.departmentId);
    const body = this.deps.catalog.t(language, 'offer.body', { date: shown.longDate, time: shown.time, practitioner: practitioner?.name ?? '', department, facility: facility?.name ?? '', minutes: this.deps.offerMinutes });
    await this.deps.responder.notify(
      {
        tenantId: entry.tenantId,
        facilityId,
        contactId: entry.contactId,
        endpoint: { channel: entry.addressing.channel, endpointId: entry.addressing.endpointId, displayAddress: entry.addressing.displayAddress, accountId: entry.addressing.accountId },
        recipient: { channel: entry.addressing.channel, channelUserId: entry.addressing.channelUserId },
      },
      buttonsMessage({
        body,
        buttons: [
          { id: `sched:wl:yes:${offer.offerId}`, title: this.deps.catalog.t(language, 'offer.reply.take') },
          { id: `sched:wl:no:${offer.offerId}`, title: this.deps.catalog.t(language, 'offer.reply.decline') },
        ],
      }),
      { commandId: nameBasedId(entry.tenantId, 'scheduling', 'offer', offer.offerId), notAfter: offer.expiresAt },
    );
  }

  // --- helpers ---------------------------------------------------------------

  private t(turn: Turn, key: MessageKey, values?: Record<string, string | number>): string {
    return this.deps.catalog.t(turn.language, key, values);
  }

  private departmentName(turn: Turn, departmentId: string): string {
    const key = `department.row.${departmentId}.title` as MessageKey;
    if (this.deps.catalog.keys.includes(key)) return this.t(turn, key);
    return fit(turn.directory.departments.get(departmentId)?.name ?? departmentId, WHATSAPP_LIMITS.listRowTitle);
  }

  private zoneOf(turn: Turn, facilityId: string): string {
    return turn.directory.facilities.get(facilityId)?.timeZone ?? 'UTC';
  }

  private slotRow(turn: Turn, s: FreeSlot): ListRowInput {
    const shown = showTime(s.start, s.timeZone, turn.language);
    return {
      id: `sched:slot:${s.slotId}`,
      title: fit(this.t(turn, 'book.row.slot.title', { date: shown.shortDate, time: shown.time }), WHATSAPP_LIMITS.listRowTitle),
      description: fit(this.t(turn, 'book.row.slot.description', { practitioner: turn.directory.practitioners.get(s.practitionerId)?.name ?? '', facility: turn.directory.facilities.get(s.facilityId)?.name ?? '' }), WHATSAPP_LIMITS.listRowDescription),
    };
  }

  private place(turn: Turn, a: Pick<AppointmentRecord, 'facilityId' | 'departmentId' | 'practitionerId' | 'start'>): Record<string, string> {
    const facility = turn.directory.facilities.get(a.facilityId);
    const shown = showTime(a.start, facility?.timeZone ?? 'UTC', turn.language);
    return {
      date: shown.longDate,
      time: shown.time,
      practitioner: turn.directory.practitioners.get(a.practitionerId)?.name ?? '',
      department: this.departmentName(turn, a.departmentId),
      facility: facility?.name ?? '',
      address: facility ? [facility.address, facility.city].filter(Boolean).join(', ') : '',
    };
  }

  private cursor(base36: string): Date | undefined {
    const minute = Number.parseInt(base36, 36);
    return /^[0-9a-z]{1,10}$/.test(base36) && Number.isSafeInteger(minute) ? new Date(minute * 60_000) : undefined;
  }

  /** An appointment of one of the contact's patients (reply ids are never trusted on their own). */
  private async ownAppointment(turn: Turn, appointmentId: string): Promise<AppointmentRecord | undefined> {
    if (!appointmentId) return undefined;
    const a = await this.deps.appointments.get(turn.tenantId, appointmentId);
    if (!a) return undefined;
    return turn.patientIds.includes(a.patientId) || a.contactId === turn.contactId ? a : undefined;
  }

  private addressing(turn: Turn): Addressing | undefined {
    const t = turn.event.payload;
    if (!t.endpoint || !t.recipient?.channelUserId) return undefined;
    return { channel: t.endpoint.channel, endpointId: t.endpoint.endpointId, displayAddress: t.endpoint.displayAddress, accountId: t.endpoint.accountId, channelUserId: t.recipient.channelUserId };
  }

  private async calendarMessage(turn: Turn, a: AppointmentRecord): Promise<MessageContent | undefined> {
    if (!this.deps.calendar.enabled) return undefined;
    const place = this.place(turn, a);
    const ics = calendarFile({
      uid: `${a.appointmentId}@careloop`,
      start: a.start,
      end: a.end,
      stamp: this.deps.clock.now(),
      summary: this.t(turn, 'book.ics.summary', { department: place['department'] ?? '' }),
      location: [place['facility'], place['address']].filter(Boolean).join(', '),
    });
    const link = await this.deps.calendar.publish(ics);
    return { $case: 'media', value: { kind: MediaKind.MEDIA_KIND_DOCUMENT, media: { id: '', link, filename: 'appointment.ics', caption: this.t(turn, 'book.ics.caption') } } };
  }
}
