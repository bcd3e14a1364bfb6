import { REMINDER_OUTCOMES, outcomeOfRank } from './reminder-outcome';

/**
 * Every report, defined once: which fact table it reads, the dimensions it can be sliced and
 * filtered by (name → fact field), the counters it sums, and how its figures derive from those
 * sums. docs/analytics.md states the same definitions in words.
 */
export const REPORT_NAMES = ['no-show', 'csat', 'conversations', 'reminders', 'messaging'] as const;
export type ReportName = (typeof REPORT_NAMES)[number];
export type FactTableName = 'appointments' | 'surveys' | 'conversations' | 'reminders' | 'messages';

export type Sums = Readonly<Record<string, number>>;
export type Figures = Record<string, number | null>;

export interface ReportSpec {
  readonly table: FactTableName;
  /** Dimension name → fact field. Every report also has day, week and month. */
  readonly dimensions: Readonly<Record<string, string>>;
  readonly sums: readonly string[];
  /** Fields whose median and 90th percentile are reported (over facts where the field is set). */
  readonly distributions?: readonly string[];
  /** Turns a group's sums (and distributions) into the report's figures. */
  figures(sums: Sums): Figures;
  /** How a stored dimension value is shown (e.g. reminder rank → "read"). */
  readonly showKey?: Readonly<Record<string, (stored: unknown) => string>>;
}

/** n ÷ d, or null when nothing was counted (a rate of nothing is not 0%). */
export function rate(n: number, d: number): number | null {
  return d > 0 ? n / d : null;
}

const PERIODS = { day: 'day', week: 'week', month: 'month' } as const;
const s = (sums: Sums, key: string) => sums[key] ?? 0;

export const REPORTS: Readonly<Record<ReportName, ReportSpec>> = {
  'no-show': {
    table: 'appointments',
    dimensions: {
      ...PERIODS,
      facility: 'facilityId',
      department: 'departmentId',
      practitioner: 'practitionerId',
      service_type: 'serviceType',
      weekday: 'weekday',
      hour: 'hour',
      lead_time: 'leadTimeBand',
      booking_channel: 'bookingChannel',
      reminder_outcome: 'reminderRank',
    },
    sums: ['due', 'noShow', 'attended', 'open', 'lateCancel', 'earlyCancel', 'patientConfirmed'],
    figures: (x) => ({
      appointments: s(x, 'due'),
      no_shows: s(x, 'noShow'),
      attended: s(x, 'attended'),
      open: s(x, 'open'),
      late_cancellations: s(x, 'lateCancel'),
      early_cancellations: s(x, 'earlyCancel'),
      no_show_rate: rate(s(x, 'noShow'), s(x, 'due')),
      late_cancellation_rate: rate(s(x, 'lateCancel'), s(x, 'due') + s(x, 'lateCancel')),
    }),
    showKey: { reminder_outcome: (v) => outcomeOfRank(Number(v ?? 0)) },
  },
  csat: {
    table: 'surveys',
    dimensions: { ...PERIODS, facility: 'facilityId', department: 'departmentId', practitioner: 'practitionerId', channel: 'channel', subject: 'subject', language: 'language' },
    sums: ['sent', 'responded', 'satisfied', 'ratingSum', 'r1', 'r2', 'r3', 'r4', 'r5', 'commented', 'positive', 'negative', 'neutral', 'sentimentSum'],
    figures: (x) => ({
      surveys_sent: s(x, 'sent'),
      responses: s(x, 'responded'),
      response_rate: rate(s(x, 'responded'), s(x, 'sent')),
      csat: rate(s(x, 'satisfied'), s(x, 'responded')),
      average_rating: rate(s(x, 'ratingSum'), s(x, 'responded')),
      rating_1: s(x, 'r1'),
      rating_2: s(x, 'r2'),
      rating_3: s(x, 'r3'),
      rating_4: s(x, 'r4'),
      rating_5: s(x, 'r5'),
      comments: s(x, 'commented'),
      comments_positive: s(x, 'positive'),
      comments_negative: s(x, 'negative'),
      comments_neutral: s(x, 'neutral'),
      sentiment_average: rate(s(x, 'sentimentSum'), s(x, 'commented')),
    }),
  },
  conversations: {
    table: 'conversations',
    dimensions: { ...PERIODS, facility: 'facilityId', department: 'department', channel: 'channel' },
    sums: ['conversations', 'handedOver', 'contained', 'returned'],
    distributions: ['firstResponseSeconds', 'resolutionSeconds'],
    figures: (x) => ({
      conversations: s(x, 'conversations'),
      handed_over: s(x, 'handedOver'),
      handover_rate: rate(s(x, 'handedOver'), s(x, 'conversations')),
      bot_contained: s(x, 'contained'),
      bot_containment_rate: rate(s(x, 'contained'), s(x, 'conversations')),
      first_response_median_seconds: x['firstResponseSeconds.p50'] ?? null,
      first_response_p90_seconds: x['firstResponseSeconds.p90'] ?? null,
      resolution_median_seconds: x['resolutionSeconds.p50'] ?? null,
      resolution_p90_seconds: x['resolutionSeconds.p90'] ?? null,
    }),
  },
  reminders: {
    table: 'reminders',
    dimensions: { ...PERIODS, facility: 'facilityId', department: 'departmentId', kind: 'kind' },
    sums: ['scheduled', 'sent', 'delivered', 'read', 'confirmed', 'cancelledByPatient', 'failed', 'skipped', 'medicationSent', 'medicationTaken'],
    figures: (x) => ({
      reminders: s(x, 'scheduled'),
      sent: s(x, 'sent'),
      delivered: s(x, 'delivered'),
      read: s(x, 'read'),
      confirmed: s(x, 'confirmed'),
      cancelled_by_patient: s(x, 'cancelledByPatient'),
      failed: s(x, 'failed'),
      skipped: s(x, 'skipped'),
      sent_rate: rate(s(x, 'sent'), s(x, 'scheduled')),
      delivered_rate: rate(s(x, 'delivered'), s(x, 'sent')),
      read_rate: rate(s(x, 'read'), s(x, 'sent')),
      confirmed_rate: rate(s(x, 'confirmed'), s(x, 'sent')),
      cancelled_by_patient_rate: rate(s(x, 'cancelledByPatient'), s(x, 'sent')),
      medication_adherence: rate(s(x, 'medicationTaken'), s(x, 'medicationSent')),
    }),
  },
  messaging: {
    table: 'messages',
    dimensions: { ...PERIODS, facility: 'facilityId', channel: 'channel', error_code: 'errorCode', requested_by: 'requestedBy' },
    sums: ['inbound', 'outbound', 'accepted', 'template', 'session', 'delivered', 'read', 'failed'],
    figures: (x) => ({
      messages_in: s(x, 'inbound'),
      messages_out: s(x, 'outbound'),
      accepted: s(x, 'accepted'),
      template_messages: s(x, 'template'),
      session_messages: s(x, 'session'),
      delivered: s(x, 'delivered'),
      read: s(x, 'read'),
      failed: s(x, 'failed'),
      delivery_rate: rate(s(x, 'delivered'), s(x, 'accepted')),
      read_rate: rate(s(x, 'read'), s(x, 'accepted')),
      failure_rate: rate(s(x, 'failed'), s(x, 'outbound')),
    }),
  },
};

export function isReportName(name: string): name is ReportName {
  return (REPORT_NAMES as readonly string[]).includes(name);
}

/** A report request after validation: the tenant comes from the caller's token, never the request. */
export interface ReportQuery {
  readonly report: ReportName;
  /** Inclusive local dates, YYYY-MM-DD. */
  readonly from: string;
  readonly to: string;
  readonly groupBy?: string;
  /** Dimension name → value (equality). */
  readonly filters: Readonly<Record<string, string>>;
}

export class InvalidReportQueryError extends Error {
  override readonly name = 'InvalidReportQueryError';
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Checks a request against the report's dimensions; throws InvalidReportQueryError naming the field. */
export function parseReportQuery(input: { report: string; from?: string; to?: string; groupBy?: string; filters?: Readonly<Record<string, string>> }): ReportQuery {
  if (!isReportName(input.report)) throw new InvalidReportQueryError(`report must be one of ${REPORT_NAMES.join(', ')}`);
  const spec = REPORTS[input.report];
  const from = input.from ?? '0000-01-01';
  const to = input.to ?? '9999-12-31';
  if (!DATE.test(from)) throw new InvalidReportQueryError('from must be a date YYYY-MM-DD');
  if (!DATE.test(to)) throw new InvalidReportQueryError('to must be a date YYYY-MM-DD');
  if (from > to) throw new InvalidReportQueryError('from must not be after to');
  const groupBy = input.groupBy || undefined;
  if (groupBy !== undefined && !(groupBy in spec.dimensions)) throw new InvalidReportQueryError(`group_by must be one of ${Object.keys(spec.dimensions).join(', ')}`);
  const filters: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.filters ?? {})) {
    if (!(name in spec.dimensions)) throw new InvalidReportQueryError(`filter ${name} is not a dimension of ${input.report}`);
    if (typeof value !== 'string' || value.length > 200) throw new InvalidReportQueryError(`filter ${name} must be a short string`);
    filters[name] = value;
  }
  return { report: input.report, from, to, ...(groupBy ? { groupBy } : {}), filters };
}

/** Dimensions stored as numbers (a filter value from a URL is a string). */
const NUMERIC_DIMENSIONS = new Set(['weekday', 'hour']);

/** A filter's value as stored in the fact (reminder outcome names become ranks). */
export function storedFilterValue(dimension: string, value: string): string | number {
  if (dimension === 'reminder_outcome') {
    const rank = (REMINDER_OUTCOMES as readonly string[]).indexOf(value);
    if (rank < 0) throw new InvalidReportQueryError(`reminder_outcome must be one of ${REMINDER_OUTCOMES.join(', ')}`);
    return rank;
  }
  if (NUMERIC_DIMENSIONS.has(dimension)) {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new InvalidReportQueryError(`${dimension} must be an integer`);
    return n;
  }
  return value;
}

export interface ReportRowOut {
  readonly key: string;
  readonly values: Figures;
}

export interface ReportOut {
  readonly report: ReportName;
  readonly groupBy: string;
  readonly from: string;
  readonly to: string;
  readonly filters: Readonly<Record<string, string>>;
  readonly total: ReportRowOut;
  readonly rows: readonly ReportRowOut[];
}

/** Median and 90th percentile by nearest rank over sorted values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? null;
}
