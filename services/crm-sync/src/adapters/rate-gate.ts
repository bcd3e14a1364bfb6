import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from '@careloop/store';
import type { RateGate } from './fhir/fhir-client';

/**
 * Requests per second per connector, counted in Redis so every replica shares one budget
 * (rate-limiter-flexible's fixed one-second windows). A request over budget waits for the next
 * window instead of failing: pacing, not rejection.
 */
export class LimiterRateGate implements RateGate {
  private readonly limiters = new Map<number, RateLimiterAbstract>();

  constructor(private readonly make: (points: number) => RateLimiterAbstract) {}

  static redis(redis: Redis, namespace: string): LimiterRateGate {
    return new LimiterRateGate((points) => new RateLimiterRedis({ storeClient: redis, keyPrefix: `${namespace}rate:${points}`, points, duration: 1 }));
  }

  static memory(): LimiterRateGate {
    return new LimiterRateGate((points) => new RateLimiterMemory({ points, duration: 1 }));
  }

  async take(connectorId: string, ratePerSecond: number): Promise<void> {
    const points = Math.max(1, Math.round(ratePerSecond));
    let limiter = this.limiters.get(points);
    if (!limiter) {
      limiter = this.make(points);
      this.limiters.set(points, limiter);
    }
    for (;;) {
      try {
        await limiter.consume(connectorId, 1);
        return;
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        await new Promise((resolve) => setTimeout(resolve, Math.max(5, rejection.msBeforeNext)));
      }
    }
  }
}
