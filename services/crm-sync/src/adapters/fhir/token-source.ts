import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT, type JWK } from 'jose';
import type { ConnectorAuth } from '../../domain/connector';
import { TransientFhirError } from '../../domain/errors';
import type { GuardedHttp } from './guarded-http';

/** The Authorization header value for a connector's next request (undefined: none). */
export interface TokenSource {
  authorization(): Promise<string | undefined>;
  /** The server answered 401: forget the cached token. */
  invalidate(): void;
}

class NoAuth implements TokenSource {
  authorization(): Promise<string | undefined> {
    return Promise.resolve(undefined);
  }
  invalidate(): void {
    // nothing cached
  }
}

class StaticBearer implements TokenSource {
  constructor(private readonly token: string) {}
  authorization(): Promise<string | undefined> {
    return Promise.resolve(`Bearer ${this.token}`);
  }
  invalidate(): void {
    // a static token cannot be refreshed; the 401 surfaces as a transient failure
  }
}

/** Refresh this long before the token's expiry, so no request carries a token about to lapse. */
const REFRESH_MARGIN_MS = 60_000;

/**
 * SMART Backend Services (HL7 SMART App Launch 2.x, "backend services"): a JWT signed with the
 * client's private key (iss = sub = client_id, aud = token URL, short exp, unique jti) traded
 * for an access token by client_credentials. The token is cached until shortly before it
 * expires; concurrent requests share one refresh.
 */
export class SmartBackendTokens implements TokenSource {
  private cached: { token: string; refreshAt: number } | undefined;
  private inFlight: Promise<string> | undefined;

  constructor(
    private readonly auth: Extract<ConnectorAuth, { method: 'smart-backend' }>,
    private readonly http: GuardedHttp,
    private readonly now: () => number = Date.now,
  ) {}

  async authorization(): Promise<string | undefined> {
    if (this.cached && this.now() < this.cached.refreshAt) return `Bearer ${this.cached.token}`;
    this.inFlight ??= this.fetchToken().finally(() => {
      this.inFlight = undefined;
    });
    return `Bearer ${await this.inFlight}`;
  }

  invalidate(): void {
    this.cached = undefined;
  }

  private async fetchToken(): Promise<string> {
    const { tokenUrl, clientId, privateKeyJwk, keyId, algorithm, scope } = this.auth;
    const key = await importJWK(JSON.parse(privateKeyJwk) as JWK, algorithm);
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: algorithm, typ: 'JWT', ...(keyId ? { kid: keyId } : {}) })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(tokenUrl)
      .setJti(randomUUID())
      .setIssuedAt(Math.floor(this.now() / 1000))
      .setExpirationTime(Math.floor(this.now() / 1000) + 300)
      .sign(key);
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      scope,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }).toString();
    const res = await this.http
      .request({ method: 'POST', url: tokenUrl, headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body })
      .catch((error: unknown) => {
        throw new TransientFhirError('token endpoint unreachable', undefined, undefined, { cause: error });
      });
    if (res.status !== 200) throw new TransientFhirError(`token endpoint answered HTTP ${res.status}`, res.status);
    const parsed = JSON.parse(res.body) as { access_token?: unknown; expires_in?: unknown };
    if (typeof parsed.access_token !== 'string') throw new TransientFhirError('token endpoint sent no access_token', res.status);
    const lifetimeMs = (typeof parsed.expires_in === 'number' ? parsed.expires_in : 300) * 1000;
    this.cached = { token: parsed.access_token, refreshAt: this.now() + Math.max(lifetimeMs - REFRESH_MARGIN_MS, lifetimeMs / 2) };
    return parsed.access_token;
  }
}

export function tokenSourceFor(auth: ConnectorAuth, http: GuardedHttp): TokenSource {
  switch (auth.method) {
    case 'none':
    case 'hmac': // signs bodies, not requests to a FHIR server
      return new NoAuth();
    case 'bearer': return new StaticBearer(auth.token);
    case 'smart-backend': return new SmartBackendTokens(auth, http);
  }
}
