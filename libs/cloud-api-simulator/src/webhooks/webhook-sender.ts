import type { WebhookRetryOptions } from '../options';
import { signatureFor } from './signature';

export type WebhookKind = 'message' | 'status' | 'error' | 'messenger';

export interface WebhookAttempt {
  readonly at: number;
  readonly statusCode?: number;
  readonly error?: string;
  readonly durationMs: number;
}

export interface WebhookDelivery {
  readonly id: number;
  readonly kind: WebhookKind;
  readonly url: string | undefined;
  /** Exactly the bytes that were signed and sent. */
  readonly body: string;
  readonly signature: string;
  readonly attempts: WebhookAttempt[];
  outcome: 'pending' | 'delivered' | 'failed';
}

export interface WebhookSenderOptions {
  readonly appSecret: string;
  readonly retry: WebhookRetryOptions;
  readonly log: (line: string) => void;
}

/**
 * Posts signed webhooks the way Meta does: JSON body, `X-Hub-Signature-256` over the raw bytes, and
 * retries while the receiver answers anything but 200 ("If we send a webhook request to your endpoint
 * and your server responds with an HTTP status code other than 200 ... we will keep trying with
 * decreasing frequency", Graph API webhooks docs). Meta retries for up to 7 days; the simulator makes
 * `maxAttempts` attempts with exponential backoff.
 */
export class WebhookSender {
  private readonly deliveries: WebhookDelivery[] = [];
  private readonly closing = new AbortController();
  private nextId = 1;

  constructor(private readonly options: WebhookSenderOptions) {}

  async deliver(url: string | undefined, kind: WebhookKind, payload: object): Promise<WebhookDelivery> {
    const body = JSON.stringify(payload);
    const raw = Buffer.from(body, 'utf8');
    const delivery: WebhookDelivery = {
      id: this.nextId++,
      kind,
      url,
      body,
      signature: signatureFor(raw, this.options.appSecret),
      attempts: [],
      outcome: 'pending',
    };
    this.deliveries.push(delivery);
    if (url === undefined) {
      delivery.attempts.push({ at: Date.now(), error: 'no webhook URL configured', durationMs: 0 });
      delivery.outcome = 'failed';
      this.options.log(`webhook ${kind} #${delivery.id} dropped: no webhook URL configured`);
      return delivery;
    }
    const { maxAttempts, initialDelayMs, maxDelayMs } = this.options.retry;
    for (let attempt = 1; attempt <= maxAttempts && !this.closing.signal.aborted; attempt += 1) {
      const result = await this.attempt(url, raw, delivery.signature);
      delivery.attempts.push(result);
      if (result.statusCode === 200) {
        delivery.outcome = 'delivered';
        return delivery;
      }
      this.options.log(`webhook ${kind} #${delivery.id} attempt ${attempt}/${maxAttempts} failed: ${result.error ?? `HTTP ${String(result.statusCode)}`}`);
      if (attempt < maxAttempts) await this.pause(Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1)));
    }
    delivery.outcome = 'failed';
    return delivery;
  }

  all(): readonly WebhookDelivery[] {
    return this.deliveries;
  }

  /** Stops retrying; in-flight attempts are aborted. */
  close(): void {
    this.closing.abort();
  }

  private async attempt(url: string, raw: Buffer, signature: string): Promise<WebhookAttempt> {
    const at = Date.now();
    const timeout = AbortSignal.timeout(this.options.retry.timeoutMs);
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': signature,
          'user-agent': 'facebookexternalua',
        },
        body: raw,
        signal: AbortSignal.any([timeout, this.closing.signal]),
      });
      // Drain the body so the connection can be reused.
      await response.arrayBuffer().catch(() => undefined);
      return { at, statusCode: response.status, durationMs: Date.now() - at };
    } catch (error) {
      const reason = timeout.aborted ? `timed out after ${this.options.retry.timeoutMs} ms` : describe(error);
      return { at, error: reason, durationMs: Date.now() - at };
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const signal = this.closing.signal;
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}
