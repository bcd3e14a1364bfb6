import { Channel, Topics, type ChannelError, type OutboundMessageCommand, type OutboundResult } from '@careloop/contracts';
import { backoffDelayMs, NonRetryableError, type EventBus, type ReceivedEvent, type RetryPolicy } from '@careloop/bus';
import type { Logger } from '@careloop/observability';
import type { ChannelAdapter, SendableContent, SendOutcome } from '../channels/channel-adapter';
import type { ConversationWindow } from '../adapters/conversation-window';
import type { GatewayMetrics } from '../adapters/gateway-metrics';
import type { MessageLog } from '../adapters/message-log';
import type { BurstPaybackLimit, Pacer, RateLimit } from '../adapters/pacer';
import type { EndpointRegistry } from '../domain/endpoint-registry';

export interface SendLimits {
  /** Per business number, shared by all replicas (Meta: 80/s by default, up to 1,000/s). */
  readonly perNumber: RateLimit;
  /** Per (business number, person) pair (Meta: about one message every 6 s, short bursts tolerated). */
  readonly perPair: BurstPaybackLimit;
}

/** The limits from the settings (WHATSAPP_THROUGHPUT_*, WHATSAPP_PAIR_*), as the service and its benchmark use them. */
export function deriveSendLimits(settings: {
  readonly throughputPerSecond: number;
  readonly headroom: number;
  readonly pairPerMinute: number;
  readonly pairBurst: number;
  readonly pairBurstWindowMs: number;
}): SendLimits {
  return {
    // No burst: the whole headroom absorbs the jitter between a slot and Meta's count (timers on a
    // busy event loop, the network), so rate + jitter stays within Meta's rolling second. At
    // 1,000/s a burst would save milliseconds and spend the margin; sends late by more than
    // SLOT_LATENESS_MS take a later slot instead.
    perNumber: { perSecond: settings.throughputPerSecond * settings.headroom, burst: 1 },
    perPair: {
      intervalMs: 60_000 / settings.pairPerMinute,
      burst: settings.pairBurst,
      burstWindowMs: settings.pairBurstWindowMs,
      // Pay back half a second more than Meta asks: a send may reach Meta sooner than the burst's first did.
      marginMs: 500,
    },
  };
}

export type FailureReason =
  | 'invalid'
  | 'unknown_endpoint'
  | 'unsupported_channel'
  | 'window_closed'
  | 'expired'
  | 'channel_error'
  | 'retries_exhausted'
  | 'outcome_unknown';

/**
 * What happens to one outbound message command: validated against the
 * channel's limits, sent at most once (the message log is the idempotency
 * record), within the 24-hour window or as its template fallback, paced per
 * number and per person, retried with backoff when the channel says "later",
 * and reported as an OutboundResult either way.
 *
 * The narrow window: between the channel accepting a send and the log
 * recording it, a crash leaves the entry in `sending`. A redelivered command
 * then does NOT send again (it could be a duplicate); it is marked `unknown`,
 * and Meta's status webhook — which echoes our command id in
 * biz_opaque_callback_data — settles it as accepted when it arrives.
 */
export class SendOutboundCommand {
  constructor(
    private readonly deps: {
      readonly adapters: ReadonlyMap<Channel, ChannelAdapter>;
      readonly registry: EndpointRegistry;
      readonly log: MessageLog;
      readonly window: ConversationWindow;
      readonly pacer: Pacer;
      readonly bus: EventBus;
      readonly metrics: GatewayMetrics;
      readonly logger: Logger;
      readonly limits: SendLimits;
      readonly retry: RetryPolicy;
      /**
       * How long a command keeps retrying while the channel says "too many" (130429, 131056...):
       * a rate limit passes, so these do not count against retry.maxAttempts. A patient's answer
       * right after two reminders meets Meta's per-person limit and must still arrive.
       */
      readonly throttledGiveUpMs: number;
    },
  ) {}

  async execute(event: ReceivedEvent<OutboundMessageCommand>): Promise<void> {
    const command = event.payload;
    const tenantId = event.tenantId;
    if (!command.commandId) throw new NonRetryableError('outbound command has no command_id (the idempotency key)');

    // Only numbers and pages this gateway serves, and only for their own tenant.
    const binding = this.deps.registry.resolve(channelKey(command.from?.channel), command.from?.endpointId ?? '');
    if (binding?.tenantId !== tenantId) {
      await this.publishResult(event, { accepted: false, failureReason: 'unknown_endpoint' });
      throw new NonRetryableError(`endpoint ${command.from?.endpointId ?? '(none)'} is not served for this tenant (see GATEWAY_ENDPOINTS)`);
    }
    const adapter = this.deps.adapters.get(command.from?.channel ?? Channel.CHANNEL_UNSPECIFIED);
    if (!adapter) {
      await this.publishResult(event, { accepted: false, failureReason: 'unsupported_channel' });
      throw new NonRetryableError(`no adapter for channel ${String(command.from?.channel)}`);
    }
    const problems = adapter.validate(command);
    if (problems.length > 0) {
      this.deps.metrics.send(adapter.name, 'invalid', 0);
      await this.publishResult(event, { accepted: false, failureReason: 'invalid' });
      // To the dead-letter topic, with the reasons, for the skill's authors to see.
      throw new NonRetryableError(`command ${command.commandId} breaks ${adapter.name} limits: ${problems.join('; ')}`);
    }

    // The person's limit first (its waits can be long, and a claim that says "sending" through them
    // would turn a crash in that time into an unknown outcome), then the claim — one write, already
    // "sending" — and only then the number's slot, handed to the send clock at once: a slot taken
    // before the claim was missed whenever the claim's write outlasted the wait for it (a slot the
    // send clock never learnt of, lost to every send).
    const content = await this.chooseContent(adapter, command);
    const deadline = command.notAfter ? command.notAfter.getTime() : Number.POSITIVE_INFINITY;
    const endpointId = command.from?.endpointId ?? '';
    const recipient = command.to?.channelUserId ?? '';
    const pairRefusal = content === 'window_closed' ? undefined : await this.awaitPersonLimit(endpointId, recipient, content, deadline);
    const claim = await this.deps.log.claim(tenantId, {
      commandId: command.commandId,
      channel: adapter.name,
      endpointId,
      recipient,
      content: command.content,
      contactId: command.contactId,
      conversationId: command.conversationId,
      requestedBy: command.requestedBy,
      ...(content !== 'window_closed' && pairRefusal === undefined ? { sending: { asTemplate: content.asTemplate } } : {}),
    });
    if (!claim.created && claim.existing) {
      switch (claim.existing.state) {
        case 'accepted':
        case 'failed':
        case 'unknown':
          return; // already settled: a redelivery
        case 'sending':
          await this.deps.log.markFailed(tenantId, command.commandId, 'gateway stopped while the send was in flight', 'unknown');
          await this.publishResult(event, { accepted: false, failureReason: 'outcome_unknown' });
          return;
        case 'claimed':
          break; // a previous attempt stopped before sending: resume
      }
    }

    if (content === 'window_closed') {
      await this.fail(event, adapter, 'window_closed', 'the 24-hour customer-service window is closed and the command has no template fallback');
      return;
    }
    const firstSlot = pairRefusal ?? (await this.reserveNumberSlot(endpointId, deadline));
    if (typeof firstSlot === 'string') {
      await this.fail(event, adapter, 'expired', firstSlot);
      return;
    }
    let slotAt = firstSlot;

    let throttledSince: number | undefined;
    let transientFailures = 0;
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) {
        const slot = await this.reserveSlot(endpointId, recipient, content, deadline);
        if (typeof slot !== 'number') {
          await this.fail(event, adapter, 'expired', slot);
          return;
        }
        // A retry says it is sending again while it waits for its slot.
        slotAt = slot;
        await this.deps.log.markSending(tenantId, command.commandId, content.asTemplate);
      } else if (!claim.created) {
        // A resumed claim (a previous process stopped before sending): claimed as sending only now.
        await this.deps.log.markSending(tenantId, command.commandId, content.asTemplate);
      }
      const sent = await this.sendAtSlot(adapter, command, content.body, slotAt, endpointId, deadline);
      if (typeof sent === 'string') {
        await this.fail(event, adapter, 'expired', sent);
        return;
      }
      const { outcome } = sent;
      // The call itself, without the wait for its slot.
      const seconds = Math.max(0, Date.now() - sent.sentAt) / 1000;

      if (outcome.kind === 'accepted') {
        this.deps.metrics.send(adapter.name, 'accepted', 0, seconds);
        // Not settled now: a status webhook overtook this answer and published the result already.
        if (await this.deps.log.markAccepted(tenantId, command.commandId, outcome.messageId)) {
          await this.publishResult(event, { accepted: true, messageId: outcome.messageId, sentAsTemplate: content.asTemplate });
        }
        return;
      }
      this.deps.metrics.send(adapter.name, outcome.retry, outcome.code, seconds);
      const error = toChannelError(outcome);
      switch (outcome.retry) {
        case 'permanent':
          await this.fail(event, adapter, 'channel_error', `${outcome.code} ${outcome.title}`, [error]);
          return;
        case 'unknown':
          await this.deps.log.markFailed(tenantId, command.commandId, 'request may have reached the channel (network error)', 'unknown');
          await this.publishResult(event, { accepted: false, failureReason: 'outcome_unknown', errors: [error] });
          return;
        case 'throttled':
        case 'transient': {
          await this.deps.log.markNotSent(tenantId, command.commandId);
          const throttled = outcome.retry === 'throttled';
          if (throttled) throttledSince ??= Date.now();
          else transientFailures += 1;
          const givingUp = throttled ? Date.now() - (throttledSince ?? Date.now()) >= this.deps.throttledGiveUpMs : transientFailures >= this.deps.retry.maxAttempts;
          if (givingUp) {
            await this.fail(event, adapter, 'retries_exhausted', `${attempt} attempts; last: ${outcome.code} ${outcome.title}`, [error]);
            throw new NonRetryableError(`command ${command.commandId}: ${attempt} send attempts failed (last ${outcome.code || outcome.httpStatus})`);
          }
          // Meta's pair limit frees one send per interval: backing off further only makes the patient wait.
          const backoff = outcome.code === PAIR_RATE_LIMIT_HIT ? Math.min(backoffDelayMs(this.deps.retry, attempt), this.deps.limits.perPair.intervalMs) : backoffDelayMs(this.deps.retry, attempt);
          await sleep(Math.min(backoff, Math.max(0, deadline - Date.now())));
        }
      }
    }
  }

  /** The command's own content inside the window; its template fallback outside; or nothing. */
  private async chooseContent(adapter: ChannelAdapter, command: OutboundMessageCommand): Promise<{ body: SendableContent; asTemplate: boolean } | 'window_closed'> {
    const content = command.content;
    if (!content) throw new NonRetryableError('command has no content');
    if (content.$case === 'template' || content.$case === 'markRead') return { body: content, asTemplate: content.$case === 'template' };
    if (await this.deps.window.isOpen(command.from?.endpointId ?? '', command.to?.channelUserId ?? '')) return { body: content, asTemplate: false };
    if (command.templateFallback && adapter.channel === Channel.CHANNEL_WHATSAPP) return { body: { $case: 'template', value: command.templateFallback }, asTemplate: true };
    return 'window_closed';
  }

  /**
   * Both limits in turn: the per-person one first (its waits can be long, and a number slot
   * reserved before them would go unused), then the next slot of the number's throughput. When
   * the send may go (epoch ms on this process's clock), or why it cannot go before `deadline`.
   */
  private async reserveSlot(endpointId: string, recipient: string, content: { body: SendableContent }, deadline: number): Promise<number | string> {
    return (await this.awaitPersonLimit(endpointId, recipient, content, deadline)) ?? (await this.reserveNumberSlot(endpointId, deadline));
  }

  /** Waits for the person's limit; why the send cannot go before `deadline`, or undefined once it may. */
  private async awaitPersonLimit(endpointId: string, recipient: string, content: { body: SendableContent }, deadline: number): Promise<string | undefined> {
    if (Date.now() > deadline) return 'not sent before the command’s not_after';
    // Mark-as-read is not a message to the person: Meta's pair limit does not count it.
    if (content.body.$case === 'markRead') return undefined;
    const started = performance.now();
    const ok = await this.deps.pacer.acquire(`pace:pair-burst:${endpointId}:${recipient}`, this.deps.limits.perPair, deadline);
    this.deps.metrics.paced('pair', (performance.now() - started) / 1000);
    return ok ? undefined : 'per-person limit would delay it past not_after';
  }

  /** The number's next slot (epoch ms on this process's clock), or why it would come after `deadline`. */
  private async reserveNumberSlot(endpointId: string, deadline: number): Promise<number | string> {
    const started = performance.now();
    const at = await this.deps.pacer.reserveAt(`pace:number:${endpointId}`, this.deps.limits.perNumber, deadline);
    if (at === undefined) return 'throughput limit would delay it past not_after';
    this.deps.metrics.paced('number', (performance.now() - started + Math.max(0, at - Date.now())) / 1000);
    return at;
  }

  /**
   * Sends at `slotAt`. A send that would leave more than SLOT_LATENESS_MS after its slot (the
   * claim beside the wait took longer) is not sent: it takes the next free slot instead of going
   * late, where it would crowd the next slots' sends into Meta's rolling second. Up to three
   * times: on a machine that lags every timer, each new slot could be missed too.
   * The outcome and when the request left, or why it cannot go before `deadline`.
   */
  private async sendAtSlot(adapter: ChannelAdapter, command: OutboundMessageCommand, body: SendableContent, slotAt: number, endpointId: string, deadline: number): Promise<{ readonly outcome: Exclude<SendOutcome, { kind: 'slot_missed' }>; readonly sentAt: number } | string> {
    for (let at = slotAt, tries = 0; ; tries++) {
      const handedOver = Date.now();
      const outcome = await adapter.send(command, body, { at, maxLatenessMs: tries < 3 ? SLOT_LATENESS_MS : Number.POSITIVE_INFINITY });
      if (outcome.kind !== 'slot_missed') return { outcome, sentAt: Math.max(at, handedOver) };
      this.deps.metrics.slotMissed(handedOver > at + SLOT_LATENESS_MS ? 'handover' : 'clock');
      const next = await this.deps.pacer.reserveAt(`pace:number:${endpointId}`, this.deps.limits.perNumber, deadline);
      if (next === undefined) return 'throughput limit would delay it past not_after';
      at = next;
    }
  }

  private async fail(event: ReceivedEvent<OutboundMessageCommand>, adapter: ChannelAdapter, reason: FailureReason, detail: string, errors: ChannelError[] = []): Promise<void> {
    this.deps.metrics.send(adapter.name, reason, errors[0]?.code ?? 0);
    await this.deps.log.markFailed(event.tenantId, event.payload.commandId, `${reason}: ${detail}`);
    await this.publishResult(event, { accepted: false, failureReason: reason, errors });
  }

  private async publishResult(event: ReceivedEvent<OutboundMessageCommand>, result: Partial<OutboundResult>): Promise<void> {
    const command = event.payload;
    await this.deps.bus.publish(
      Topics.outboundResult,
      {
        commandId: command.commandId,
        requestedBy: command.requestedBy,
        contactId: command.contactId,
        conversationId: command.conversationId,
        accepted: false,
        messageId: '',
        failureReason: '',
        errors: [],
        occurredAt: new Date(),
        sentAsTemplate: false,
        ...result,
      },
      {
        key: `${String(command.to?.channel ?? '')}:${command.to?.channelUserId ?? ''}`,
        tenantId: event.tenantId,
        facilityId: event.facilityId,
        causationId: event.id,
        correlationId: event.correlationId,
      },
    );
  }
}

function toChannelError(outcome: Extract<SendOutcome, { kind: 'rejected' }>): ChannelError {
  return { code: outcome.code, title: outcome.title, message: outcome.title, details: outcome.details, href: '' };
}

function channelKey(channel: Channel | undefined): string {
  return channel === Channel.CHANNEL_MESSENGER ? 'messenger' : 'whatsapp';
}

/**
 * How late after its reserved slot a send may still go. Meta counts a rolling second, and sends
 * shifted by up to L ms add at most what the paced rate sends in L to any second: at the default
 * 0.97 headroom, 15 ms bounds it at 970 × 1.015 ≈ 985 of 1,000. A tighter allowance gives up more
 * slots (outbound bench, 20,000 sends: 5 ms → 840–1,060 missed, 0.93 of the limit in two runs;
 * 15 ms → 160–1,900 missed, 0.89–0.97, median 0.93, in six), while the busiest second the
 * simulator saw (980–1,000) was set mostly by arrival jitter whatever the allowance.
 */
export const SLOT_LATENESS_MS = 15;

/** Meta's "(Business Account, Consumer Account) pair rate limit hit". */
const PAIR_RATE_LIMIT_HIT = 131056;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
