import type { NextFunction, Request, RequestHandler, Response } from 'express';
import jwt from 'jsonwebtoken';
import { z } from '@careloop/config';

/**
 * Staff bearer tokens as the hospital's identity provider issues them (HS256, claims `sub`,
 * `tenant`, `role`): one verification for every service's staff API, each naming the roles it
 * admits. The tenant a staff member acts for is the token's, never a request parameter's.
 */
export interface StaffCaller<R extends string = string> {
  readonly id: string;
  readonly tenantId: string;
  readonly role: R;
}

const claimsSchema = z.object({ sub: z.string().min(1), tenant: z.string().min(1), role: z.string().min(1) });

const TOKEN_REQUIRED = 'a valid bearer token with sub, tenant and role claims is required';

/** No token, a bad signature, an expired token, missing claims: HTTP 401. */
export class StaffTokenError extends Error {
  override readonly name = 'StaffTokenError';
}

/** A valid token whose role the API does not admit: HTTP 403. */
export class StaffRoleError extends Error {
  override readonly name = 'StaffRoleError';
}

/** The caller of `Authorization: Bearer <jwt>`, if the token is valid and its role one of `roles`. */
export function verifyStaffBearer<R extends string>(secret: string, authorization: string | undefined, roles: readonly R[]): StaffCaller<R> {
  const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : '';
  let claims: z.infer<typeof claimsSchema>;
  try {
    claims = claimsSchema.parse(jwt.verify(token, secret, { algorithms: ['HS256'] }));
  } catch (cause) {
    throw new StaffTokenError(TOKEN_REQUIRED, { cause });
  }
  const role = roles.find((r) => r === claims.role);
  if (role === undefined) throw new StaffRoleError(`this API needs one of the roles ${roles.join(', ')}`);
  return { id: claims.sub, tenantId: claims.tenant, role };
}

/**
 * Express middleware: 401 (with `WWW-Authenticate: Bearer`) without a valid token, 403 for a role
 * not in `roles`; otherwise the caller is in `res.locals` for `staffCallerOf`.
 */
export function staffBearerAuth(secret: string, roles: readonly string[]): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    try {
      res.locals['staffCaller'] = verifyStaffBearer(secret, req.get('authorization'), roles);
      next();
    } catch (error) {
      if (error instanceof StaffRoleError) res.status(403).json({ error: 'forbidden', reason: error.message });
      else res.status(401).set('www-authenticate', 'Bearer').json({ error: 'unauthorized', reason: TOKEN_REQUIRED });
    }
  };
}

/** The caller `staffBearerAuth` admitted (call only behind it). */
export function staffCallerOf<R extends string>(res: Response): StaffCaller<R> {
  return res.locals['staffCaller'] as StaffCaller<R>;
}

/** For tests, demos and dev logins: a token as the identity provider would issue it. */
export function issueStaffBearer(secret: string, caller: StaffCaller, expiresInSeconds = 3600): string {
  return jwt.sign({ sub: caller.id, tenant: caller.tenantId, role: caller.role }, secret, { algorithm: 'HS256', expiresIn: expiresInSeconds });
}
