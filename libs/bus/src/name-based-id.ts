import { createHash } from 'node:crypto';

const NAMESPACE = Buffer.from('6c1f4a7e2d9b4c3a8e5f0a1b2c3d4e5f', 'hex');

/**
 * A name-based UUID (version 5, RFC 9562): the same names always give the same
 * id. Used for event and command ids that must repeat when the same work is
 * redone (a redelivered webhook, a re-processed turn), so that downstream
 * dedupe recognises the repeat.
 */
export function nameBasedId(...parts: string[]): string {
  const hash = createHash('sha1').update(NAMESPACE).update(parts.join('\u0000')).digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
