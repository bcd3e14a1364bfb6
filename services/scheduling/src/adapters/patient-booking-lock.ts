import { randomUUID } from 'node:crypto';
import type { Redis } from '@careloop/store';

/** Deletes the lock only if it still holds our token (it may have expired and been taken by another). */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export class PatientBusyError extends Error {
  override readonly name = 'PatientBusyError';
  constructor() {
    super('another booking of this patient in this department is in progress');
  }
}

/**
 * Serialises one patient's bookings in one department across replicas, so that the
 * per-patient limit (count, then hold, then insert) cannot be overrun by two bookings at
 * once. A Redis key with a token and an expiry (the single-instance lock of the Redis
 * documentation): a replica that dies holding it blocks that patient for `ttlMs` at most.
 * Keys carry pseudonymous ids only.
 */
export class PatientBookingLock {
  constructor(
    private readonly redis: Redis,
    private readonly ttlMs = 10_000,
    private readonly waitMs = 5_000,
  ) {}

  async around<T>(tenantId: string, patientId: string, departmentId: string, work: () => Promise<T>): Promise<T> {
    const key = `booking-lock:${tenantId}:${patientId}:${departmentId}`;
    const token = randomUUID();
    const deadline = Date.now() + this.waitMs;
    for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
      if ((await this.redis.set(key, token, 'PX', this.ttlMs, 'NX')) === 'OK') break;
      if (Date.now() > deadline) throw new PatientBusyError();
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
    try {
      return await work();
    } finally {
      await this.redis.eval(RELEASE, 1, key, token);
    }
  }
}
