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
  TURN_CONCURRENCY: setting.positiveInt(12),
  /** Contacts of one partition whose turns are handled in parallel (each contact's turns stay in order). */
  TURN_KEY_CONCURRENCY: setting.positiveInt(8),
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
