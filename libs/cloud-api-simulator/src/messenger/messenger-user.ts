import { newMessengerMid } from '../ids';
import type { TranscriptEntry } from '../transcript';
import type { MessengerMessagingEvent } from '../webhooks/payloads';
import type { WebhookDelivery } from '../webhooks/webhook-sender';
import type { MessengerOutbound } from './send-api';

export interface MessengerUserOptions {
  /** Page-scoped user id. */
  readonly psid: string;
  readonly name?: string;
}

export interface MessengerHost {
  readonly now: () => number;
  readonly pageId: string;
  deliverInbound(user: SimulatedMessengerUser, event: MessengerMessagingEvent): Promise<WebhookDelivery>;
  receivedBy(user: SimulatedMessengerUser): readonly MessengerOutbound[];
  onDelivered(listener: (message: MessengerOutbound) => void): () => void;
  transcriptOf(user: SimulatedMessengerUser): TranscriptEntry[];
}

export interface MessengerInboundResult {
  readonly mid: string;
  readonly delivery: WebhookDelivery;
}

/** A person writing to the Facebook Page; sends page webhooks shaped like messenger_text.json. */
export class SimulatedMessengerUser {
  readonly psid: string;
  readonly name: string;

  constructor(
    options: MessengerUserOptions,
    private readonly host: MessengerHost,
  ) {
    this.psid = options.psid;
    this.name = options.name ?? options.psid;
  }

  sendText(text: string): Promise<MessengerInboundResult> {
    return this.send({ mid: newMessengerMid(), text });
  }

  /** Taps a quick reply: the text is the button title, `quick_reply.payload` its payload. */
  sendQuickReply(payload: string, title: string): Promise<MessengerInboundResult> {
    return this.send({ mid: newMessengerMid(), text: title, quick_reply: { payload } });
  }

  messages(): readonly MessengerOutbound[] {
    return this.host.receivedBy(this);
  }

  lastMessage(): MessengerOutbound | undefined {
    const all = this.messages();
    return all[all.length - 1];
  }

  waitForMessage(predicate: (message: MessengerOutbound) => boolean = () => true, timeoutMs = 5_000): Promise<MessengerOutbound> {
    return new Promise((resolve, reject) => {
      const unsubscribe = this.host.onDelivered((message) => {
        if (message.psid !== this.psid || !predicate(message)) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(message);
      });
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for a Messenger message to ${this.psid}`));
      }, timeoutMs);
    });
  }

  transcript(): TranscriptEntry[] {
    return this.host.transcriptOf(this);
  }

  private async send(message: MessengerMessagingEvent['message']): Promise<MessengerInboundResult> {
    const now = this.host.now();
    const event: MessengerMessagingEvent = { sender: { id: this.psid }, recipient: { id: this.host.pageId }, timestamp: now, message };
    const delivery = await this.host.deliverInbound(this, event);
    return { mid: message.mid, delivery };
  }
}
