import type { NextFunction, Request, Response } from 'express';
import { issueStaffBearer, verifyStaffBearer } from '@careloop/service-kit';

/**
 * Staff roles analytics knows. "analyst": aggregated reports only. "csat-reader" and
 * "supervisor": also survey comments (PHI, every read audited). Any other role of a valid staff
 * token (agent, admin) gets the aggregated reports like an analyst.
 */
export const STAFF_ROLES = ['analyst', 'csat-reader', 'supervisor', 'agent', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export interface StaffMember {
  readonly id: string;
  readonly tenantId: string;
  readonly role: StaffRole;
}

export class UnauthorizedError extends Error {
  override readonly name = 'UnauthorizedError';
}

/**
 * The caller of a bearer token, or UnauthorizedError (HS256 with sub, tenant and role claims, like
 * routing's inbox; the service kit verifies it). A role analytics does not know is refused like a
 * bad token: analytics has no 403 for "valid token, unknown role".
 */
export function verifyStaffToken(secret: string, authorization: string | undefined): StaffMember {
  try {
    return verifyStaffBearer(secret, authorization, STAFF_ROLES);
  } catch (cause) {
    throw new UnauthorizedError('a valid bearer token with sub, tenant and role claims is required', { cause });
  }
}

export function canReadComments(member: StaffMember): boolean {
  return member.role === 'csat-reader' || member.role === 'supervisor';
}

export function staffAuth(secret: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    try {
      res.locals['staff'] = verifyStaffToken(secret, req.get('authorization'));
      next();
    } catch {
      res.status(401).json({ error: 'unauthorized', reason: 'a valid bearer token with sub, tenant and role claims is required' });
    }
  };
}

export function staffOf(res: Response): StaffMember {
  return res.locals['staff'] as StaffMember;
}

/** For tests, the demo and the dashboard's dev login: a token as the identity provider would issue it. */
export function issueStaffToken(secret: string, member: StaffMember, expiresInSeconds = 3600): string {
  return issueStaffBearer(secret, member, expiresInSeconds);
}
