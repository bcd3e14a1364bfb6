import { createHmac } from 'node:crypto';
import { NonRetryableError } from '@careloop/bus';
import { TransientFhirError, UnsafeUrlError } from '../domain/errors';
import type { CircuitBreaker } from './fhir/circuit-breaker';
import type { RateGate } from './fhir/fhir-client';
import type { GuardedHttp } from './fhir/guarded-http';

/** The CRM refused the delivery for good (a 4xx other than 408/409/429). */
export class WebhookRefusedError extends NonRetryableError {
  override readonly name = 'WebhookRefusedError';
}

export function signature(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * POSTs signed JSON to a generic CRM's endpoint, through the same SSRF guard, rate gate and
 * circuit breaker as a FHIR connector. Errors are classified like FHIR ones: 429/408/409/5xx,
 * 3xx and network failures are transient (TransientFhirError, so the breaker and parking apply),
 * other 4xx refuse the delivery.
 */
export class WebhookClient {
  constructor(
    private readonly o: { connectorId: string; url: string; secret: string; ratePerSecond: number; http: GuardedHttp; breaker: CircuitBreaker; rate: RateGate; now?: () => number },
  ) {}

  async deliver(deliveryId: string, body: string): Promise<void> {
    await this.o.breaker.run(async () => {
      await this.o.rate.take(this.o.connectorId, this.o.ratePerSecond);
      const timestamp = Math.floor((this.o.now ?? Date.now)() / 1000);
      let status: number;
      try {
        ({ status } = await this.o.http.request({
          method: 'POST',
          url: this.o.url,
          headers: { 'content-type': 'application/json', 'x-careloop-delivery': deliveryId, 'x-careloop-signature': signature(this.o.secret, timestamp, body) },
          body,
        }));
      } catch (error) {
        if (error instanceof UnsafeUrlError) throw error;
        throw new TransientFhirError(`webhook: ${error instanceof Error ? error.name : 'network error'}`, undefined, undefined, { cause: error });
      }
      if (status >= 200 && status < 300) return;
      if (status === 429 || status === 408 || status === 409 || status >= 500 || (status >= 300 && status < 400)) throw new TransientFhirError(`webhook: HTTP ${status}`, status);
      throw new WebhookRefusedError(`webhook refused with HTTP ${status}`);
    });
  }
}
