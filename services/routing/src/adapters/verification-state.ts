import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Redis } from '@careloop/store';
import type { SkillName } from '../domain/skills';
import type { VerificationPolicy } from '../domain/verification';

/** A candidate patient: pseudonymous ids only (names and dates of birth are read again from the EHR). */
export interface Candidate {
  readonly patientId: string;
  readonly connectorId: string;
  readonly ehrPatientId: string;
}

/** A verification in progress for one contact: what for, and where it stands. No PHI. */
export interface PendingVerification {
  readonly skill: SkillName;
  readonly purpose: string;
  readonly conversationId: string;
  readonly facilityId: string;
  /** "mrn": no record lists the writing phone, so the patient is asked for their hospital number. */
  readonly stage: 'who' | 'mrn' | 'dob' | 'otp';
  readonly candidates: readonly Candidate[];
  readonly chosen?: Candidate;
  /** Hospital numbers tried that matched no record. */
  readonly mrnMisses?: number;
}

export interface PassedVerification {
  readonly verifiedAt: string;
  readonly expiresAt: string;
}

/** A request left unanswered this long is forgotten (the patient starts again from the menu). */
const PENDING_TTL_MS = 15 * 60_000;

/**
 * Where verifications live: Redis, because every piece expires (a pending step, a passed check,
 * the failure count, the lock) and is shared by routing's replicas. Keys hold tenant, contact
 * and patient ids only.
 */
export class VerificationState {
  private readonly perContact: RateLimiterRedis;
  private readonly perPatient: RateLimiterRedis;

  constructor(
    private readonly redis: Redis,
    private readonly policy: VerificationPolicy,
  ) {
    this.perContact = new RateLimiterRedis({ storeClient: redis, keyPrefix: 'verify:rate:contact', points: policy.attemptsPerHour, duration: 3600 });
    this.perPatient = new RateLimiterRedis({ storeClient: redis, keyPrefix: 'verify:rate:patient', points: policy.attemptsPerHour, duration: 3600 });
  }

  async pending(tenantId: string, contactId: string): Promise<PendingVerification | undefined> {
    const raw = await this.redis.get(`verify:pending:${tenantId}:${contactId}`);
    return raw ? (JSON.parse(raw) as PendingVerification) : undefined;
  }

  async setPending(tenantId: string, contactId: string, pending: PendingVerification): Promise<void> {
    await this.redis.set(`verify:pending:${tenantId}:${contactId}`, JSON.stringify(pending), 'PX', PENDING_TTL_MS);
  }

  async clearPending(tenantId: string, contactId: string): Promise<void> {
    await this.redis.del(`verify:pending:${tenantId}:${contactId}`);
  }

  async passed(tenantId: string, contactId: string, patientId: string, purpose: string): Promise<PassedVerification | undefined> {
    const raw = await this.redis.get(`verify:ok:${tenantId}:${contactId}:${patientId}:${purpose}`);
    return raw ? (JSON.parse(raw) as PassedVerification) : undefined;
  }

  async recordPassed(tenantId: string, contactId: string, patientId: string, purpose: string, at: Date): Promise<PassedVerification> {
    const passed = { verifiedAt: at.toISOString(), expiresAt: new Date(at.getTime() + this.policy.validMs).toISOString() };
    await this.redis
      .multi()
      .set(`verify:ok:${tenantId}:${contactId}:${patientId}:${purpose}`, JSON.stringify(passed), 'PX', this.policy.validMs)
      .del(`verify:fail:${tenantId}:${patientId}`)
      .exec();
    return passed;
  }

  /** Counts a wrong answer; returns the failures in a row (they are forgotten after the lock period). */
  async recordFailure(tenantId: string, patientId: string): Promise<number> {
    const key = `verify:fail:${tenantId}:${patientId}`;
    const result = await this.redis.multi().incr(key).pexpire(key, this.policy.lockMs).exec();
    const count = result?.[0]?.[1];
    return typeof count === 'number' ? count : this.policy.maxFailures;
  }

  async lock(tenantId: string, patientId: string): Promise<void> {
    await this.redis.multi().set(`verify:lock:${tenantId}:${patientId}`, '1', 'PX', this.policy.lockMs).del(`verify:fail:${tenantId}:${patientId}`).exec();
  }

  async isLocked(tenantId: string, patientId: string): Promise<boolean> {
    return (await this.redis.exists(`verify:lock:${tenantId}:${patientId}`)) === 1;
  }

  /** A new six-digit code for the contact (only its hash is kept, until the code expires). */
  async issueCode(tenantId: string, contactId: string): Promise<string> {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await this.redis.set(`verify:otp:${tenantId}:${contactId}`, digest(tenantId, contactId, code), 'PX', this.policy.oneTimeCodeTtlMs);
    return code;
  }

  /** A code the patient wrote against the one issued; a match uses it up. */
  async checkCode(tenantId: string, contactId: string, code: string): Promise<'match' | 'wrong' | 'expired'> {
    const key = `verify:otp:${tenantId}:${contactId}`;
    const stored = await this.redis.get(key);
    if (!stored) return 'expired';
    const given = Buffer.from(digest(tenantId, contactId, code));
    const expected = Buffer.from(stored);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'wrong';
    await this.redis.del(key);
    return 'match';
  }

  /** One hospital-number attempt against the contact's budget (no patient is known yet); false when spent. */
  async takeContactAttempt(tenantId: string, contactId: string): Promise<boolean> {
    try {
      await this.perContact.consume(`${tenantId}:${contactId}`);
      return true;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return false;
      throw rejection;
    }
  }

  /** One date-of-birth attempt against both budgets; false when either is spent. */
  async takeAttempt(tenantId: string, contactId: string, patientId: string): Promise<boolean> {
    try {
      await Promise.all([this.perContact.consume(`${tenantId}:${contactId}`), this.perPatient.consume(`${tenantId}:${patientId}`)]);
      return true;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return false;
      throw rejection;
    }
  }
}

function digest(tenantId: string, contactId: string, code: string): string {
  return createHash('sha256').update(`${tenantId}\u0000${contactId}\u0000${code}`).digest('base64url');
}
