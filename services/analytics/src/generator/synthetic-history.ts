import {
  AppointmentChangeKind,
  AppointmentChanged,
  AppointmentStatus,
  BookingChannel,
  Channel,
  ReminderChanged,
  ReminderKind,
  ReminderState,
  SurveyChanged,
  SurveyState,
  SurveySubject,
} from '@careloop/contracts';
import { REMINDER_OUTCOMES, type ReminderOutcome } from '../domain/reminder-outcome';

/**
 * A synthetic, PHI-free event history with a known truth, for tests, the demo and the benchmark.
 * The truth is in the cells: each says how many appointments of one facility × department ×
 * practitioner × reminder outcome there are, how many were no-shows, how many were cancelled
 * late or early, and how their surveys were rated. Reports over the generated events must
 * equal sums over the cells exactly.
 */
export interface HistoryParameters {
  readonly appointments: number;
  readonly seed: number;
  readonly tenantId: string;
  /** First day of the history (UTC midnight). */
  readonly start: Date;
  readonly days: number;
}

/** Share of appointments by best reminder outcome, and their no-show rates: reminders read or confirmed lower no-shows (12% overall). Exact for multiples of 800 appointments. */
export const OUTCOME_SHARES: Readonly<Record<ReminderOutcome, { share: number; noShowRate: number }>> = {
  none: { share: 0.2, noShowRate: 0.2 },
  sent: { share: 0.1, noShowRate: 0.2 },
  delivered: { share: 0.2, noShowRate: 0.1 },
  read: { share: 0.3, noShowRate: 0.1 },
  confirmed: { share: 0.2, noShowRate: 0.05 },
};
export const LATE_CANCELLATION_SHARE = 0.03;
export const EARLY_CANCELLATION_SHARE = 0.05;
/** Of fulfilled appointments, the share whose survey was answered. */
export const RESPONSE_SHARE = 0.5;
/** Ratings of answered surveys repeat this 20-long pattern: 40% 5, 25% 4, 15% 3, 10% 2, 10% 1 (CSAT 65%). */
export const RATING_PATTERN: readonly number[] = [5, 4, 5, 3, 5, 4, 2, 5, 1, 4, 5, 3, 5, 4, 2, 5, 1, 3, 4, 5];
/** Every fourth answer has a comment: positive for 4-5, negative for 1-2, neutral for 3. */
export const COMMENT_EVERY = 4;
export const COMMENT_SCORES: Readonly<Record<number, number>> = { 1: -3, 2: -2, 3: 0, 4: 2, 5: 3 };

export const FACILITIES = [
  { id: 'madrid-central', timeZone: 'Europe/Madrid' },
  { id: 'nyc-east', timeZone: 'America/New_York' },
] as const;
export const DEPARTMENTS = ['cardiology', 'dermatology'] as const;
export const PRACTITIONERS_PER_DEPARTMENT = 2;

export interface Cell {
  readonly facilityId: string;
  readonly timeZone: string;
  readonly departmentId: string;
  readonly practitionerId: string;
  readonly reminderOutcome: ReminderOutcome;
  /** Due appointments (the no-show denominator). */
  readonly appointments: number;
  readonly noShows: number;
  readonly lateCancellations: number;
  readonly earlyCancellations: number;
  /** Surveys sent (one per fulfilled appointment) and their ratings: ratings[r] = count of rating r. */
  readonly surveysSent: number;
  readonly ratings: Readonly<Record<1 | 2 | 3 | 4 | 5, number>>;
  readonly comments: { readonly positive: number; readonly negative: number; readonly neutral: number; readonly scoreSum: number };
}

/** The cells of a history: its known truth, from the parameters alone. */
export function historyCells(appointments: number): Cell[] {
  const blocks = FACILITIES.length * DEPARTMENTS.length * PRACTITIONERS_PER_DEPARTMENT;
  const perBlock = Math.floor(appointments / blocks);
  const cells: Cell[] = [];
  for (const facility of FACILITIES) {
    for (const department of DEPARTMENTS) {
      for (let p = 1; p <= PRACTITIONERS_PER_DEPARTMENT; p += 1) {
        for (const outcome of REMINDER_OUTCOMES) {
          const { share, noShowRate } = OUTCOME_SHARES[outcome];
          const count = Math.round(perBlock * share);
          const noShows = Math.round(count * noShowRate);
          const fulfilled = count - noShows;
          const responses = Math.round(fulfilled * RESPONSE_SHARE);
          const ratings = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 };
          const comments = { positive: 0, negative: 0, neutral: 0, scoreSum: 0 };
          for (let i = 0; i < responses; i += 1) {
            const rating = RATING_PATTERN[i % RATING_PATTERN.length] as 1 | 2 | 3 | 4 | 5;
            ratings[rating] += 1;
            if (i % COMMENT_EVERY === 0) {
              const score = COMMENT_SCORES[rating] ?? 0;
              comments.scoreSum += score;
              if (score > 0) comments.positive += 1;
              else if (score < 0) comments.negative += 1;
              else comments.neutral += 1;
            }
          }
          cells.push({
            facilityId: facility.id,
            timeZone: facility.timeZone,
            departmentId: department,
            practitionerId: `${department}-dr-${p}`,
            reminderOutcome: outcome,
            appointments: count,
            noShows,
            lateCancellations: Math.round(count * LATE_CANCELLATION_SHARE),
            earlyCancellations: Math.round(count * EARLY_CANCELLATION_SHARE),
            surveysSent: fulfilled,
            ratings,
            comments,
          });
        }
      }
    }
  }
  return cells;
}

export type HistoryEvent =
  | { readonly topic: 'appointment'; readonly key: string; readonly id: string; readonly payload: AppointmentChanged }
  | { readonly topic: 'reminder'; readonly key: string; readonly id: string; readonly payload: ReminderChanged }
  | { readonly topic: 'survey'; readonly key: string; readonly id: string; readonly payload: SurveyChanged };

/** Deterministic PRNG (mulberry32), so a seed gives the same history everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = prng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const HOUR = 3_600_000;
const REMINDER_STATES: Record<ReminderOutcome, ReminderState[]> = {
  none: [],
  sent: [ReminderState.REMINDER_STATE_SCHEDULED, ReminderState.REMINDER_STATE_SENT],
  delivered: [ReminderState.REMINDER_STATE_SCHEDULED, ReminderState.REMINDER_STATE_SENT, ReminderState.REMINDER_STATE_DELIVERED],
  read: [ReminderState.REMINDER_STATE_SCHEDULED, ReminderState.REMINDER_STATE_SENT, ReminderState.REMINDER_STATE_DELIVERED, ReminderState.REMINDER_STATE_READ],
  confirmed: [ReminderState.REMINDER_STATE_SCHEDULED, ReminderState.REMINDER_STATE_SENT, ReminderState.REMINDER_STATE_DELIVERED, ReminderState.REMINDER_STATE_READ, ReminderState.REMINDER_STATE_CONFIRMED],
};

/**
 * The events of a history in the order they would happen per appointment (booked, reminders,
 * attendance, survey). Which appointment of a cell is a no-show, a responder... is decided by
 * its index in the cell; the seed decides the days, hours, lead times and booking channels.
 */
export function generateHistory(parameters: HistoryParameters): { cells: Cell[]; events: HistoryEvent[] } {
  const cells = historyCells(parameters.appointments);
  const random = prng(parameters.seed);
  const events: HistoryEvent[] = [];
  const tenantId = parameters.tenantId;
  let n = 0;
  for (const cell of cells) {
    const total = cell.appointments + cell.lateCancellations + cell.earlyCancellations;
    let responder = 0;
    for (let i = 0; i < total; i += 1) {
      n += 1;
      const appointmentId = `syn-${parameters.seed}-${n}`;
      const day = Math.floor(random() * parameters.days);
      const start = new Date(parameters.start.getTime() + day * 24 * HOUR + (8 + Math.floor(random() * 8)) * HOUR);
      const leadHours = Math.floor(random() * 24 * 40);
      const channel = random() < 0.6 ? 'chat' : random() < 0.5 ? 'ehr' : 'agent';
      const contactId = `contact-${parameters.seed}-${n}`;
      const kind: 'due' | 'late' | 'early' = i < cell.appointments ? 'due' : i < cell.appointments + cell.lateCancellations ? 'late' : 'early';
      const noShow = kind === 'due' && i < cell.noShows;
      const base = {
        appointmentId,
        tenantId,
        facilityId: cell.facilityId,
        facilityTimeZone: cell.timeZone,
        departmentId: cell.departmentId,
        practitionerId: cell.practitionerId,
        serviceType: 'consultation',
        start,
        end: new Date(start.getTime() + HOUR / 2),
        contactId,
        patientId: `patient-${parameters.seed}-${n}`,
        bookingChannel: channel === 'chat' ? BookingChannel.BOOKING_CHANNEL_CHAT : channel === 'ehr' ? BookingChannel.BOOKING_CHANNEL_EHR : BookingChannel.BOOKING_CHANNEL_AGENT,
        ...(channel === 'chat' ? { endpoint: { channel: Channel.CHANNEL_WHATSAPP, endpointId: '1000001', displayAddress: '', accountId: '' } } : {}),
        language: 'en',
        bookedAt: new Date(start.getTime() - leadHours * HOUR),
        leadTimeSeconds: leadHours * 3600,
      };
      const appointmentEvent = (version: number, changeKind: AppointmentChangeKind, status: AppointmentStatus, extra: Record<string, unknown>, at: Date) => ({
        topic: 'appointment' as const,
        key: appointmentId,
        id: `${appointmentId}/v${version}`,
        payload: AppointmentChanged.fromPartial({ kind: changeKind, changedAt: at, appointment: { ...base, ...extra, status, version } }),
      });
      events.push(appointmentEvent(1, AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_BOOKED, AppointmentStatus.APPOINTMENT_STATUS_BOOKED, {}, base.bookedAt));
      if (kind === 'due') {
        REMINDER_STATES[cell.reminderOutcome].forEach((state, s) => {
          events.push({
            topic: 'reminder',
            key: `${appointmentId}-r1`,
            id: `${appointmentId}-r1/${s + 1}`,
            payload: ReminderChanged.fromPartial({
              reminderId: `${appointmentId}-r1`,
              kind: ReminderKind.REMINDER_KIND_APPOINTMENT,
              state,
              tenantId,
              facilityId: cell.facilityId,
              departmentId: cell.departmentId,
              practitionerId: cell.practitionerId,
              appointmentId,
              contactId,
              dueAt: new Date(start.getTime() - 24 * HOUR),
              appointmentStart: start,
              occurredAt: new Date(start.getTime() - (24 - s) * HOUR),
              sequence: s + 1,
            }),
          });
        });
        if (noShow) {
          events.push(appointmentEvent(2, AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_NO_SHOW, AppointmentStatus.APPOINTMENT_STATUS_NOSHOW, { noShowAt: new Date(start.getTime() + HOUR) }, new Date(start.getTime() + HOUR)));
        } else {
          const fulfilledAt = new Date(start.getTime() + HOUR / 2);
          events.push(appointmentEvent(2, AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_FULFILLED, AppointmentStatus.APPOINTMENT_STATUS_FULFILLED, { arrivedAt: start, fulfilledAt }, fulfilledAt));
          const surveyId = `survey-${appointmentId}`;
          const respondsAs = responder < Math.round(cell.surveysSent * RESPONSE_SHARE) ? responder : -1;
          responder += 1;
          const survey = (version: number, state: SurveyState, extra: Record<string, unknown>) => ({
            topic: 'survey' as const,
            key: surveyId,
            id: `${surveyId}/v${version}`,
            payload: SurveyChanged.fromPartial({
              surveyId,
              tenantId,
              subject: SurveySubject.SURVEY_SUBJECT_APPOINTMENT,
              appointmentId,
              contactId,
              facilityId: cell.facilityId,
              facilityTimeZone: cell.timeZone,
              departmentId: cell.departmentId,
              practitionerId: cell.practitionerId,
              channel: 'whatsapp',
              state,
              subjectAt: start,
              sentAt: new Date(fulfilledAt.getTime() + 2 * HOUR),
              language: 'en',
              version,
              ...extra,
            }),
          });
          events.push(survey(1, SurveyState.SURVEY_STATE_SENT, {}));
          if (respondsAs >= 0) {
            const rating = RATING_PATTERN[respondsAs % RATING_PATTERN.length] ?? 5;
            events.push(survey(2, SurveyState.SURVEY_STATE_RATED, { rating }));
            const commented = respondsAs % COMMENT_EVERY === 0;
            events.push(survey(3, SurveyState.SURVEY_STATE_COMMENTED, { rating, hasComment: commented, sentimentScore: commented ? (COMMENT_SCORES[rating] ?? 0) : 0 }));
          }
        }
      } else {
        const cancelledAt = new Date(start.getTime() - (kind === 'late' ? 2 : 72) * HOUR);
        events.push(appointmentEvent(2, AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_CANCELLED, AppointmentStatus.APPOINTMENT_STATUS_CANCELLED, { cancelledAt, cancellationReason: 'pat' }, cancelledAt));
      }
    }
  }
  return { cells, events };
}

/** Sums over cells: what the reports must say. */
export function truthOf(cells: readonly Cell[], where: (cell: Cell) => boolean = () => true) {
  const mine = cells.filter(where);
  const sum = (f: (c: Cell) => number) => mine.reduce((acc, c) => acc + f(c), 0);
  const responses = sum((c) => c.ratings[1] + c.ratings[2] + c.ratings[3] + c.ratings[4] + c.ratings[5]);
  const satisfied = sum((c) => c.ratings[4] + c.ratings[5]);
  return {
    appointments: sum((c) => c.appointments),
    noShows: sum((c) => c.noShows),
    lateCancellations: sum((c) => c.lateCancellations),
    earlyCancellations: sum((c) => c.earlyCancellations),
    surveysSent: sum((c) => c.surveysSent),
    responses,
    satisfied,
    ratings: [1, 2, 3, 4, 5].map((r) => sum((c) => c.ratings[r as 1 | 2 | 3 | 4 | 5])),
    comments: sum((c) => c.comments.positive + c.comments.negative + c.comments.neutral),
    positive: sum((c) => c.comments.positive),
    negative: sum((c) => c.comments.negative),
    sentimentSum: sum((c) => c.comments.scoreSum),
  };
}
