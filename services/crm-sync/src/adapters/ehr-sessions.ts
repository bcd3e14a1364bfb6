import type { Redis } from '@careloop/store';

/**
 * A contact's refill dialogue between turns: the patient routing verified (ids and expiry only)
 * and what they picked so far. In Redis until the verification expires: a later button press
 * (`ehr:rx:…`) carries no verification of its own, and a press after expiry asks routing again.
 */
export interface EhrSession {
  readonly patientId: string;
  readonly connectorId: string;
  readonly ehrPatientId: string;
  readonly expiresAt: string;
  readonly medicationRequestId?: string;
  readonly pharmacyId?: string;
}

export class EhrSessions {
  constructor(private readonly redis: Redis) {}

  async get(tenantId: string, contactId: string): Promise<EhrSession | undefined> {
    const raw = await this.redis.get(`ehr:session:${tenantId}:${contactId}`);
    if (!raw) return undefined;
    const session = JSON.parse(raw) as EhrSession;
    return new Date(session.expiresAt).getTime() > Date.now() ? session : undefined;
  }

  async put(tenantId: string, contactId: string, session: EhrSession): Promise<void> {
    const ttl = new Date(session.expiresAt).getTime() - Date.now();
    if (ttl <= 0) return;
    await this.redis.set(`ehr:session:${tenantId}:${contactId}`, JSON.stringify(session), 'PX', ttl);
  }

  async end(tenantId: string, contactId: string): Promise<void> {
    await this.redis.del(`ehr:session:${tenantId}:${contactId}`);
  }
}
