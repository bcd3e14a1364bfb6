import type { ReceivedEvent } from '@careloop/bus';
import type { AppointmentChanged, ConsentChanged } from '@careloop/contracts';
import type { CrmChangeType } from '../domain/crm-change-view';
import { contactView } from '../domain/crm-change-view';
import { appointmentView } from '../domain/webhook-body';
import type { ConnectionSource } from './ports';

/** Where pulled changes are kept (CrmChangeFeed). */
export interface ChangeLog {
  /** `changeKey` names the change itself (not the event): the same change twice is kept once. */
  append(tenantId: string, changeKey: string, type: CrmChangeType, view: Record<string, unknown>): Promise<void>;
}

/**
 * What happens to appointment and consent changes for a tenant whose CRM pulls them: each is
 * kept, numbered, as the PHI-free view its webhooks would use, for the CRM to read from its
 * cursor. Tenants without a pulling connector keep nothing.
 */
export class RecordCrmChanges {
  constructor(
    private readonly connectors: ConnectionSource,
    private readonly log: ChangeLog,
  ) {}

  async appointmentChanged(event: ReceivedEvent<AppointmentChanged>): Promise<void> {
    const a = event.payload.appointment;
    if (!a?.appointmentId || a.tenantId !== event.tenantId) return; // the outbound consumer dead-letters these
    if (!(await this.pulled(event.tenantId))) return;
    await this.log.append(event.tenantId, `appointment/${a.appointmentId}/${a.version}`, 'appointment', appointmentView(event.payload));
  }

  async consentChanged(event: ReceivedEvent<ConsentChanged>): Promise<void> {
    if (!event.payload.contactId) return; // dead-lettered by the outbound consumer
    if (!(await this.pulled(event.tenantId))) return;
    const c = event.payload;
    await this.log.append(event.tenantId, `contact/${c.contactId}/${c.purpose || 'care-messaging'}/${c.changedAt?.getTime() ?? event.id}`, 'contact', contactView(event.tenantId, c));
  }

  private async pulled(tenantId: string): Promise<boolean> {
    return (await this.connectors.connectionsFor(tenantId, 'changes-pull')).length > 0;
  }
}
