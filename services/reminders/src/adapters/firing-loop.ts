import { randomUUID } from 'node:crypto';
import { Counter, Histogram, type Logger, type Registry } from '@careloop/observability';
import type { Clock } from '../domain/clock';
import type { FireDueReminders } from '../use-cases/fire-due-reminders';
import type { DueIndex } from './due-index';

export interface FiringLoopSettings {
  /** Sends per second per business number (0: unpaced); keep it at gateway's pace for that number. */
  readonly ratePerNumber: number;
  readonly maxBatch: number;
  readonly tickMs: number;
  readonly leaseMs: number;
  readonly ownerTtlMs: number;
  /** Batches of one number fired at the same time (the pace still holds: tokens are taken at claim). */
  readonly batchesPerNumber: number;
}

/**
 * Drives the timers: every tick, for each business number this replica holds the lock of, claims
 * what is due (up to the number's pace: a token bucket at `ratePerNumber`, so a morning batch
 * drains smoothly instead of flooding gateway's queue) and fires it. Expired leases (a replica died
 * mid-batch) go back to the index.
 */
export class FiringLoop {
  private readonly replicaId = randomUUID();
  private readonly owned = new Set<string>();
  private readonly busy = new Map<string, number>();
  private readonly tokens = new Map<string, { tokens: number; at: number }>();
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastHousekeeping = 0;
  private readonly fired: Counter;
  private readonly lateness: Histogram;

  constructor(
    private readonly index: DueIndex,
    private readonly fire: FireDueReminders,
    private readonly clock: Clock,
    private readonly settings: FiringLoopSettings,
    private readonly logger: Logger,
    metrics: Registry,
    /** True once the service drains: the bus closes before shutdown hooks run, so stop taking timers now. */
    private readonly draining: () => boolean = () => false,
  ) {
    this.fired = new Counter({ name: 'careloop_reminders_fired_total', help: 'Due reminders taken by the firing loop, by outcome.', labelNames: ['outcome'], registers: [metrics] });
    this.lateness = new Histogram({
      name: 'careloop_reminders_lateness_seconds',
      help: 'Time from a reminder’s due time to its dispatch.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: [metrics],
    });
  }

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.allSettled([...this.inFlight]);
    await Promise.allSettled([...this.owned].map((ep) => this.index.disown(ep, this.replicaId)));
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.tick().then(
        (again) => this.schedule(again ? 0 : this.settings.tickMs),
        (error: unknown) => {
          this.logger.warn({ err: { name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : '' } }, 'firing tick failed');
          this.schedule(this.settings.tickMs * 10);
        },
      );
    }, ms);
  }

  /** One pass over the numbers; true when some number had more due than it took (go again at once). */
  private async tick(): Promise<boolean> {
    if (this.draining()) return false;
    const now = this.clock.now().getTime();
    if (now - this.lastHousekeeping >= 1_000) {
      this.lastHousekeeping = now;
      await this.index.reap(now);
      for (const ep of await this.index.endpoints()) {
        if (await this.index.own(ep, this.replicaId, this.settings.ownerTtlMs)) this.owned.add(ep);
        else this.owned.delete(ep);
      }
    }
    let more = false;
    for (const ep of this.owned) {
      if ((this.busy.get(ep) ?? 0) >= this.settings.batchesPerNumber || this.stopped || this.draining()) continue;
      const limit = Math.min(this.settings.maxBatch, this.take(ep, now));
      if (limit < 1) continue;
      const entries = await this.index.claim(ep, now, limit, now + this.settings.leaseMs);
      this.refund(ep, limit - entries.length);
      if (entries.length === 0) continue;
      if (entries.length === limit) more = true;
      this.busy.set(ep, (this.busy.get(ep) ?? 0) + 1);
      const job = this.fire
        .execute(ep, entries)
        .then((outcome) => {
          this.fired.inc({ outcome: 'dispatched' }, outcome.dispatched);
          this.fired.inc({ outcome: 'skipped' }, outcome.skipped);
          this.fired.inc({ outcome: 'already-handled' }, outcome.alreadyHandled);
          for (const ms of outcome.lateness) this.lateness.observe(ms / 1000);
        })
        .catch((error: unknown) => {
          // The claims stay leased: they come back when the lease expires.
          this.logger.warn({ err: { name: error instanceof Error ? error.name : 'Error' }, endpoint: ep, count: entries.length }, 'firing a batch failed');
        })
        .finally(() => {
          this.busy.set(ep, (this.busy.get(ep) ?? 1) - 1);
          this.inFlight.delete(job);
        });
      this.inFlight.add(job);
    }
    return more;
  }

  /** Whole tokens available for a number now (unpaced: the batch size). */
  private take(ep: string, now: number): number {
    const rate = this.settings.ratePerNumber;
    if (rate <= 0) return this.settings.maxBatch;
    // A quarter second's worth at most, so a backlog drains at the pace, not in bursts.
    const capacity = Math.max(1, rate / 4);
    const bucket = this.tokens.get(ep) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    this.tokens.set(ep, bucket);
    const whole = Math.floor(bucket.tokens);
    bucket.tokens -= whole;
    return whole;
  }

  private refund(ep: string, unused: number): void {
    const bucket = this.tokens.get(ep);
    if (bucket && unused > 0 && this.settings.ratePerNumber > 0) bucket.tokens = Math.min(Math.max(1, this.settings.ratePerNumber / 4), bucket.tokens + unused);
  }
}
