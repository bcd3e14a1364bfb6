import type { MetaError } from '../meta-errors';
import type { StatusTimingOptions } from '../options';
import type { Scheduler } from '../scheduler';
import type { TranscriptStore } from '../transcript';
import type { StatusObject } from '../webhooks/payloads';
import type { CustomerServiceWindows } from './customer-service-window';
import type { OutboundMessage } from './outbound-message';
import { failedStatusObject, statusObject } from './status-webhooks';

export interface StatusLifecycleDeps {
  readonly scheduler: Scheduler;
  readonly timing: StatusTimingOptions;
  readonly autoRead: boolean;
  readonly now: () => number;
  readonly windows: CustomerServiceWindows;
  readonly transcript: TranscriptStore;
  /** Queues the status webhook behind earlier webhooks of the same conversation. */
  readonly dispatchStatus: (message: OutboundMessage, status: StatusObject) => void;
  readonly delivered: (message: OutboundMessage) => void;
}

/**
 * Moves each accepted message through sent → delivered → read (or straight to failed), one way only,
 * recording each step in the transcript and sending its status webhook. State changes run on timers,
 * independent of whether the receiver accepts the webhooks, so a patient sees a message even while
 * the business's webhook endpoint is failing; the webhooks themselves still leave in order.
 */
export class StatusLifecycle {
  constructor(private readonly deps: StatusLifecycleDeps) {}

  accepted(message: OutboundMessage, failure: MetaError | undefined): void {
    const { scheduler, timing } = this.deps;
    if (failure !== undefined) {
      // Meta reports these with a single `failed` status (no `sent`), as in status_failed_131047.json.
      scheduler.after(timing.sentMs, () => this.fail(message, failure));
      return;
    }
    // Delivery is timed from `sent`, not beside it: two timers set side by side can fire in either
    // order once the event loop was blocked past both (Node keeps one list per duration), and a
    // delivery that ran before its `sent` left the message at `sent`, never seen by the patient.
    scheduler.after(timing.sentMs, () => {
      this.sent(message);
      scheduler.after(Math.max(0, timing.deliveredMs - timing.sentMs), () => this.deliver(message));
    });
  }

  /** The patient opened the chat. Reading implies delivery; Meta then skips the `delivered` webhook. */
  read(message: OutboundMessage): void {
    if (message.status === 'accepted' || message.status === 'read' || message.status === 'failed') return;
    const now = this.deps.now();
    const wasDelivered = message.status === 'delivered';
    message.status = 'read';
    message.readAt = now;
    if (!wasDelivered) {
      message.deliveredAt = now;
      this.deps.delivered(message);
    }
    this.record(message, 'read');
    this.deps.dispatchStatus(message, statusObject(message, 'read', now, undefined));
  }

  private sent(message: OutboundMessage): void {
    if (message.status !== 'accepted') return;
    const now = this.deps.now();
    message.status = 'sent';
    message.sentAt = now;
    this.record(message, 'sent');
    this.deps.dispatchStatus(message, statusObject(message, 'sent', now, this.deps.windows.closesAt(message.phoneNumberId, message.userKey)));
  }

  private deliver(message: OutboundMessage): void {
    if (message.status !== 'sent') return;
    const now = this.deps.now();
    message.status = 'delivered';
    message.deliveredAt = now;
    this.record(message, 'delivered');
    this.deps.delivered(message);
    this.deps.dispatchStatus(message, statusObject(message, 'delivered', now, undefined));
    if (this.deps.autoRead) this.deps.scheduler.after(this.deps.timing.readMs, () => this.read(message));
  }

  private fail(message: OutboundMessage, error: MetaError): void {
    if (message.status !== 'accepted') return;
    const now = this.deps.now();
    message.status = 'failed';
    message.failedAt = now;
    message.failure = { code: error.code, title: error.title, details: error.details };
    this.deps.transcript.add({
      at: now,
      channel: 'whatsapp',
      business: message.phoneNumberId,
      user: message.userKey,
      kind: 'status',
      messageId: message.wamid,
      status: 'failed',
      error: { code: error.code, title: error.title },
    });
    this.deps.dispatchStatus(message, failedStatusObject(message, error, now));
  }

  private record(message: OutboundMessage, status: 'sent' | 'delivered' | 'read'): void {
    this.deps.transcript.add({
      at: this.deps.now(),
      channel: 'whatsapp',
      business: message.phoneNumberId,
      user: message.userKey,
      kind: 'status',
      messageId: message.wamid,
      status,
    });
  }
}
