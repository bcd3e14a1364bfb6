import { setting, z } from '@careloop/config';
import { SKILL_NAMES, type SkillName } from './domain/skills';

export const routingSettings = z.object({
  /** Secret that verifies agents' JWTs (HS256). */
  AGENT_JWT_SECRET: z.string().min(16, 'must be at least 16 characters'),
  /** Skills deployed now, comma-separated; others' menu entries answer "not available yet". */
  ROUTING_AVAILABLE_SKILLS: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.enum(SKILL_NAMES as [SkillName, ...SkillName[]]))),
  /** Display name per tenant for bot texts: JSON object { "<tenant>": "<name>" }. */
  ROUTING_HOSPITAL_NAMES: z
    .string()
    .default('{}')
    .transform((s, ctx) => {
      try {
        return z.record(z.string(), z.string()).parse(JSON.parse(s));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object of tenant to name' });
        return z.NEVER;
      }
    }),
  /** Extra opt-out / opt-in keywords, comma-separated, on top of the built-in ones. */
  ROUTING_OPT_OUT_KEYWORDS: z.string().default(''),
  ROUTING_OPT_IN_KEYWORDS: z.string().default(''),
  /** How often queued conversations are checked against their first-response SLA. */
  ROUTING_SLA_CHECK_MS: setting.positiveInt(10_000),
  /** How long a replica reuses a tenant's FAQ content before reading it again (0: never cache). */
  ROUTING_FAQ_CACHE_MS: z.coerce.number().int().min(0, 'must be 0 or more milliseconds').default(10_000),
  TURN_CONCURRENCY: setting.positiveInt(12),
  /** Contacts of one partition whose turns are handled in parallel (each contact's turns stay in order). */
  TURN_KEY_CONCURRENCY: setting.positiveInt(8),
  /** crm-sync's gRPC address: patient lookup for identity verification. */
  CRM_SYNC_GRPC_ADDRESS: z.string().min(1).default('127.0.0.1:50055'),
  /** How long a passed identity verification holds (same contact, patient and purpose). */
  ROUTING_VERIFICATION_VALID_MS: setting.positiveInt(10 * 60_000),
  /** Wrong dates of birth in a row that lock a patient's verification, and for how long. */
  ROUTING_VERIFICATION_MAX_FAILURES: setting.positiveInt(3),
  ROUTING_VERIFICATION_LOCK_MS: setting.positiveInt(30 * 60_000),
  /** Date-of-birth attempts per hour, per contact and per patient. */
  ROUTING_VERIFICATION_ATTEMPTS_PER_HOUR: setting.positiveInt(10),
  /**
   * Whether a patient whose phone no record lists may verify with their hospital number (MRN),
   * date of birth and a one-time code sent to the phone on the record.
   */
  ROUTING_VERIFICATION_BY_MRN: setting.boolean(true),
  /** Tenants whose policy asks for a one-time code after the date of birth, comma-separated. */
  ROUTING_VERIFICATION_OTP_TENANTS: z
    .string()
    .default('')
    .transform((s) => new Set(s.split(',').map((x) => x.trim()).filter(Boolean))),
  /** The approved authentication template the code goes out with (code in body and copy-code button). */
  ROUTING_VERIFICATION_OTP_TEMPLATE: z.string().regex(/^[a-z0-9_]{1,512}$/, 'must be a WhatsApp template name').default('careloop_verification_code'),
  /** How long a one-time code works. */
  ROUTING_VERIFICATION_OTP_TTL_MS: setting.positiveInt(10 * 60_000),
  /** Assignment policy per queue, JSON: { "default": { "strategy": "least-busy", "onlineOnly": true, "maxActivePerAgent": 5 }, "<facility>/<department>": {...} }. */
  ROUTING_ASSIGNMENT: z
    .string()
    .default('{}')
    .transform((s, ctx) => {
      try {
        return z
          .record(z.string(), z.object({ strategy: z.enum(['round-robin', 'least-busy', 'manual']), onlineOnly: z.boolean().default(true), maxActivePerAgent: z.number().int().positive().default(5) }))
          .parse(JSON.parse(s));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object of queue to { strategy: round-robin | least-busy | manual, onlineOnly, maxActivePerAgent }' });
        return z.NEVER;
      }
    }),
});

export type RoutingSettings = z.infer<typeof routingSettings>;
