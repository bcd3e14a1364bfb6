import { z } from '@careloop/config';

/** Staff roles that may read a patient's EHR audit trail. */
export const AUDIT_READER_ROLES = ['privacy-officer', 'supervisor', 'admin'] as const;
export type AuditReaderRole = (typeof AUDIT_READER_ROLES)[number];

export const AUDIT_PAGE_MAX = 1000;
const AUDIT_PAGE_DEFAULT = 100;

/** Which part of one patient's trail a privacy officer asked for (the tenant is the token's). */
export interface AuditQuery {
  readonly patientId: string;
  readonly from: Date;
  readonly to: Date;
  readonly limit: number;
}

/** A query parameter the audit API cannot use; its message names the parameter. */
export class InvalidAuditQueryError extends Error {
  override readonly name = 'InvalidAuditQueryError';
}

const text = (what: string) => z.string({ error: (issue) => (issue.input === undefined ? 'is required' : `must be given once, as ${what}`) });
const instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], { error: 'must be an ISO 8601 date-time (2026-03-01T00:00:00Z) or date (2026-03-01, midnight UTC)' })
  .transform((s) => new Date(s));

// Strict: `tenant` and any other parameter are refused, not ignored — the tenant comes from the token.
const querySchema = z
  .strictObject({
    patientId: text('a Careloop patient id').regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be a Careloop patient id'),
    from: instant.optional(),
    to: instant.optional(),
    limit: text('a number')
      .regex(/^\d{1,6}$/, `must be a whole number from 1 to ${AUDIT_PAGE_MAX}`)
      .transform(Number)
      .pipe(z.number().min(1, `must be a whole number from 1 to ${AUDIT_PAGE_MAX}`).max(AUDIT_PAGE_MAX, `must be a whole number from 1 to ${AUDIT_PAGE_MAX}`))
      .optional(),
  });

/** The request's query string as an AuditQuery (from: the beginning, to: `now`, limit 100), or InvalidAuditQueryError. */
export function parseAuditQuery(query: Record<string, unknown>, now: Date): AuditQuery {
  const parsed = querySchema.safeParse(query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue?.code === 'unrecognized_keys') throw new InvalidAuditQueryError(`unknown parameter ${issue.keys.join(', ')}${issue.keys.includes('tenant') ? ' (the tenant is the token’s)' : ''}`);
    throw new InvalidAuditQueryError(`${issue?.path.join('.') || 'query'} ${issue?.message ?? 'is invalid'}`);
  }
  const q = parsed.data;
  const window = { from: q.from ?? new Date(0), to: q.to ?? now };
  if (window.from.getTime() > window.to.getTime()) throw new InvalidAuditQueryError(q.to ? 'from must not be after to' : 'from must not be in the future');
  return { patientId: q.patientId, ...window, limit: q.limit ?? AUDIT_PAGE_DEFAULT };
}
