import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CrmChangePage } from '../adapters/crm-change-feed';
import { carries, type Connector } from '../domain/connector';
import { parseCursor, pulledBody, type CrmChangeType } from '../domain/crm-change-view';

/** Signatures older or newer than this are refused (replay protection, clock skew). */
export const SIGNATURE_TOLERANCE_S = 300;
export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 500;
const ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** The request is not signed by a connector that may pull (same answer for every reason: no oracle). */
export class PullUnauthorizedError extends Error {
  override readonly name = 'PullUnauthorizedError';
}

/** A cursor or limit the feed cannot serve. */
export class PullBadRequestError extends Error {
  override readonly name = 'PullBadRequestError';
}

export interface PullRequest {
  readonly tenantId: string;
  readonly connectorId: string;
  /** X-Careloop-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.GET <path and query>")>. */
  readonly signature: string | undefined;
  /** The request target as sent: path and query string. */
  readonly target: string;
  readonly after: unknown;
  readonly limit: unknown;
}

export interface PulledChange {
  readonly cursor: string;
  readonly type: CrmChangeType;
  readonly recordedAt: string;
  readonly body: unknown;
}

export interface PullResponse {
  readonly changes: readonly PulledChange[];
  /** Where to start the next pull (the last change's cursor, or the one given when none). */
  readonly nextCursor: string;
  readonly hasMore: boolean;
}

export interface PullPorts {
  /** Read from the store, not the registry's cache: unauthenticated callers must not fill it. */
  connector(tenantId: string, connectorId: string): Promise<Connector | undefined>;
  readonly feed: { after(tenantId: string, cursor: number, limit: number): Promise<CrmChangePage>; isAhead(tenantId: string, cursor: number): Promise<boolean> };
  readonly now?: () => number;
}

/** The string a pull signs: the same scheme as the webhooks' (timestamp, then what is signed). */
export function pullSigningInput(timestamp: number, target: string): string {
  return `${timestamp}.GET ${target}`;
}

export function pullSignature(secret: string, timestamp: number, target: string): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(pullSigningInput(timestamp, target)).digest('hex')}`;
}

/**
 * What happens when a generic CRM pulls the tenant's changes: the request must be signed with
 * the secret of a webhook connector carrying SYNC_FLOW_CHANGES_PULL (HMAC like its webhooks,
 * timestamp within five minutes); the answer is a page of changes after its cursor, each body
 * mapped through the connector's template as its webhook would be.
 */
export class PullCrmChanges {
  constructor(private readonly ports: PullPorts) {}

  async execute(req: PullRequest): Promise<PullResponse> {
    const connector = await this.authorised(req);
    const cursor = parseCursor(req.after);
    if (cursor === undefined) throw new PullBadRequestError('after must be a cursor this endpoint returned');
    const limit = req.limit === undefined || req.limit === '' ? DEFAULT_PAGE : typeof req.limit === 'string' && /^\d{1,4}$/.test(req.limit) ? Number(req.limit) : NaN;
    if (!(limit >= 1 && limit <= MAX_PAGE)) throw new PullBadRequestError(`limit must be between 1 and ${MAX_PAGE}`);
    if (await this.ports.feed.isAhead(req.tenantId, cursor)) throw new PullBadRequestError('after is ahead of this feed (not a cursor it returned)');
    const page = await this.ports.feed.after(req.tenantId, cursor, limit);
    const template = connector.webhookTemplate;
    const changes = page.changes.map((c) => ({ cursor: String(c.seq), type: c.type, recordedAt: c.recordedAt.toISOString(), body: pulledBody(c.type, template, c.view) }));
    return { changes, nextCursor: changes.at(-1)?.cursor ?? String(cursor), hasMore: page.hasMore };
  }

  private async authorised(req: PullRequest): Promise<Connector> {
    const refused = new PullUnauthorizedError('missing or invalid X-Careloop-Signature for this connector');
    const m = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(req.signature ?? '');
    if (!m?.[1] || !m[2]) throw refused;
    const timestamp = Number(m[1]);
    if (Math.abs((this.ports.now ?? Date.now)() / 1000 - timestamp) > SIGNATURE_TOLERANCE_S) throw refused;
    if (!ID.test(req.tenantId) || !ID.test(req.connectorId)) throw refused;
    const c = await this.ports.connector(req.tenantId, req.connectorId);
    if (!c || c.kind !== 'webhook' || !carries(c, 'changes-pull') || c.auth.method !== 'hmac') throw refused;
    const expected = createHmac('sha256', c.auth.signingSecret).update(pullSigningInput(timestamp, req.target)).digest();
    const given = Buffer.from(m[2], 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw refused;
    return c;
  }
}
