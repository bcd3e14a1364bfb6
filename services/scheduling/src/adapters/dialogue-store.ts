import type { Redis } from '@careloop/store';

/** Where a contact is in the booking dialogue. Ids only: no PHI. */
export interface DialogueState {
  flow?: 'book' | 'manage' | 'reschedule' | undefined;
  patientId?: string | undefined;
  departmentId?: string | undefined;
  /** A practitioner id, or "any" for the first available. */
  practitionerId?: string | undefined;
  /** The appointment being moved. */
  appointmentId?: string | undefined;
}

/** Dialogue state per contact in Redis, expiring when the patient walks away. */
export class DialogueStore {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
  ) {}

  async get(tenantId: string, contactId: string): Promise<DialogueState> {
    const raw = await this.redis.get(`dlg:${tenantId}:${contactId}`);
    if (!raw) return {};
    try {
      return JSON.parse(raw) as DialogueState;
    } catch {
      return {};
    }
  }

  async put(tenantId: string, contactId: string, state: DialogueState): Promise<void> {
    await this.redis.set(`dlg:${tenantId}:${contactId}`, JSON.stringify(state), 'EX', this.ttlSeconds);
  }

  async clear(tenantId: string, contactId: string): Promise<void> {
    await this.redis.del(`dlg:${tenantId}:${contactId}`);
  }
}
