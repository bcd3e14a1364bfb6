import { setting, z } from '@careloop/config';

export const schedulingSettings = z.object({
  /** Future booked appointments a patient may hold per department (a department may set its own). */
  SCHEDULING_MAX_FUTURE_BOOKINGS: setting.positiveInt(2),
  /** Minutes after an appointment's end before it is marked no-show when nobody recorded an arrival. */
  SCHEDULING_NO_SHOW_GRACE_MINUTES: setting.positiveInt(30),
  /** How far back (hours) the no-show sweep looks. */
  SCHEDULING_NO_SHOW_LOOKBACK_HOURS: setting.positiveInt(48),
  /** How often the no-show and waitlist-expiry sweeps run. */
  SCHEDULING_SWEEP_MS: setting.positiveInt(30_000),
  /** Shifts scheduling's clock (tests and demos move time forward without patching code). */
  SCHEDULING_CLOCK_OFFSET_MS: z.coerce.number().int().default(0),
  /** How long a waitlist offer stands, in minutes. */
  SCHEDULING_WAITLIST_OFFER_MINUTES: setting.positiveInt(15),
  /** How many waiting patients are offered one freed slot at the same time (first to accept gets it). */
  SCHEDULING_WAITLIST_PARALLEL_OFFERS: setting.positiveInt(1),
  /** Days of slots generated ahead, and the search horizon. */
  SCHEDULING_HORIZON_DAYS: setting.positiveInt(60),
  /** Public base URL of this service's HTTP port, for calendar-file links; empty sends no calendar file. */
  SCHEDULING_PUBLIC_BASE_URL: z.union([z.literal(''), z.url()]).default(''),
  /** Lifetime of a calendar-file link, in hours. */
  SCHEDULING_ICS_TTL_HOURS: setting.positiveInt(72),
  /** Minutes a half-finished booking dialogue is remembered. */
  SCHEDULING_DIALOGUE_TTL_MINUTES: setting.positiveInt(30),
  TURN_CONCURRENCY: setting.positiveInt(12),
  TURN_KEY_CONCURRENCY: setting.positiveInt(8),
});

export type SchedulingSettings = z.infer<typeof schedulingSettings>;
