import { setting, z } from '@careloop/config';

const hourOfDay = (fallback: number) => z.coerce.number().int().min(0).max(23).default(fallback);

export const analyticsSettings = z.object({
  /** Secret that verifies staff JWTs (HS256), the same setting routing's inbox uses: one secret signs staff tokens. */
  AGENT_JWT_SECRET: z.string().min(16, 'must be at least 16 characters'),
  /** A cancellation less than this many hours before the start is a late cancellation (reported apart); earlier ones leave the no-show figures. */
  ANALYTICS_CANCELLATION_NOTICE_HOURS: setting.positiveInt(24),
  /** Minutes after a fulfilled appointment (or a closed agent conversation) before its survey goes out. */
  SURVEY_DELAY_MINUTES: z.coerce.number().int().min(0).default(120),
  /** Seconds variant of the delay for tests and demos; wins over SURVEY_DELAY_MINUTES when set. */
  SURVEY_DELAY_SECONDS: z.coerce.number().int().min(0).optional(),
  /** At most one survey per contact in this many days. */
  SURVEY_FREQUENCY_CAP_DAYS: z.coerce.number().min(0).default(30),
  /** A survey not sent within this many hours of being due is dropped (the visit is too far back to ask about). */
  SURVEY_VALIDITY_HOURS: setting.positiveInt(72),
  /** Quiet hours in the facility's local time: surveys due then wait until the end. Equal values turn them off. */
  SURVEY_QUIET_HOURS_START: hourOfDay(21),
  SURVEY_QUIET_HOURS_END: hourOfDay(9),
  /** Approved WhatsApp template sent when the 24-hour window is closed (its body asks to rate the visit; buttons open the survey). */
  SURVEY_TEMPLATE_NAME: z.string().default('careloop_visit_survey'),
  /** How often due surveys are looked for. */
  SURVEY_SWEEP_MS: setting.positiveInt(5_000),
  /** Whether the survey skill runs (off: rollups and reports only). */
  SURVEY_ENABLED: setting.boolean(true),
  /** Parallel partitions for the rollup consumers. */
  ROLLUP_CONCURRENCY: setting.positiveInt(6),
  ROLLUP_KEY_CONCURRENCY: setting.positiveInt(8),
});

export type AnalyticsSettings = z.infer<typeof analyticsSettings>;
