import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSimulatorApp } from './app';
import { FailureInjector, normalizeRecipient, type FailureSpec } from './graph-api/failure-injection';
import { PairRateLimiter, ThroughputLimiter } from './graph-api/rate-limits';
import type { OutboundMessageType } from './graph-api/send-payload';
import { TemplateRegistry, type TemplateDefinition } from './graph-api/templates';
import { CustomerServiceWindows } from './messaging/customer-service-window';
import type { OutboundMessage } from './messaging/outbound-message';
import { OutboundService } from './messaging/outbound-service';
import { StatusLifecycle } from './messaging/status-lifecycle';
import { SimulatedMessengerUser, type MessengerHost, type MessengerUserOptions } from './messenger/messenger-user';
import { MessengerService, type MessengerOutbound } from './messenger/send-api';
import { META_ERRORS, metaError, webhookError } from './meta-errors';
import { displayDigits, resolveOptions, type BusinessPhoneNumber, type ResolvedOptions, type SimulatorOptions } from './options';
import { PatientDirectory } from './patient/patient-directory';
import type { PatientHost, PatientOptions, SimulatedPatient } from './patient/patient';
import { renderInbound } from './render-message';
import { countBy, type RequestLogEntry, type SimulatorStats } from './request-log';
import { Scheduler } from './scheduler';
import { renderTranscript, TranscriptStore, type RenderOptions, type TranscriptEntry } from './transcript';
import { whatsappWebhook, type MessengerWebhook, type WhatsAppChangeValue } from './webhooks/payloads';
import { SerialQueues } from './webhooks/serial-queues';
import { verifySubscription, type SubscriptionResult } from './webhooks/subscribe';
import { WebhookSender, type WebhookDelivery, type WebhookKind } from './webhooks/webhook-sender';

const DEFAULT_PAGE_ID = '551234000000001';
const MESSENGER_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface InjectedFailureHandle {
  readonly id: number;
  /** Uses left before the failure stops applying. */
  remaining(): number;
  cancel(): void;
}

export interface SentMessageFilter {
  readonly to?: string;
  readonly phoneNumberId?: string;
  readonly type?: OutboundMessageType;
}

/** The credentials and ids a gateway needs to talk to this simulator as if it were Meta. */
export interface SimulatorConfig {
  readonly graphBaseUrl: string;
  readonly accessToken: string;
  readonly appSecret: string;
  readonly verifyToken: string;
  readonly wabaId: string;
  readonly phoneNumbers: readonly BusinessPhoneNumber[];
  readonly messengerPageId: string;
}

/**
 * A running simulator: the Graph API on `url`, and the patient side that sends signed webhooks to
 * `webhookUrl`. Start one with `startSimulator()`; always `close()` it.
 */
export class CloudApiSimulator {
  private readonly options: ResolvedOptions;
  private readonly server: Server;
  private readonly scheduler = new Scheduler();
  private readonly queues = new SerialQueues();
  private readonly sender: WebhookSender;
  private readonly events = new EventEmitter();
  private readonly transcriptStore = new TranscriptStore();
  private readonly windows: CustomerServiceWindows;
  private readonly messengerWindows = new CustomerServiceWindows(MESSENGER_WINDOW_MS);
  private readonly templateRegistry: TemplateRegistry;
  private readonly failures = new FailureInjector();
  private readonly patients: PatientDirectory;
  private readonly inbound = new Map<string, { userKey: string }>();
  private readonly outbound: OutboundService;
  private readonly lifecycle: StatusLifecycle;
  private readonly messenger: MessengerService;
  private readonly messengerUsers = new Map<string, SimulatedMessengerUser>();
  private readonly requestLog: RequestLogEntry[] = [];
  private readonly pageId: string;
  private whatsappWebhookUrl: string | undefined;
  private messengerWebhookUrl: string | undefined;
  private listeningPort = 0;

  private constructor(options: SimulatorOptions) {
    this.options = resolveOptions(options);
    const opts = this.options;
    this.whatsappWebhookUrl = opts.webhookUrl;
    this.messengerWebhookUrl = opts.messenger?.webhookUrl;
    this.pageId = opts.messenger?.pageId ?? DEFAULT_PAGE_ID;
    this.events.setMaxListeners(0);
    this.sender = new WebhookSender({ appSecret: opts.appSecret, retry: opts.webhookRetry, log: opts.log });
    this.windows = new CustomerServiceWindows(opts.customerServiceWindowMs);
    this.templateRegistry = new TemplateRegistry(opts.templates);
    this.patients = new PatientDirectory(this.patientHost(), (patient) => {
      if (patient.bsuid !== undefined) this.transcriptStore.alias(patient.bsuid, patient.key);
    });
    this.lifecycle = new StatusLifecycle({
      scheduler: this.scheduler,
      timing: opts.statusTiming,
      autoRead: opts.autoRead,
      now: opts.now,
      windows: this.windows,
      transcript: this.transcriptStore,
      dispatchStatus: (message, status) => {
        void this.dispatch(message.phoneNumberId, message.userKey, 'status', { ...this.valueBase(message.phoneNumberId), statuses: [status] });
      },
      delivered: (message) => this.events.emit('delivered', message),
    });
    this.outbound = new OutboundService({
      now: opts.now,
      templates: this.templateRegistry,
      failures: this.failures,
      throughput: new ThroughputLimiter(opts.throughputPerSecond),
      pairLimiter: opts.pairRateLimit === false ? undefined : new PairRateLimiter(opts.pairRateLimit),
      patients: this.patients,
      windows: this.windows,
      lifecycle: this.lifecycle,
      transcript: this.transcriptStore,
      inboundMessage: (phoneNumberId, messageId) => this.inbound.get(`${phoneNumberId}\u0000${messageId}`),
      onThroughputExceeded: (phoneNumberId) => this.reportThroughputError(phoneNumberId),
    });
    this.messenger = new MessengerService({
      pageId: this.pageId,
      now: opts.now,
      windows: this.messengerWindows,
      transcript: this.transcriptStore,
      failures: this.failures,
      knownUser: (psid) => this.messengerUsers.has(psid),
      delivered: (message) => this.events.emit('messenger-delivered', message),
    });
    const app = createSimulatorApp(
      {
        now: opts.now,
        whatsappTokens: () => [opts.accessToken],
        messengerTokens: () => [opts.accessToken, ...(opts.messenger?.pageAccessToken ? [opts.messenger.pageAccessToken] : [])],
        phoneNumber: (id) => opts.phoneNumbers.find((p) => p.id === id),
        pageId: this.pageId,
        outbound: this.outbound,
        messenger: this.messenger,
        record: (entry) => this.requestLog.push(entry),
        log: opts.log,
      },
      this,
    );
    this.server = createServer(app);
  }

  static async start(options: SimulatorOptions = {}): Promise<CloudApiSimulator> {
    const simulator = new CloudApiSimulator(options);
    await new Promise<void>((resolve, reject) => {
      simulator.server.once('error', reject);
      simulator.server.listen(simulator.options.port, simulator.options.host, () => {
        simulator.server.off('error', reject);
        resolve();
      });
    });
    simulator.listeningPort = (simulator.server.address() as AddressInfo).port;
    simulator.options.log(`cloud-api-simulator listening on ${simulator.url}`);
    return simulator;
  }

  /** Graph base URL, e.g. `http://127.0.0.1:4010`; requests go to `${url}/v21.0/{phone-number-id}/messages`. */
  get url(): string {
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    return `http://${host}:${this.listeningPort}`;
  }

  get port(): number {
    return this.listeningPort;
  }

  get config(): SimulatorConfig {
    const o = this.options;
    return {
      graphBaseUrl: this.url,
      accessToken: o.accessToken,
      appSecret: o.appSecret,
      verifyToken: o.verifyToken,
      wabaId: o.wabaId,
      phoneNumbers: o.phoneNumbers,
      messengerPageId: this.pageId,
    };
  }

  get webhookUrl(): string | undefined {
    return this.whatsappWebhookUrl;
  }

  /** Points WhatsApp webhooks somewhere else, e.g. once the gateway has picked its port. */
  setWebhookUrl(url: string | undefined): void {
    this.whatsappWebhookUrl = url;
  }

  setMessengerWebhookUrl(url: string | undefined): void {
    this.messengerWebhookUrl = url;
  }

  /** Meta's verification handshake against the WhatsApp webhook URL (or `url`). */
  subscribeWebhook(options: { readonly url?: string; readonly verifyToken?: string } = {}): Promise<SubscriptionResult> {
    const url = options.url ?? this.whatsappWebhookUrl;
    if (url === undefined) return Promise.reject(new Error('subscribeWebhook: no webhook URL configured'));
    return verifySubscription(url, options.verifyToken ?? this.options.verifyToken, this.options.webhookRetry.timeoutMs);
  }

  /** A WhatsApp user of one business number (the first by default); the same ids return the same patient. */
  patient(options: PatientOptions): SimulatedPatient {
    const phoneNumberId = options.phoneNumberId ?? this.firstPhoneNumber().id;
    if (this.phone(phoneNumberId) === undefined) throw new Error(`patient: unknown phone number id ${phoneNumberId}`);
    return this.patients.obtain({ ...options, phoneNumberId });
  }

  /** Finds a patient by wa_id or business-scoped user id. */
  findPatient(userId: string, phoneNumberId?: string): SimulatedPatient | undefined {
    const numbers = phoneNumberId !== undefined ? [phoneNumberId] : this.options.phoneNumbers.map((p) => p.id);
    for (const id of numbers) {
      const patient = this.patients.find(id, userId);
      if (patient !== undefined) return patient;
    }
    return undefined;
  }

  messengerUser(options: MessengerUserOptions): SimulatedMessengerUser {
    const existing = this.messengerUsers.get(options.psid);
    if (existing !== undefined) return existing;
    const user = new SimulatedMessengerUser(options, this.messengerHost());
    this.messengerUsers.set(options.psid, user);
    return user;
  }

  /** Makes matching Graph requests fail; see FailureSpec. */
  injectFailure(spec: FailureSpec): InjectedFailureHandle {
    const failure = this.failures.inject(spec);
    return { id: failure.id, remaining: () => failure.remaining, cancel: () => this.failures.cancel(failure.id) };
  }

  clearFailures(): void {
    this.failures.clear();
  }

  pendingFailures(): ReadonlyArray<{ readonly id: number; readonly spec: FailureSpec; readonly remaining: number }> {
    return this.failures.pending();
  }

  registerTemplate(definition: TemplateDefinition): void {
    this.templateRegistry.register(definition);
  }

  templates(): TemplateDefinition[] {
    return this.templateRegistry.list();
  }

  /** Every send the Graph API accepted, oldest first, with its current status. */
  sentMessages(filter: SentMessageFilter = {}): readonly OutboundMessage[] {
    const to = filter.to !== undefined ? normalizeRecipient(filter.to) : undefined;
    return this.outbound
      .all()
      .filter(
        (m) =>
          (to === undefined || m.userKey === to || m.waId === to || m.bsuid === to) &&
          (filter.phoneNumberId === undefined || m.phoneNumberId === filter.phoneNumberId) &&
          (filter.type === undefined || m.payload.type === filter.type),
      );
  }

  messengerMessages(): readonly MessengerOutbound[] {
    return this.messenger.all();
  }

  /** Every Graph API request and its answer, rejected ones included. */
  requests(): readonly RequestLogEntry[] {
    return this.requestLog;
  }

  webhookDeliveries(filter: { readonly kind?: WebhookKind } = {}): readonly WebhookDelivery[] {
    return this.sender.all().filter((d) => filter.kind === undefined || d.kind === filter.kind);
  }

  /** Messages accepted so far (both channels): what `stats().acceptedMessages` says, without walking the logs. */
  acceptedMessageCount(): number {
    return this.outbound.all().length + this.messenger.all().length;
  }

  stats(): SimulatorStats {
    const deliveries = this.sender.all();
    const failed = this.outbound.all().filter((m) => m.failure !== undefined);
    return {
      requests: this.requestLog.length,
      acceptedMessages: this.acceptedMessageCount(),
      responsesByHttpStatus: countBy(this.requestLog, (r) => (r.httpStatus === 0 ? 'dropped' : String(r.httpStatus))),
      errorsByCode: countBy(this.requestLog, (r) => (r.errorCode !== undefined ? String(r.errorCode) : undefined)),
      failedStatusesByCode: countBy(failed, (m) => String(m.failure?.code)),
      webhooks: {
        delivered: deliveries.filter((d) => d.outcome === 'delivered').length,
        failed: deliveries.filter((d) => d.outcome === 'failed').length,
        pending: deliveries.filter((d) => d.outcome === 'pending').length,
        attempts: deliveries.reduce((sum, d) => sum + d.attempts.length, 0),
      },
    };
  }

  /** A user's conversation(s), both directions and statuses, in order. */
  transcript(userId: string, filter: { readonly business?: string; readonly afterSeq?: number } = {}): TranscriptEntry[] {
    return this.transcriptStore.forUser(userId, filter);
  }

  renderTranscript(userId: string, options?: RenderOptions & { readonly business?: string }): string {
    return renderTranscript(this.transcript(userId, options?.business !== undefined ? { business: options.business } : {}), options);
  }

  /** Resolves once no status is scheduled and no webhook is in flight (or rejects after `timeoutMs`). */
  async whenIdle(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.queues.idle();
      if (this.scheduler.pending() === 0 && this.sender.all().every((d) => d.outcome !== 'pending')) return;
      if (Date.now() > deadline) throw new Error(`whenIdle: still busy after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async close(): Promise<void> {
    this.scheduler.close();
    this.sender.close();
    this.events.removeAllListeners();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private patientHost(): PatientHost {
    return {
      now: this.options.now,
      businessDisplayDigits: (phoneNumberId) => displayDigits(this.phone(phoneNumberId) ?? this.firstPhoneNumber()),
      deliverInbound: async (patient, message) => {
        const now = this.options.now();
        if (this.options.readOnReply) {
          for (const m of this.receivedBy(patient)) if (m.status === 'delivered') this.lifecycle.read(m);
        }
        this.windows.userWrote(patient.phoneNumberId, patient.key, now);
        this.inbound.set(`${patient.phoneNumberId}\u0000${message.id}`, { userKey: patient.key });
        this.transcriptStore.add({
          at: now,
          channel: 'whatsapp',
          business: patient.phoneNumberId,
          user: patient.key,
          kind: 'inbound',
          messageId: message.id,
          messageType: message.type === 'interactive' ? `interactive/${message.interactive.type}` : message.type,
          userName: patient.profileName,
          text: renderInbound(message),
          payload: message,
        });
        const value: WhatsAppChangeValue = { ...this.valueBase(patient.phoneNumberId), contacts: [patient.contact()], messages: [message] };
        const delivery = await this.dispatch(patient.phoneNumberId, patient.key, 'message', value);
        return { messageId: message.id, message, delivery };
      },
      receivedBy: (patient) => this.receivedBy(patient),
      markReadByPatient: (patient, wamid) => {
        const message = this.outbound.find(wamid);
        if (message === undefined || message.userKey !== patient.key || message.phoneNumberId !== patient.phoneNumberId) {
          throw new Error(`patient ${patient.key}: message ${wamid} was not sent to them`);
        }
        this.lifecycle.read(message);
      },
      onDelivered: (listener) => {
        this.events.on('delivered', listener);
        return () => this.events.off('delivered', listener);
      },
      transcriptOf: (patient) => this.transcriptStore.forUser(patient.key, { business: patient.phoneNumberId }),
    };
  }

  private messengerHost(): MessengerHost {
    return {
      now: this.options.now,
      pageId: this.pageId,
      deliverInbound: (user, event) => {
        const now = this.options.now();
        this.messengerWindows.userWrote(this.pageId, user.psid, now);
        this.transcriptStore.add({
          at: now,
          channel: 'messenger',
          business: this.pageId,
          user: user.psid,
          kind: 'inbound',
          messageId: event.message.mid,
          messageType: event.message.quick_reply ? 'quick_reply' : 'text',
          userName: user.name,
          text: event.message.quick_reply ? `☑ ( ${event.message.text} ) ‹${event.message.quick_reply.payload}›` : event.message.text,
          payload: event.message,
        });
        const body: MessengerWebhook = { object: 'page', entry: [{ id: this.pageId, time: now, messaging: [event] }] };
        return this.queues.run(`ms\u0000${user.psid}`, () => this.sender.deliver(this.messengerWebhookUrl, 'messenger', body));
      },
      receivedBy: (user) => this.messenger.all().filter((m) => m.psid === user.psid),
      onDelivered: (listener) => {
        this.events.on('messenger-delivered', listener);
        return () => this.events.off('messenger-delivered', listener);
      },
      transcriptOf: (user) => this.transcriptStore.forUser(user.psid, { business: this.pageId }),
    };
  }

  private receivedBy(patient: SimulatedPatient): OutboundMessage[] {
    return this.outbound
      .all()
      .filter((m) => m.phoneNumberId === patient.phoneNumberId && m.userKey === patient.key && (m.status === 'delivered' || m.status === 'read'))
      .sort((a, b) => (a.deliveredAt ?? 0) - (b.deliveredAt ?? 0));
  }

  /** Sends one WhatsApp webhook behind earlier ones of the same conversation. */
  private dispatch(phoneNumberId: string, conversation: string, kind: WebhookKind, value: WhatsAppChangeValue): Promise<WebhookDelivery> {
    const phone = this.phone(phoneNumberId) ?? this.firstPhoneNumber();
    const body = whatsappWebhook(phone.wabaId ?? this.options.wabaId, value);
    // The URL is read when the webhook leaves, so setWebhookUrl also redirects queued ones.
    return this.queues.run(`wa\u0000${phoneNumberId}\u0000${conversation}`, () => this.sender.deliver(this.whatsappWebhookUrl, kind, body));
  }

  private valueBase(phoneNumberId: string): Pick<WhatsAppChangeValue, 'messaging_product' | 'metadata'> {
    const phone = this.phone(phoneNumberId) ?? this.firstPhoneNumber();
    return { messaging_product: 'whatsapp', metadata: { display_phone_number: displayDigits(phone), phone_number_id: phone.id } };
  }

  /** Account-level throughput error webhook (account_error_130429.json), when enabled. */
  private reportThroughputError(phoneNumberId: string): void {
    if (!this.options.reportThroughputErrorsByWebhook) return;
    void this.dispatch(phoneNumberId, '(account)', 'error', { ...this.valueBase(phoneNumberId), errors: [webhookError(metaError(META_ERRORS.throughput), 'account')] });
  }

  private phone(id: string): BusinessPhoneNumber | undefined {
    return this.options.phoneNumbers.find((p) => p.id === id);
  }

  private firstPhoneNumber(): BusinessPhoneNumber {
    const first = this.options.phoneNumbers[0];
    if (first === undefined) throw new Error('cloud-api-simulator: no phone numbers configured');
    return first;
  }
}

/** Starts the simulator on `host:port` (127.0.0.1 and a free port by default). */
export function startSimulator(options: SimulatorOptions = {}): Promise<CloudApiSimulator> {
  return CloudApiSimulator.start(options);
}
