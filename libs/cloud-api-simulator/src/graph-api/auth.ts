import type { Request } from 'express';
import { MetaError, META_ERRORS } from '../meta-errors';

/**
 * Graph API accepts the token as `Authorization: Bearer <token>` or `?access_token=`.
 * A missing or wrong token is HTTP 401 with code 190 (OAuthException), per Meta's error reference
 * ("190 Access token has expired ... 401 Unauthorized").
 */
export function requireAccessToken(req: Request, accepted: readonly string[]): void {
  const token = tokenOf(req);
  if (token === undefined) {
    throw new MetaError({ ...META_ERRORS.accessToken, message: 'An active access token must be used to query information about the current user.' });
  }
  if (!accepted.includes(token)) {
    throw new MetaError({ ...META_ERRORS.accessToken, message: 'Invalid OAuth access token - Cannot parse access token' });
  }
}

function tokenOf(req: Request): string | undefined {
  const header = req.get('authorization');
  if (header !== undefined) {
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    return match?.[1]?.trim();
  }
  const query: unknown = req.query['access_token'];
  return typeof query === 'string' && query !== '' ? query : undefined;
}
