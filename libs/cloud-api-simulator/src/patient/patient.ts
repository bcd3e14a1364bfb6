import { createHash, randomBytes } from 'node:crypto';
import { newMediaId, newWamid } from '../ids';
import { META_ERRORS, webhookError, MetaError } from '../meta-errors';
import type { OutboundMessage } from '../messaging/outbound-message';
import { seconds } from '../messaging/status-webhooks';
import { renderTranscript, type RenderOptions, type TranscriptEntry } from '../transcript';
import type { InboundContext, InboundMessage, WebhookContact } from '../webhooks/payloads';
import type { WebhookDelivery } from '../webhooks/webhook-sender';
import { toReceivedMessage, type ReceivedMessage } from './received-message';

export interface PatientOptions {
  /** Phone number digits (the user's wa_id). Omit for a username-only user. */
  readonly waId?: string;
  /** Business-scoped user id, e.g. `ES.1502576394655843`. Required when there is no `waId`. */
  readonly bsuid?: string;
  /** WhatsApp username, shown in `contacts[].profile.username` when set. */
  readonly username?: string;
  readonly profileName: string;
  /** The business number this patient writes to; default the simulator's first number. */
  readonly phoneNumberId?: string;
}

export interface InboundResult {
  readonly messageId: string;
  readonly message: InboundMessage;
  /** Outcome of the signed webhook POST, retries included. */
  readonly delivery: WebhookDelivery;
}

/** What the simulator provides to patients; implemented by the simulator. */
export interface PatientHost {
  readonly now: () => number;
  businessDisplayDigits(phoneNumberId: string): string;
  deliverInbound(patient: SimulatedPatient, message: InboundMessage): Promise<InboundResult>;
  receivedBy(patient: SimulatedPatient): readonly OutboundMessage[];
  markReadByPatient(patient: SimulatedPatient, wamid: string): void;
  onDelivered(listener: (message: OutboundMessage) => void): () => void;
  transcriptOf(patient: SimulatedPatient): TranscriptEntry[];
}

/** Messages to the patient are found by wamid or, by default, the latest one that fits. */
export interface ReplyOptions {
  /** wamid of the message being answered; default the most recent one that has the option. */
  readonly to?: string;
}

/**
 * A WhatsApp user writing to one business number. Everything they send becomes a signed
 * Meta-shaped webhook; everything the business sends them (once delivered) is in `messages()`.
 */
export class SimulatedPatient {
  readonly waId: string | undefined;
  readonly bsuid: string | undefined;
  readonly username: string | undefined;
  readonly profileName: string;
  readonly phoneNumberId: string;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private cursor = 0;

  constructor(
    options: PatientOptions & { readonly phoneNumberId: string },
    private readonly host: PatientHost,
  ) {
    if (options.waId === undefined && options.bsuid === undefined) throw new Error('patient: waId or bsuid is required');
    if (options.waId !== undefined && !/^\d{5,15}$/.test(options.waId)) throw new Error(`patient: waId must be 5-15 digits, got "${options.waId}"`);
    this.waId = options.waId;
    this.bsuid = options.bsuid;
    this.username = options.username;
    this.profileName = options.profileName;
    this.phoneNumberId = options.phoneNumberId;
  }

  /** The id the simulator files this user under: wa_id, else the business-scoped id. */
  get key(): string {
    return this.waId ?? this.bsuid ?? '';
  }

  /** `value.contacts[]` entry, as in text_unicode_name.json or username_only_bsuid.json. */
  contact(): WebhookContact {
    const contact: WebhookContact = { profile: { name: this.profileName } };
    if (this.username !== undefined) contact.profile.username = this.username;
    if (this.waId !== undefined) contact.wa_id = this.waId;
    if (this.bsuid !== undefined) contact.user_id = this.bsuid;
    return contact;
  }

  sendText(body: string, options: { readonly replyTo?: string } = {}): Promise<InboundResult> {
    return this.send({ ...this.base(options.replyTo), type: 'text', text: { body } });
  }

  /** Picks a row of a list message (interactive_list_reply.json). */
  replyList(rowId: string, options: ReplyOptions = {}): Promise<InboundResult> {
    const source = this.findReceived(options.to, (m) => m.listRows.some((r) => r.id === rowId), `a list with row "${rowId}"`);
    const row = source.listRows.find((r) => r.id === rowId);
    if (row === undefined) throw new Error(`patient: row "${rowId}" is not in ${source.wamid}`);
    const listReply = { id: row.id, title: row.title, ...(row.description !== undefined ? { description: row.description } : {}) };
    return this.send({ ...this.base(source.wamid), type: 'interactive', interactive: { type: 'list_reply', list_reply: listReply } });
  }

  /** Presses a reply button (interactive_button_reply.json). */
  replyButton(buttonId: string, options: ReplyOptions = {}): Promise<InboundResult> {
    const source = this.findReceived(options.to, (m) => m.type === 'interactive' && m.buttons.some((b) => b.id === buttonId), `reply buttons with id "${buttonId}"`);
    const button = source.buttons.find((b) => b.id === buttonId);
    if (button === undefined) throw new Error(`patient: button "${buttonId}" is not in ${source.wamid}`);
    return this.send({ ...this.base(source.wamid), type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: button.id, title: button.title } } });
  }

  /** Presses a template quick-reply button, by its text or payload (template_quick_reply_button.json). */
  pressTemplateButton(textOrPayload: string, options: ReplyOptions = {}): Promise<InboundResult> {
    const fits = (m: ReceivedMessage): boolean => (m.template?.quickReplies ?? []).some((q) => q.text === textOrPayload || q.payload === textOrPayload);
    const source = this.findReceived(options.to, fits, `a template with quick reply "${textOrPayload}"`);
    const button = source.template?.quickReplies.find((q) => q.text === textOrPayload || q.payload === textOrPayload);
    if (button === undefined) throw new Error(`patient: quick reply "${textOrPayload}" is not in ${source.wamid}`);
    return this.send({ ...this.base(source.wamid), type: 'button', button: { payload: button.payload, text: button.text } });
  }

  /** A photo; media bytes are never inlined, only id, mime type and sha256 (image_with_caption.json). */
  sendImage(options: { readonly caption?: string; readonly mimeType?: string } = {}): Promise<InboundResult> {
    const image = {
      ...(options.caption !== undefined ? { caption: options.caption } : {}),
      mime_type: options.mimeType ?? 'image/jpeg',
      sha256: createHash('sha256').update(randomBytes(32)).digest('hex'),
      id: newMediaId(),
    };
    return this.send({ ...this.base(), type: 'image', image });
  }

  sendLocation(location: { readonly latitude: number; readonly longitude: number; readonly name?: string; readonly address?: string }): Promise<InboundResult> {
    return this.send({ ...this.base(), type: 'location', location: { ...location } });
  }

  /** Reacts to a message; an empty emoji removes the reaction. */
  react(wamid: string, emoji: string): Promise<InboundResult> {
    return this.send({ ...this.base(), type: 'reaction', reaction: { message_id: wamid, emoji } });
  }

  /** A message type the Cloud API does not support (unsupported_131051.json). */
  sendUnsupported(): Promise<InboundResult> {
    return this.send({ ...this.base(), type: 'unsupported', errors: [webhookError(new MetaError(META_ERRORS.unsupportedMessageType))] });
  }

  /** Opens the chat: marks one message, or every delivered one, as read (read status webhooks). */
  read(wamid?: string): void {
    const targets = wamid !== undefined ? [wamid] : this.host.receivedBy(this).filter((m) => m.status === 'delivered').map((m) => m.wamid);
    for (const id of targets) this.host.markReadByPatient(this, id);
  }

  /** Messages delivered to this patient, oldest first. */
  messages(): ReceivedMessage[] {
    return this.host.receivedBy(this).map(toReceivedMessage);
  }

  lastMessage(): ReceivedMessage | undefined {
    const all = this.messages();
    return all[all.length - 1];
  }

  /**
   * Resolves with the first delivered message that matches, looking at messages delivered since the
   * patient last wrote (the answers to their latest message) and then waiting for new ones.
   */
  waitForMessage(predicate: (message: ReceivedMessage) => boolean = () => true, timeoutMs = 5_000): Promise<ReceivedMessage> {
    const since = this.lastSentAt;
    const existing = this.messages().find((m) => m.deliveredAt >= since && predicate(m));
    if (existing !== undefined) return Promise.resolve(existing);
    return this.waitForDelivery(predicate, timeoutMs, `a matching message for patient ${this.key}`);
  }

  /** The next message not yet returned by `nextMessage`, waiting for it if needed. */
  async nextMessage(timeoutMs = 5_000): Promise<ReceivedMessage> {
    const pending = this.messages()[this.cursor];
    if (pending !== undefined) {
      this.cursor += 1;
      return pending;
    }
    const message = await this.waitForDelivery(() => true, timeoutMs, `the next message for patient ${this.key}`);
    this.cursor = this.messages().findIndex((m) => m.wamid === message.wamid) + 1;
    return message;
  }

  transcript(): TranscriptEntry[] {
    return this.host.transcriptOf(this);
  }

  renderTranscript(options?: RenderOptions): string {
    return renderTranscript(this.transcript(), options);
  }

  private waitForDelivery(predicate: (message: ReceivedMessage) => boolean, timeoutMs: number, what: string): Promise<ReceivedMessage> {
    return new Promise((resolve, reject) => {
      const unsubscribe = this.host.onDelivered((outbound) => {
        if (outbound.phoneNumberId !== this.phoneNumberId || outbound.userKey !== this.key) return;
        const received = toReceivedMessage(outbound);
        if (!predicate(received)) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(received);
      });
      const timer = setTimeout(() => {
        unsubscribe();
        const seen = this.messages().map((m) => `  - ${m.text.split('\n')[0] ?? ''}`);
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}. Received so far:\n${seen.join('\n') || '  (nothing)'}`));
      }, timeoutMs);
    });
  }

  private findReceived(wamid: string | undefined, fits: (m: ReceivedMessage) => boolean, what: string): ReceivedMessage {
    const received = this.messages();
    const found = wamid !== undefined ? received.find((m) => m.wamid === wamid) : [...received].reverse().find(fits);
    if (found === undefined) throw new Error(`patient ${this.key}: has not received ${wamid !== undefined ? `message ${wamid}` : what}`);
    return found;
  }

  private base(contextId?: string): { context?: InboundContext; from?: string; from_user_id?: string; id: string; timestamp: string } {
    const now = this.host.now();
    return {
      ...(contextId !== undefined ? { context: { from: this.host.businessDisplayDigits(this.phoneNumberId), id: contextId } } : {}),
      ...(this.waId !== undefined ? { from: this.waId } : {}),
      ...(this.bsuid !== undefined ? { from_user_id: this.bsuid } : {}),
      id: newWamid(this.key, 'inbound'),
      timestamp: seconds(now),
    };
  }

  private send(message: InboundMessage): Promise<InboundResult> {
    this.lastSentAt = this.host.now();
    return this.host.deliverInbound(this, message);
  }
}
