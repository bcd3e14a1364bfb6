import { z } from '@careloop/config';

const json = <T extends z.ZodType>(schema: T, message: string) =>
  z
    .string()
    .default('{}')
    .transform((s, ctx) => {
      try {
        return schema.parse(JSON.parse(s));
      } catch {
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      }
    });

const contacts = z.object({ emergency: z.string().min(1), crisis: z.string().min(1) }).strict();

export const triageSettings = z.object({
  /** Directory of red-flags.yaml and the complaint protocols; default: the shipped services/triage/protocols. */
  TRIAGE_PROTOCOL_DIR: z.string().optional(),
  /** Numbers per country on top of the built-in ones, JSON: { "ES": { "emergency": "112", "crisis": "024" } }. */
  TRIAGE_EMERGENCY_NUMBERS: json(z.record(z.string().regex(/^[A-Z]{2}$/), contacts), 'must be a JSON object of country code to { emergency, crisis }'),
  /** Per facility, JSON: { "<facility>": { "country": "ES", "emergency"?: "...", "crisis"?: "..." } }. */
  TRIAGE_FACILITIES: json(
    z.record(z.string(), z.object({ country: z.string().regex(/^[A-Z]{2}$/).optional(), emergency: z.string().min(1).optional(), crisis: z.string().min(1).optional() }).strict()),
    'must be a JSON object of facility id to { country, emergency, crisis }',
  ),
  /** Country of facilities not listed in TRIAGE_FACILITIES; without it they get 112. */
  TRIAGE_DEFAULT_COUNTRY: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 country code such as ES').optional(),
  TURN_CONCURRENCY: z.coerce.number().int().positive().default(12),
});

export type TriageSettings = z.infer<typeof triageSettings>;
