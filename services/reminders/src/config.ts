import { setting, z } from '@careloop/config';
import { policiesSchema } from './domain/policy';

export const remindersSettings = z.object({
  /**
   * Reminder policies, JSON keyed "default", "<tenant>", "<tenant>/<facility>" or
   * "<tenant>/<facility>/<department>" (more specific wins, field by field), e.g.
   * {"default":{"offsets":[{"id":"48h","before":"PT48H","askConfirmation":true},{"id":"2h","before":"PT2H"}],
   *  "quietHours":{"start":"21:00","end":"08:00","move":"after"},"serviceTypes":{"surgery":{"offsets":[{"id":"7d","before":"P7D","askConfirmation":true}]}}}}
   */
  REMINDERS_POLICIES: z
    .string()
    .default('{}')
    .transform((s, ctx) => {
      try {
        return policiesSchema.parse(JSON.parse(s));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object of scope to policy (offsets, quietHours, templates, serviceTypes...)' });
        return z.NEVER;
      }
    }),
  /** scheduling's gRPC address (Confirm and Cancel from the reminder's buttons). */
  SCHEDULING_GRPC_ADDRESS: z.string().min(1).default('127.0.0.1:50052'),
  /** Sends per second per business number; keep it at gateway's pace for the number (0: unpaced). */
  REMINDERS_RATE_PER_NUMBER: z.coerce.number().min(0).default(80),
  /** Timers claimed per batch at most. */
  REMINDERS_BATCH: setting.positiveInt(200),
  /** Batches of one number in flight at once. */
  REMINDERS_BATCHES_PER_NUMBER: setting.positiveInt(4),
  REMINDERS_TICK_MS: setting.positiveInt(50),
  /** How long a claimed timer stays leased before another loop may take it (a replica died mid-batch). */
  REMINDERS_LEASE_MS: setting.positiveInt(30_000),
  /** How long a replica's lock on a business number lasts without renewal. */
  REMINDERS_OWNER_TTL_MS: setting.positiveInt(5_000),
  /** Inserted in the service's Redis keys, so indexes sharing one Redis stay apart (tests, a blue/green pair). */
  REMINDERS_REDIS_NAMESPACE: z.string().regex(/^[a-z0-9-]*$/, 'a-z 0-9 -').default(''),
  /** Moves the service's clock (tests and demos); 0 in production. */
  REMINDERS_CLOCK_OFFSET_MS: z.coerce.number().int().default(0),
  /** "noop" fires timers without sending (the benchmark's timers-only figure); "gateway" in every real run. */
  REMINDERS_SENDER: z.enum(['gateway', 'noop']).default('gateway'),
  TURN_CONCURRENCY: setting.positiveInt(6),
  EVENT_CONCURRENCY: setting.positiveInt(6),
});

export type RemindersSettings = z.infer<typeof remindersSettings>;
