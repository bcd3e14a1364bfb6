import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StatusObject, WhatsAppWebhook } from '@careloop/cloud-api-simulator';

export interface ReceivedWebhook {
  readonly headers: IncomingHttpHeaders;
  /** The bytes as they arrived, for independent signature checks. */
  readonly raw: Buffer;
  readonly json: unknown;
  /** The HTTP status this receiver answered. */
  readonly answeredWith: number;
}

/**
 * A stand-in for the gateway's webhook endpoint: records every POST with its raw bytes, answers the
 * verification GET, and can be told to fail the next requests.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly plannedStatuses: number[] = [];
  private waiters: Array<() => void> = [];

  private readonly server: Server;

  private constructor(readonly verifyToken: string) {
    this.server = createServer((req, res) => {
      this.handle(req, res);
    });
  }

  static async start(verifyToken = 'fixture-verify-token'): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(verifyToken);
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.method === 'GET') {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const ok = url.searchParams.get('hub.mode') === 'subscribe' && url.searchParams.get('hub.verify_token') === this.verifyToken;
      res.writeHead(ok ? 200 : 403, { 'content-type': 'text/plain' }).end(ok ? (url.searchParams.get('hub.challenge') ?? '') : 'forbidden');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const status = this.plannedStatuses.shift() ?? 200;
      this.received.push({ headers: req.headers, raw, json: JSON.parse(raw.toString('utf8')) as unknown, answeredWith: status });
      res.writeHead(status).end();
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    });
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks/whatsapp`;
  }

  /** The next `count` POSTs are answered with `status`. */
  failNext(count: number, status = 500): void {
    for (let i = 0; i < count; i += 1) this.plannedStatuses.push(status);
  }

  /** Accepted webhooks only, as the gateway would process them. */
  accepted(): ReceivedWebhook[] {
    return this.received.filter((r) => r.answeredWith === 200);
  }

  /** Status objects from accepted webhooks, in arrival order. */
  statuses(): StatusObject[] {
    return this.accepted().flatMap((r) => (r.json as WhatsAppWebhook).entry.flatMap((e) => e.changes.flatMap((c) => c.value.statuses ?? [])));
  }

  async waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined) return value;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Timed out waiting for ${what}; received ${this.received.length} webhooks`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
