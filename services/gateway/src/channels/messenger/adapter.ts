import { Channel, MediaKind, type OutboundMessageCommand } from '@careloop/contracts';
import type { ChannelAdapter, ParsedDelivery, SendableContent, SendOutcome } from '../channel-adapter';
import type { HttpTransport, SendSlot } from '../http-transport';
import { postToGraph } from '../meta-graph';
import { parseMessengerWebhook } from './webhook';
import { characterCount } from '../whatsapp/limits';

export interface MessengerSettings {
  readonly appSecrets: readonly string[];
  readonly verifyToken: string;
  readonly pageAccessToken: string;
  readonly graphBaseUrl: string;
  readonly apiVersion: string;
  readonly sendTimeoutMs: number;
  /** How requests leave (the gateway's send clock). */
  readonly transport: HttpTransport;
}

/** Messenger Send API limits: quick replies at most 13, titles at most 20 characters; text at most 2000. */
const MAX_QUICK_REPLIES = 13;
const MAX_QUICK_REPLY_TITLE = 20;
const MAX_TEXT = 2000;

/**
 * Facebook Messenger through the same seam as WhatsApp. Lists and reply
 * buttons become quick replies (Messenger's nearest equivalent); WhatsApp
 * templates have no Messenger counterpart and are refused by validation.
 */
export class MessengerAdapter implements ChannelAdapter {
  readonly channel = Channel.CHANNEL_MESSENGER;
  readonly name = 'messenger';

  constructor(private readonly settings: MessengerSettings) {}

  get appSecrets(): readonly string[] {
    return this.settings.appSecrets;
  }

  get verifyToken(): string {
    return this.settings.verifyToken;
  }

  parseWebhook(body: unknown, receivedAt: Date): ParsedDelivery {
    return parseMessengerWebhook(body, receivedAt);
  }

  validate(command: OutboundMessageCommand): string[] {
    const content = command.content;
    const problems: string[] = [];
    if (!command.to?.channelUserId) problems.push('recipient PSID is required');
    if (!content) return [...problems, 'the command has no content'];
    const replies = quickReplies(content);
    if (replies.length > MAX_QUICK_REPLIES) problems.push(`${replies.length} quick replies; Messenger allows ${MAX_QUICK_REPLIES}`);
    for (const r of replies) if (characterCount(r.title) > MAX_QUICK_REPLY_TITLE) problems.push(`quick reply "${r.id}" title exceeds ${MAX_QUICK_REPLY_TITLE} characters`);
    const text = textOf(content);
    if (text !== undefined && characterCount(text) > MAX_TEXT) problems.push(`text exceeds Messenger's ${MAX_TEXT} characters`);
    if (content.$case === 'template') problems.push('WhatsApp templates cannot be sent on Messenger');
    return problems;
  }

  send(command: OutboundMessageCommand, content: SendableContent, slot?: SendSlot): Promise<SendOutcome> {
    const { graphBaseUrl, apiVersion, pageAccessToken, sendTimeoutMs } = this.settings;
    const recipient = { id: command.to?.channelUserId ?? '' };
    const body =
      content.$case === 'markRead'
        ? { recipient, sender_action: 'mark_seen' }
        : { recipient, messaging_type: 'RESPONSE', message: toMessengerMessage(content) };
    return postToGraph({
      url: `${graphBaseUrl.replace(/\/$/, '')}/${apiVersion}/me/messages`,
      accessToken: pageAccessToken,
      body,
      timeoutMs: sendTimeoutMs,
      messageIdOf: (json) => {
        const b = json as { message_id?: string; recipient_id?: string } | undefined;
        return content.$case === 'markRead' ? b?.recipient_id && `seen:${b.recipient_id}` : b?.message_id;
      },
    }, this.settings.transport, slot);
  }
}

function quickReplies(content: SendableContent): { id: string; title: string }[] {
  if (content.$case === 'interactiveList') return content.value.sections.flatMap((s) => s.rows.map((r) => ({ id: r.id, title: r.title })));
  if (content.$case === 'replyButtons') return content.value.buttons.map((b) => ({ id: b.id, title: b.title }));
  return [];
}

function textOf(content: SendableContent): string | undefined {
  switch (content.$case) {
    case 'text':
      return content.value.body;
    case 'interactiveList':
    case 'replyButtons':
      return [content.value.header, content.value.body, content.value.footer].filter(Boolean).join('\n\n');
    default:
      return undefined;
  }
}

function toMessengerMessage(content: Exclude<SendableContent, { $case: 'markRead' }>): Record<string, unknown> {
  switch (content.$case) {
    case 'text':
      return { text: content.value.body };
    case 'interactiveList':
    case 'replyButtons':
      return {
        text: textOf(content),
        quick_replies: quickReplies(content).map((r) => ({ content_type: 'text', title: r.title, payload: r.id })),
      };
    case 'media': {
      const kind = content.value.kind;
      const type = kind === MediaKind.MEDIA_KIND_IMAGE ? 'image' : kind === MediaKind.MEDIA_KIND_AUDIO ? 'audio' : kind === MediaKind.MEDIA_KIND_VIDEO ? 'video' : 'file';
      return { attachment: { type, payload: { url: content.value.media?.link ?? '', is_reusable: false } } };
    }
    case 'template':
      return { text: '' };
  }
}
