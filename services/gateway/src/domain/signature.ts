import { createHmac, timingSafeEqual } from 'node:crypto';

const HEADER = /^sha256=([0-9a-f]{64})$/;

/**
 * Meta signs every webhook: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of
 * the raw request body with the app secret>`. Checked on the bytes as
 * received (re-serialised JSON would differ), in constant time, against every
 * secret in use (two during a rotation).
 */
export function verifyMetaSignature(rawBody: Buffer, header: string | undefined, appSecrets: readonly string[]): boolean {
  const match = header ? HEADER.exec(header.trim().toLowerCase()) : null;
  if (!match?.[1]) return false;
  const given = Buffer.from(match[1], 'hex');
  let valid = false;
  for (const secret of appSecrets) {
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    // Both are 32 bytes here (the regex fixed the length), as timingSafeEqual requires.
    if (expected.length === given.length && timingSafeEqual(expected, given)) valid = true;
  }
  return valid;
}

export function signMetaPayload(rawBody: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}
