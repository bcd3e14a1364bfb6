import { randomBytes } from 'node:crypto';

/**
 * Message ids in the layout real wamids have. Decoding Meta's documented examples
 * (e.g. `wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA`) gives
 * `1c 18 <len> <user id> 15 02 00 <11|12> 18 <len> <hex id> 00`: the user's wa_id, then 18 uppercase
 * hex characters for business-sent (0x11) or 20 for user-sent (0x12) messages. Consumers must treat
 * wamids as opaque; the layout only makes logs look like production.
 */
export function newWamid(userId: string, direction: 'outbound' | 'inbound'): string {
  const hexLength = direction === 'outbound' ? 18 : 20;
  const hex = randomBytes(hexLength / 2).toString('hex').toUpperCase();
  const user = Buffer.from(userId, 'utf8').subarray(0, 255);
  const bytes = Buffer.concat([
    Buffer.from([0x1c, 0x18, user.length]),
    user,
    Buffer.from([0x15, 0x02, 0x00, direction === 'outbound' ? 0x11 : 0x12, 0x18, hexLength]),
    Buffer.from(hex, 'ascii'),
    Buffer.from([0x00]),
  ]);
  return `wamid.${bytes.toString('base64')}`;
}

/** Messenger message ids look like `m_AbCdEfGh...` (messenger_text.json). */
export function newMessengerMid(): string {
  return `m_${randomBytes(24).toString('base64url')}`;
}

/** Graph's `fbtrace_id`: an opaque 23-character token. */
export function newFbtraceId(): string {
  return randomBytes(18).toString('base64url').slice(0, 23);
}

/** Conversation ids in status webhooks are 32 hex characters (Meta's example: `8f842dbba350821654c9dfed31f5635c`). */
export function newConversationId(): string {
  return randomBytes(16).toString('hex');
}

/** Webhook `hub.challenge`: Meta sends a random integer. */
export function newChallenge(): string {
  return String(randomBytes(4).readUInt32BE(0));
}

/** Inbound media ids are numeric strings (image_with_caption.json: `1234567890123456`). */
export function newMediaId(): string {
  return String(1_000_000_000_000_000 + randomBytes(6).readUIntBE(0, 6));
}
