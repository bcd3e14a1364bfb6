import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Meta signs every webhook body with the app secret: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256>`
 * computed over the raw request bytes (Graph API "Webhooks: Getting started" → Validate payloads).
 */
export const SIGNATURE_HEADER = 'x-hub-signature-256';

export function signatureFor(rawBody: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

/** Constant-time check, for receivers built on this library (and the simulator's own tests). */
export function isValidSignature(rawBody: Buffer | string, appSecret: string, header: string | undefined): boolean {
  if (header === undefined) return false;
  const expected = Buffer.from(signatureFor(rawBody, appSecret));
  const actual = Buffer.from(header);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
