import type { Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { backoffDelayMs, type RetryPolicy } from '@careloop/bus';
import { RejectedResourceError, TransientFhirError, UnsafeUrlError } from '../../domain/errors';
import type { CircuitBreaker } from './circuit-breaker';
import type { GuardedHttp, HttpRequest, HttpResponse } from './guarded-http';
import type { TokenSource } from './token-source';

/** Per-connector pacing, shared by every replica (Redis in the service, memory in unit tests). */
export interface RateGate {
  /** Resolves when the connector may send one more request. */
  take(connectorId: string, ratePerSecond: number): Promise<void>;
}

/** 412: the resource changed since we read it. The caller reads again and retries. */
export class VersionConflictError extends Error {
  override readonly name = 'VersionConflictError';
}

const FHIR_JSON = 'application/fhir+json';
/** Quick retries inside one call; beyond them the event's own backoff (the bus) takes over. */
const IN_CALL_RETRY: RetryPolicy = { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 2_000, multiplier: 3 };
const MAX_RETRY_AFTER_S = 5;

export interface FhirClientOptions {
  readonly connectorId: string;
  readonly baseUrl: string;
  readonly ratePerSecond: number;
  readonly http: GuardedHttp;
  readonly tokens: TokenSource;
  readonly breaker: CircuitBreaker;
  readonly rate: RateGate;
  readonly onRequest?: (outcome: 'ok' | 'transient' | 'rejected' | 'conflict') => void;
}

/**
 * A FHIR R4 REST client for one connector: JSON only, every request paced, behind the
 * connector's circuit breaker, through the SSRF-guarded HTTP. Errors are classified once here:
 * TransientFhirError (retry later), RejectedResourceError (dead-letter), VersionConflictError.
 */
export class FhirClient {
  constructor(private readonly o: FhirClientOptions) {}

  get connectorId(): string {
    return this.o.connectorId;
  }

  async search<T extends Resource>(resourceType: T['resourceType'], params: Readonly<Record<string, string>>): Promise<Bundle<T>> {
    const query = new URLSearchParams(params).toString();
    const res = await this.send({ method: 'GET', url: `${this.o.baseUrl}/${resourceType}?${query}` }, resourceType);
    return this.json(res) as Bundle<T>;
  }

  /** A paging link the server returned; it must stay on the connector's own origin. */
  async page<T extends Resource>(absoluteUrl: string): Promise<Bundle<T>> {
    if (new URL(absoluteUrl).origin !== new URL(this.o.baseUrl).origin) throw new UnsafeUrlError('a paging link leaves the connector origin');
    return this.json(await this.send({ method: 'GET', url: absoluteUrl }, 'Bundle')) as Bundle<T>;
  }

  async read<T extends Resource>(resourceType: T['resourceType'], id: string): Promise<T | undefined> {
    const res = await this.send({ method: 'GET', url: `${this.o.baseUrl}/${resourceType}/${encodeURIComponent(id)}` }, resourceType, [404, 410]);
    return res.status === 200 ? (this.json(res) as T) : undefined;
  }

  /** Conditional create: with `ifNoneExist`, a match is returned instead of a second resource. */
  async create<T extends Resource>(resource: T, ifNoneExist?: string): Promise<{ resource: T; created: boolean }> {
    const res = await this.send(
      { method: 'POST', url: `${this.o.baseUrl}/${resource.resourceType}`, headers: { ...(ifNoneExist ? { 'if-none-exist': ifNoneExist } : {}) }, body: JSON.stringify(resource) },
      resource.resourceType,
    );
    return { resource: await this.resourceOf<T>(res, resource.resourceType), created: res.status === 201 };
  }

  /** Update by id; with `ifMatchVersion` the server refuses (412) if someone wrote in between. */
  async update<T extends Resource>(resource: T & { id: string }, ifMatchVersion?: string): Promise<T> {
    const res = await this.send(
      {
        method: 'PUT',
        url: `${this.o.baseUrl}/${resource.resourceType}/${encodeURIComponent(resource.id)}`,
        headers: { ...(ifMatchVersion ? { 'if-match': `W/"${ifMatchVersion}"` } : {}) },
        body: JSON.stringify(resource),
      },
      resource.resourceType,
    );
    return this.resourceOf<T>(res, resource.resourceType);
  }

  private async resourceOf<T extends Resource>(res: HttpResponse, resourceType: string): Promise<T> {
    if (res.body.trim().startsWith('{')) {
      const parsed = JSON.parse(res.body) as Resource;
      if (parsed.resourceType === resourceType) return parsed as T;
    }
    // The server answered without the resource (Prefer ignored): read it where it says it is.
    const location = headerOf(res, 'content-location') ?? headerOf(res, 'location');
    const id = location ? /\/([^/]+)\/([^/]+)(\/_history\/[^/]+)?$/.exec(new URL(location, this.o.baseUrl).pathname) : null;
    const found = id?.[2] ? await this.read<T>(resourceType as T['resourceType'], id[2]) : undefined;
    if (!found) throw new TransientFhirError(`${resourceType} write answered without the resource or its location`, res.status);
    return found;
  }

  private json(res: HttpResponse): unknown {
    try {
      return JSON.parse(res.body) as unknown;
    } catch (error) {
      throw new TransientFhirError('the server answered with something that is not JSON', res.status, undefined, { cause: error });
    }
  }

  private async send(req: HttpRequest, resourceType: string, okStatuses: readonly number[] = []): Promise<HttpResponse> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.o.breaker.run(() => this.once(req, resourceType, okStatuses));
      } catch (error) {
        const retry = error instanceof TransientFhirError && error.name !== 'CircuitOpenError' && attempt < IN_CALL_RETRY.maxAttempts;
        if (!retry) throw error;
        const asked = error.retryAfterSeconds !== undefined ? Math.min(error.retryAfterSeconds, MAX_RETRY_AFTER_S) * 1000 : 0;
        await sleep(Math.max(asked, backoffDelayMs(IN_CALL_RETRY, attempt)));
      }
    }
  }

  private async once(req: HttpRequest, resourceType: string, okStatuses: readonly number[]): Promise<HttpResponse> {
    await this.o.rate.take(this.o.connectorId, this.o.ratePerSecond);
    const authorization = await this.o.tokens.authorization();
    let res: HttpResponse;
    try {
      res = await this.o.http.request({
        ...req,
        headers: {
          accept: FHIR_JSON,
          ...(req.body !== undefined ? { 'content-type': `${FHIR_JSON}; charset=utf-8`, prefer: 'return=representation' } : {}),
          ...(authorization ? { authorization } : {}),
          ...req.headers,
        },
      });
    } catch (error) {
      if (error instanceof UnsafeUrlError) throw error;
      this.o.onRequest?.('transient');
      throw new TransientFhirError(`${req.method} ${resourceType}: ${error instanceof Error ? error.name : 'network error'}`, undefined, undefined, { cause: error });
    }
    const { status } = res;
    if ((status >= 200 && status < 300) || okStatuses.includes(status)) {
      this.o.onRequest?.('ok');
      return res;
    }
    if (status === 412) {
      this.o.onRequest?.('conflict');
      throw new VersionConflictError(`${resourceType} changed since it was read`);
    }
    if (status === 401) this.o.tokens.invalidate();
    // 401/403 are the connector's configuration, 3xx a base URL that moved (never followed):
    // the event is fine, so it waits for the operator rather than going to the dead-letter topic.
    // 409 is what HAPI answers to two conditional creates of one resource at once (HAPI-0550):
    // the retry finds the one that won.
    if (status === 429 || status === 408 || status === 409 || status >= 500 || status === 401 || status === 403 || (status >= 300 && status < 400)) {
      this.o.onRequest?.('transient');
      const retryAfter = Number(headerOf(res, 'retry-after'));
      throw new TransientFhirError(`${req.method} ${resourceType}: HTTP ${status}`, status, Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined);
    }
    this.o.onRequest?.('rejected');
    throw new RejectedResourceError(resourceType, status, summariseOutcome(res.body));
  }
}

/**
 * The OperationOutcome in one line: severity, code, location and diagnostics of each issue.
 * Quoted fragments and numbers (but HAPI's message codes) are masked, since servers echo submitted values in their
 * diagnostics and the reason travels to logs and the dead-letter topic.
 */
export function summariseOutcome(body: string): string {
  let outcome: OperationOutcome | undefined;
  try {
    const parsed = JSON.parse(body) as Resource;
    if (parsed.resourceType === 'OperationOutcome') outcome = parsed;
  } catch {
    // not JSON
  }
  if (!outcome) return '(no OperationOutcome)';
  const mask = (s: string) => s.replace(/"[^"]*"|'[^']*'/g, '"…"').replace(/(?<!HAPI-)\b\d+(\.\d+)?\b/g, '…');
  // Servers add warnings (narrative, best practice) to every answer: the errors are the reason.
  const errors = outcome.issue.filter((i) => i.severity === 'error' || i.severity === 'fatal');
  const text = (errors.length ? errors : outcome.issue)
    .map((i) => [i.severity, i.code, i.expression?.join(',') ?? i.location?.join(','), i.diagnostics ? mask(i.diagnostics) : undefined].filter(Boolean).join(' '))
    .join(' | ');
  return text.length > 700 ? `${text.slice(0, 700)}…` : text;
}

function headerOf(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
