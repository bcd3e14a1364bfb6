import type { FailureInjector } from '../graph-api/failure-injection';
import type { PairRateLimiter, ThroughputLimiter } from '../graph-api/rate-limits';
import type { MarkReadPayload, SendMessagePayload } from '../graph-api/send-payload';
import type { TemplateRegistry, ResolvedTemplate } from '../graph-api/templates';
import { validateMessage } from '../graph-api/validate-message';
import { newConversationId, newWamid } from '../ids';
import { MetaError, META_ERRORS, metaError } from '../meta-errors';
import type { PatientDirectory } from '../patient/patient-directory';
import type { SimulatedPatient } from '../patient/patient';
import { renderOutbound } from '../render-message';
import type { TranscriptStore } from '../transcript';
import type { CustomerServiceWindows } from './customer-service-window';
import type { OutboundMessage, PricingCategory } from './outbound-message';
import type { StatusLifecycle } from './status-lifecycle';

/** Success body of a send (Meta "Send messages" → Response syntax). */
export interface SendResponseBody {
  messaging_product: 'whatsapp';
  contacts: Array<{ input: string; wa_id: string; user_id?: string }>;
  messages: Array<{ id: string; message_status?: 'accepted' }>;
}

export type SendOutcome = { kind: 'accepted'; body: SendResponseBody; message: OutboundMessage } | { kind: 'network-drop' };

export interface OutboundServiceDeps {
  readonly now: () => number;
  readonly templates: TemplateRegistry;
  readonly failures: FailureInjector;
  readonly throughput: ThroughputLimiter;
  readonly pairLimiter: PairRateLimiter | undefined;
  readonly patients: PatientDirectory;
  readonly windows: CustomerServiceWindows;
  readonly lifecycle: StatusLifecycle;
  readonly transcript: TranscriptStore;
  /** Inbound message ids per business number, for mark-as-read. */
  readonly inboundMessage: (phoneNumberId: string, messageId: string) => { userKey: string } | undefined;
  readonly onThroughputExceeded: (phoneNumberId: string) => void;
}

/**
 * What happens to a valid send request, in the order Meta applies it: payload limits, template
 * approval, injected failures, throughput (130429), pair rate (131056); then the message is accepted
 * and its delivery proceeds asynchronously. A free-form message to a user whose customer service
 * window is closed is accepted too and fails later with 131047, as on the real API.
 */
export class OutboundService {
  private readonly messages: OutboundMessage[] = [];
  private readonly byWamid = new Map<string, OutboundMessage>();

  constructor(private readonly deps: OutboundServiceDeps) {}

  send(phoneNumberId: string, apiVersion: string, payload: SendMessagePayload): SendOutcome {
    const recipient = resolveRecipient(payload);
    validateMessage(payload);
    const template = payload.type === 'template' ? this.deps.templates.resolve(payload.template) : undefined;

    const injected = this.deps.failures.take({ channel: 'whatsapp', phoneNumberId, to: recipient.input, type: payload.type });
    if (injected?.kind === 'network-drop') return { kind: 'network-drop' };
    if (injected?.kind === 'sync') throw injected.error;

    const now = this.deps.now();
    if (!this.deps.throughput.tryAcquire(phoneNumberId, now)) {
      this.deps.onThroughputExceeded(phoneNumberId);
      throw metaError(META_ERRORS.throughput);
    }
    const pairKey = recipient.waId ?? recipient.bsuid ?? recipient.input;
    if (this.deps.pairLimiter?.tryAcquire(phoneNumberId, pairKey, now) !== undefined) {
      this.deps.throughput.refund(phoneNumberId);
      throw metaError(META_ERRORS.pairRateLimit);
    }

    const patient = this.patientFor(phoneNumberId, recipient);
    const inWindow = this.deps.windows.isOpen(phoneNumberId, patient.key, now);
    const message: OutboundMessage = {
      wamid: newWamid(patient.key, 'outbound'),
      phoneNumberId,
      apiVersion,
      input: recipient.input,
      addressedBy: recipient.waId !== undefined ? 'phone' : 'bsuid',
      userKey: patient.key,
      waId: patient.waId,
      bsuid: patient.bsuid,
      payload,
      acceptedAt: now,
      inWindow,
      pricingCategory: pricingCategory(template),
      conversationId: newConversationId(),
      template,
      status: 'accepted',
    };
    this.messages.push(message);
    this.byWamid.set(message.wamid, message);
    this.deps.transcript.add({
      at: now,
      channel: 'whatsapp',
      business: phoneNumberId,
      user: patient.key,
      kind: 'outbound',
      messageId: message.wamid,
      messageType: payload.type === 'interactive' ? `interactive/${payload.interactive.type}` : payload.type,
      text: renderOutbound(payload, template),
      payload,
    });

    const windowFailure = payload.type !== 'template' && !inWindow ? metaError(META_ERRORS.reengagement) : undefined;
    this.deps.lifecycle.accepted(message, injected?.kind === 'async' ? injected.error : windowFailure);

    const contact =
      message.addressedBy === 'phone'
        ? { input: recipient.input, wa_id: patient.waId ?? '' }
        : // Meta (business-scoped user ids): sent to a BSUID, `wa_id` is empty and `user_id` is set.
          { input: recipient.input, wa_id: '', user_id: patient.bsuid ?? '' };
    return {
      kind: 'accepted',
      message,
      body: {
        messaging_product: 'whatsapp',
        contacts: [contact],
        // `message_status` ("pacing status") is only included for template sends.
        messages: [payload.type === 'template' ? { id: message.wamid, message_status: 'accepted' } : { id: message.wamid }],
      },
    };
  }

  /** Mark-as-read of an inbound message; the patient sees blue ticks (and "typing…" if asked). */
  markRead(phoneNumberId: string, payload: MarkReadPayload): { success: true } {
    const inbound = this.deps.inboundMessage(phoneNumberId, payload.message_id);
    if (inbound === undefined) {
      throw new MetaError({ ...META_ERRORS.invalidParameter, details: `Message ${payload.message_id} was not received by phone number ${phoneNumberId}` });
    }
    const injected = this.deps.failures.take({ channel: 'whatsapp', phoneNumberId, to: inbound.userKey, type: 'read' });
    if (injected !== undefined && injected.kind !== 'network-drop') throw injected.error;
    this.deps.transcript.add({
      at: this.deps.now(),
      channel: 'whatsapp',
      business: phoneNumberId,
      user: inbound.userKey,
      kind: 'business-read',
      messageId: payload.message_id,
      typing: payload.typing_indicator !== undefined,
    });
    return { success: true };
  }

  find(wamid: string): OutboundMessage | undefined {
    return this.byWamid.get(wamid);
  }

  all(): readonly OutboundMessage[] {
    return this.messages;
  }

  private patientFor(phoneNumberId: string, recipient: Recipient): SimulatedPatient {
    const known =
      (recipient.waId !== undefined ? this.deps.patients.find(phoneNumberId, recipient.waId) : undefined) ??
      (recipient.bsuid !== undefined ? this.deps.patients.find(phoneNumberId, recipient.bsuid) : undefined);
    if (known !== undefined) return known;
    // A WhatsApp user the business writes to first (e.g. a reminder template).
    return this.deps.patients.obtain({
      phoneNumberId,
      profileName: recipient.waId ?? 'WhatsApp user',
      ...(recipient.waId !== undefined ? { waId: recipient.waId } : { bsuid: recipient.bsuid ?? recipient.input }),
    });
  }
}

interface Recipient {
  readonly input: string;
  readonly waId?: string;
  readonly bsuid?: string;
}

/** `to` is a phone number (any formatting) or, like `recipient`, a business-scoped user id. */
function resolveRecipient(payload: SendMessagePayload): Recipient {
  const input = payload.to ?? payload.recipient ?? '';
  if (payload.to === undefined || looksLikeBsuid(payload.to)) {
    if (!looksLikeBsuid(input)) {
      throw new MetaError({ ...META_ERRORS.parameterValueInvalid, details: `Invalid business-scoped user id "${input}"` });
    }
    return { input, bsuid: input };
  }
  const digits = payload.to.replace(/[\s\-().+]/g, '');
  if (!/^\d{5,15}$/.test(digits)) {
    throw new MetaError({ ...META_ERRORS.parameterValueInvalid, details: `Invalid WhatsApp user phone number "${payload.to}"` });
  }
  return { input, waId: digits };
}

/** Business-scoped user ids look like `ES.1502576394655843` (country code, period, alphanumerics). */
function looksLikeBsuid(value: string): boolean {
  return /^[A-Za-z]{2,}\.[A-Za-z0-9.]+$/.test(value);
}

function pricingCategory(template: ResolvedTemplate | undefined): PricingCategory {
  return template === undefined ? 'service' : template.definition.category;
}
