import type { NextFunction, Request, Response } from 'express';
import jwt from 'jsonwebtoken';
import { z } from 'zod';

/** Who is calling the inbox API: from a JWT signed by the hospital's identity provider (HS256 here). */
export interface Agent {
  readonly id: string;
  readonly tenantId: string;
  readonly role: 'agent' | 'supervisor' | 'admin';
  /** Queues an agent works; supervisors and admins see every queue of their tenant. */
  readonly queues: readonly string[];
}

const claimsSchema = z.object({
  sub: z.string().min(1),
  tenant: z.string().min(1),
  role: z.enum(['agent', 'supervisor', 'admin']),
  queues: z.array(z.string()).default([]),
});

export function agentAuth(secret: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const header = req.get('authorization') ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    try {
      const claims = claimsSchema.parse(jwt.verify(token, secret, { algorithms: ['HS256'] }));
      res.locals['agent'] = { id: claims.sub, tenantId: claims.tenant, role: claims.role, queues: claims.queues } satisfies Agent;
      next();
    } catch {
      res.status(401).json({ error: 'unauthorized', reason: 'a valid bearer token with sub, tenant and role claims is required' });
    }
  };
}

export function agentOf(res: Response): Agent {
  return res.locals['agent'] as Agent;
}

export function canSeeQueue(agent: Agent, queue: string | undefined): boolean {
  if (agent.role !== 'agent') return true;
  return queue !== undefined && agent.queues.includes(queue);
}

/** For tests and the demo: a token as the identity provider would issue it. */
export function issueAgentToken(secret: string, agent: { id: string; tenantId: string; role: Agent['role']; queues?: string[] }, expiresInSeconds = 3600): string {
  return jwt.sign({ sub: agent.id, tenant: agent.tenantId, role: agent.role, queues: agent.queues ?? [] }, secret, { algorithm: 'HS256', expiresIn: expiresInSeconds });
}
