import { randomUUID } from 'node:crypto';
import { Channel, InboundMessage, Topics } from '@careloop/contracts';
import type { KafkaEventBus } from '@careloop/bus';
import { sleep } from '@careloop/testing';
import type { EnvelopeArrival } from './kafka';
import { planTurns, SCRIPT, seededRandom, type TurnKind } from './script';

const WHATSAPP_NUMBER = '1000001';
const FACILITY = 'madrid-central';

/** One inbound event of the load and what came back for it. */
export interface Turn {
  readonly id: string;
  readonly tenantId: string;
  readonly kind: TurnKind;
  /** Outbound commands the subject should answer with. */
  readonly expected: number;
  readonly measured: boolean;
  /** performance.now() just before bus.publish. */
  sentAt: number;
  /** performance.now() when the first outbound command caused by this turn arrived. */
  firstAnswerAt: number | undefined;
  answers: number;
}

/** Every turn sent, by event id; the outbound tap reports arrivals here. */
export class TurnRegistry {
  private readonly turns = new Map<string, Turn>();
  private strays = 0;

  add(turn: Turn): void {
    this.turns.set(turn.id, turn);
  }

  arrived(arrival: EnvelopeArrival): void {
    const turn = this.turns.get(arrival.causationId);
    if (!turn || turn.tenantId !== arrival.tenantId) {
      this.strays++;
      return;
    }
    turn.answers++;
    turn.firstAnswerAt ??= arrival.arrivedAt;
  }

  /** Outbound commands of a watched tenant that no turn caused. */
  get strayAnswers(): number {
    return this.strays;
  }
}

/**
 * Patients writing to one tenant's WhatsApp number: InboundMessage events
 * shaped exactly like gateway's (see test/support/routing-harness.ts), keyed
 * by sender as gateway keys them.
 */
export class Patients {
  constructor(
    private readonly bus: KafkaEventBus,
    readonly tenantId: string,
  ) {}

  static channelUserId(contact: number): string {
    return `346${String(contact).padStart(8, '0')}`;
  }

  publish(contact: number, content: InboundMessage['content'], eventId: string): Promise<unknown> {
    const channelUserId = Patients.channelUserId(contact);
    const now = new Date();
    const message = InboundMessage.fromPartial({
      messageId: `wamid.${randomUUID()}`,
      to: { channel: Channel.CHANNEL_WHATSAPP, endpointId: WHATSAPP_NUMBER, displayAddress: '34910000001', accountId: '102290129340398' },
      from: { channel: Channel.CHANNEL_WHATSAPP, channelUserId, phoneE164: `+${channelUserId}`, businessScopedUserId: '', profileName: `Paciente ${contact}`, username: '' },
      sentAt: now,
      receivedAt: now,
      content,
    });
    return this.bus.publish(Topics.inboundMessage, message, { key: `whatsapp:${channelUserId}`, tenantId: this.tenantId, facilityId: FACILITY, occurredAt: now, id: eventId });
  }
}

export interface LoadOptions {
  readonly rate: number;
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
  readonly contacts: number;
  readonly thinkSeconds: number;
  readonly seed: number;
  /** Every outbound answer of a measured turn must come within this, else the turn is missing. */
  readonly answerTimeoutMs: number;
  /** Outbound commands per turn when not the script's (the relay answers every message once). */
  readonly fixedAnswers?: number;
}

export interface LoadResult {
  readonly turns: readonly Turn[];
  /** Measured turns per second, from the first measured send to the last. */
  readonly achievedRate: number;
  readonly sent: number;
  readonly contactsUsed: number;
  readonly publishFailures: number;
  /** How far behind its schedule the sender fell at worst (this process's own event loop). */
  readonly maxSendLagMs: number;
  readonly windowSeconds: number;
}

/** Hooks at the start and the end of the measured window (CPU accounting, trace snapshots). */
export interface WindowHooks {
  readonly onMeasureStart?: () => void;
  readonly onMeasureEnd?: () => void;
}

/**
 * Sends the load at a steady rate (the i-th message at t0 + i/rate, never in
 * bursts to catch up more than the timer's granularity), then waits until
 * every measured turn is answered or has waited `answerTimeoutMs`.
 */
export async function runLoad(patients: Patients, registry: TurnRegistry, options: LoadOptions, hooks: WindowHooks = {}): Promise<LoadResult> {
  const total = Math.round(options.rate * (options.warmupSeconds + options.durationSeconds));
  const warmup = Math.round(options.rate * options.warmupSeconds);
  const plan = planTurns(total, options.contacts, options.rate, options.thinkSeconds, seededRandom(options.seed));
  const measured: Turn[] = [];
  const publishes: Promise<unknown>[] = [];
  let publishFailures = 0;
  let maxSendLagMs = 0;
  let firstMeasured = 0;
  let lastMeasured = 0;

  const t0 = performance.now();
  let i = 0;
  while (i < total) {
    const elapsed = performance.now() - t0;
    const due = Math.min(total, Math.floor((elapsed / 1000) * options.rate) + 1);
    if (i < due) maxSendLagMs = Math.max(maxSendLagMs, elapsed - (i / options.rate) * 1000);
    for (; i < due; i++) {
      const planned = plan[i];
      const step = planned ? SCRIPT[planned.step] : undefined;
      if (!planned || !step) throw new Error(`no plan for message ${i}`);
      const isMeasured = i >= warmup;
      if (i === warmup) hooks.onMeasureStart?.();
      const turn: Turn = { id: randomUUID(), tenantId: patients.tenantId, kind: step.kind, expected: options.fixedAnswers ?? step.answers, measured: isMeasured, sentAt: 0, firstAnswerAt: undefined, answers: 0 };
      registry.add(turn);
      turn.sentAt = performance.now();
      if (isMeasured) {
        measured.push(turn);
        if (firstMeasured === 0) firstMeasured = turn.sentAt;
        lastMeasured = turn.sentAt;
      }
      publishes.push(
        patients.publish(planned.contact, step.content, turn.id).catch(() => {
          publishFailures++;
        }),
      );
    }
    if (i < total) await sleep(Math.max(0, t0 + (i / options.rate) * 1000 - performance.now()));
  }
  hooks.onMeasureEnd?.();
  const windowSeconds = (lastMeasured - firstMeasured) / 1000 + 1 / options.rate;
  await Promise.all(publishes);

  // Drain: every measured turn answered (all of its messages), or out of time.
  const deadline = lastMeasured + options.answerTimeoutMs;
  while (performance.now() < deadline && measured.some((t) => t.answers < t.expected)) await sleep(100);
  const contactsUsed = new Set(plan.map((p) => p.contact)).size;
  return { turns: measured, achievedRate: measured.length / windowSeconds, sent: total, contactsUsed, publishFailures, maxSendLagMs, windowSeconds };
}

/** Sends one message and waits for its answers: a check that the subject answers at all, and its first warm-up. */
export async function probe(patients: Patients, registry: TurnRegistry, contact: number, step: number, timeoutMs: number): Promise<Turn> {
  const s = SCRIPT[step];
  if (!s) throw new Error(`no script step ${step}`);
  const turn: Turn = { id: randomUUID(), tenantId: patients.tenantId, kind: s.kind, expected: s.answers, measured: false, sentAt: performance.now(), firstAnswerAt: undefined, answers: 0 };
  registry.add(turn);
  await patients.publish(contact, s.content, turn.id);
  const deadline = performance.now() + timeoutMs;
  while (turn.answers < turn.expected && performance.now() < deadline) await sleep(20);
  return turn;
}
