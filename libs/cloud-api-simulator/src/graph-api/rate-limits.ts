import type { PairRateLimitOptions } from '../options';

/**
 * Throughput per business phone number (Meta "Throughput": 80 mps by default; exceeding it returns
 * 130429 "until you are within your allowed level again"). A sliding one-second window of accepted
 * sends: exact at the boundary, and memory stays bounded by the limit. Only accepted sends count.
 * Meta counts inbound messages too; the simulator counts outbound sends only, since inbound volume
 * is driven by the test itself.
 */
export class ThroughputLimiter {
  private readonly windows = new Map<string, number[]>();

  constructor(private readonly perSecond: number) {}

  tryAcquire(phoneNumberId: string, now: number): boolean {
    const window = this.windows.get(phoneNumberId) ?? [];
    while (window.length > 0 && (window[0] ?? 0) <= now - 1000) window.shift();
    if (window.length >= this.perSecond) {
      this.windows.set(phoneNumberId, window);
      return false;
    }
    window.push(now);
    this.windows.set(phoneNumberId, window);
    return true;
  }

  /** Gives back the last slot, for a request that a later check rejected. */
  refund(phoneNumberId: string): void {
    this.windows.get(phoneNumberId)?.pop();
  }
}

interface PairState {
  burstStart: number;
  count: number;
}

/**
 * Pair rate limit per (business number, user), following Meta's wording literally: one message per
 * `intervalMs`; up to `burst` messages inside a `burstWindowMs` window that "borrows from your future
 * quota"; after the window the pair is blocked until `burstStart + count × intervalMs` ("wait the
 * equivalent time it would take to send those messages at the normal rate": a burst of 20 → ~2 min).
 * A single message every `intervalMs` never trips it.
 */
export class PairRateLimiter {
  private readonly pairs = new Map<string, PairState>();

  constructor(private readonly limits: PairRateLimitOptions) {}

  /** Returns undefined when allowed, otherwise the epoch ms at which the pair may send again. */
  tryAcquire(phoneNumberId: string, userKey: string, now: number): number | undefined {
    const key = `${phoneNumberId}\u0000${userKey}`;
    const state = this.pairs.get(key);
    if (state !== undefined) {
      const blockedUntil = state.burstStart + state.count * this.limits.intervalMs;
      if (now - state.burstStart < this.limits.burstWindowMs) {
        if (state.count >= this.limits.burst) return blockedUntil;
        state.count += 1;
        return undefined;
      }
      if (now < blockedUntil) return blockedUntil;
    }
    this.pairs.set(key, { burstStart: now, count: 1 });
    return undefined;
  }
}
