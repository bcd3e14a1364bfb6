import { setting, z } from '@careloop/config';
import { endpointSchema } from './domain/endpoint-registry';

const secrets = () =>
  z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.string().min(8, 'each secret needs at least 8 characters')).min(1, 'needs at least one secret'));

const json = <T extends z.ZodType>(schema: T) =>
  z.string().transform((s, ctx) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be valid JSON' });
      return z.NEVER;
    }
  }).pipe(schema);

/** The gateway's own settings; the kit adds Kafka, MongoDB, Redis, ports and PHI keys. */
export const gatewaySettings = z.object({
  /** Which tenant/facility each business number or page belongs to (JSON array). */
  GATEWAY_ENDPOINTS: json(z.array(endpointSchema).min(1, 'must list at least one endpoint')),
  /** App secrets that sign webhooks, comma-separated; two during a rotation. */
  WHATSAPP_APP_SECRETS: secrets(),
  WHATSAPP_VERIFY_TOKEN: z.string().min(8),
  WHATSAPP_ACCESS_TOKEN: z.string().min(8),
  WHATSAPP_GRAPH_BASE_URL: z.url().default('https://graph.facebook.com'),
  WHATSAPP_API_VERSION: z.string().regex(/^v\d+\.\d+$/, 'must look like v23.0').default('v23.0'),
  /** Messages per second per business number (Meta default 80, 1,000 after upgrade). */
  WHATSAPP_THROUGHPUT_PER_SECOND: setting.positiveInt(80),
  /** Fraction of the throughput we pace at, leaving room for clock and network jitter. */
  WHATSAPP_THROUGHPUT_HEADROOM: z.coerce.number().min(0.5).max(1).default(0.97),
  /**
   * Per-person pacing after Meta's pair rule: a burst of up to WHATSAPP_PAIR_BURST sends inside
   * WHATSAPP_PAIR_BURST_WINDOW_MS, then a wait until the burst is paid back at
   * WHATSAPP_PAIR_PER_MINUTE (Meta: one per 6 s, bursts of 45 in a 6-s window). The window is a
   * second shorter than Meta's so that a send delayed on the way still lands inside Meta's.
   */
  WHATSAPP_PAIR_PER_MINUTE: setting.positiveInt(10),
  WHATSAPP_PAIR_BURST: setting.positiveInt(20),
  WHATSAPP_PAIR_BURST_WINDOW_MS: setting.positiveInt(5_000),
  MESSENGER_APP_SECRETS: secrets().optional(),
  MESSENGER_VERIFY_TOKEN: z.string().min(8).optional(),
  MESSENGER_PAGE_ACCESS_TOKEN: z.string().min(8).optional(),
  MESSENGER_GRAPH_BASE_URL: z.url().default('https://graph.facebook.com'),
  MESSENGER_API_VERSION: z.string().regex(/^v\d+\.\d+$/, 'must look like v23.0').default('v23.0'),
  SEND_TIMEOUT_MS: setting.positiveInt(10_000),
  SEND_MAX_ATTEMPTS: setting.positiveInt(6),
  /** Rate-limit answers (130429, 131056, HTTP 429) are retried this long before a command fails. */
  SEND_THROTTLED_GIVE_UP_MS: setting.positiveInt(600_000),
  /** Outbound partitions handled in parallel (each waits for its own pacing). */
  OUTBOUND_CONCURRENCY: setting.positiveInt(12),
  /** Recipients of one partition sent to in parallel (each recipient's messages stay in order). */
  OUTBOUND_KEY_CONCURRENCY: setting.positiveInt(16),
  /**
   * CPU priority (nice value, -20..19) of the send clock's thread, so its timers fire on time on
   * busy cores; lowering it below 0 needs CAP_SYS_NICE (the chart adds it). Without the
   * capability the thread keeps the default priority and a warning says so.
   */
  SEND_CLOCK_NICE: z.coerce.number().int().min(-20).max(19).default(-5),
  WEBHOOK_MAX_BYTES: setting.positiveInt(3 * 1024 * 1024),
});

export type GatewaySettings = z.infer<typeof gatewaySettings>;
