import { nameBasedId, type ReceivedEvent } from '@careloop/bus';
import { AppointmentStatus, Channel, type AppointmentChanged, type ConversationClosed } from '@careloop/contracts';
import { DEFAULT_LANGUAGE, isLanguage } from '@careloop/i18n';
import type { SurveyStore } from '../adapters/survey-store';
import type { SurveyPolicy } from '../domain/survey';

/**
 * What happens after a fulfilled appointment or a closed agent conversation: a pending survey
 * is recorded, due after the configured delay. Its id derives from the appointment (or
 * conversation), so replays and later changes of the same appointment never create a second
 * one; the sweep (SendDueSurveys) sends it when due — no in-memory timer.
 */
export class ScheduleSurvey {
  constructor(
    private readonly store: SurveyStore,
    private readonly policy: Pick<SurveyPolicy, 'delayMs'>,
  ) {}

  async afterAppointment(event: Pick<ReceivedEvent<AppointmentChanged>, 'tenantId' | 'payload'>): Promise<boolean> {
    const a = event.payload.appointment;
    if (!a || a.status !== AppointmentStatus.APPOINTMENT_STATUS_FULFILLED) return false;
    // Without an address on a chat channel there is no one to ask (EHR-booked, no contact yet).
    if (!a.contactId || !a.recipient?.channelUserId || !a.endpoint) return false;
    const fulfilledAt = a.fulfilledAt ?? event.payload.changedAt ?? new Date();
    return this.store.createOnce(event.tenantId, {
      _id: nameBasedId(event.tenantId, 'survey', 'appointment', a.appointmentId),
      subject: 'appointment',
      appointmentId: a.appointmentId,
      conversationId: '',
      contactId: a.contactId,
      facilityId: a.facilityId,
      facilityName: a.facilityName,
      facilityTimeZone: a.facilityTimeZone,
      departmentId: a.departmentId,
      practitionerId: a.practitionerId,
      channel: a.recipient.channel === Channel.CHANNEL_MESSENGER ? 'messenger' : 'whatsapp',
      language: isLanguage(a.language) ? a.language : DEFAULT_LANGUAGE,
      endpoint: a.endpoint,
      recipientChannel: a.recipient.channel,
      recipientId: a.recipient.channelUserId,
      subjectAt: a.start ?? fulfilledAt,
      dueAt: new Date(fulfilledAt.getTime() + this.policy.delayMs),
    });
  }

  async afterConversation(event: Pick<ReceivedEvent<ConversationClosed>, 'tenantId' | 'facilityId' | 'payload'>, facilityTimeZone: string): Promise<boolean> {
    const c = event.payload;
    if (!c.handledByAgent || !c.contactId || !c.recipient?.channelUserId || !c.endpoint) return false;
    const closedAt = c.closedAt ?? new Date();
    return this.store.createOnce(event.tenantId, {
      _id: nameBasedId(event.tenantId, 'survey', 'conversation', c.conversationId),
      subject: 'conversation',
      appointmentId: '',
      conversationId: c.conversationId,
      contactId: c.contactId,
      facilityId: c.facilityId || event.facilityId,
      facilityName: '',
      facilityTimeZone,
      departmentId: c.department,
      practitionerId: '',
      channel: c.recipient.channel === Channel.CHANNEL_MESSENGER ? 'messenger' : 'whatsapp',
      language: isLanguage(c.language) ? c.language : DEFAULT_LANGUAGE,
      endpoint: c.endpoint,
      recipientChannel: c.recipient.channel,
      recipientId: c.recipient.channelUserId,
      subjectAt: closedAt,
      dueAt: new Date(closedAt.getTime() + this.policy.delayMs),
    });
  }
}
