import type { AddressInfo } from 'node:net';
import express from 'express';
import jwt from 'jsonwebtoken';
import { issueStaffBearer, staffBearerAuth, staffCallerOf, StaffRoleError, StaffTokenError, verifyStaffBearer } from '@careloop/service-kit';

const SECRET = 'a-staff-signing-secret-0123456789';
const ROLES = ['privacy-officer', 'admin'] as const;
const bearer = (token: string) => `Bearer ${token}`;

describe('verifyStaffBearer', () => {
  it('returns the caller of a valid token whose role is admitted', () => {
    const token = issueStaffBearer(SECRET, { id: 'po-7', tenantId: 'tenant-a', role: 'privacy-officer' });
    expect(verifyStaffBearer(SECRET, bearer(token), ROLES)).toEqual({ id: 'po-7', tenantId: 'tenant-a', role: 'privacy-officer' });
  });

  it('refuses a missing, malformed, mis-signed, expired or claim-less token as unauthenticated', () => {
    const now = Math.floor(Date.now() / 1000);
    const refused = [
      undefined,
      '',
      issueStaffBearer(SECRET, { id: 'po-7', tenantId: 'tenant-a', role: 'admin' }), // no "Bearer "
      bearer('not-a-jwt'),
      bearer(issueStaffBearer('another-secret-of-enough-length', { id: 'po-7', tenantId: 'tenant-a', role: 'admin' })),
      bearer(jwt.sign({ sub: 'po-7', tenant: 'tenant-a', role: 'admin', exp: now - 10 }, SECRET, { algorithm: 'HS256' })),
      bearer(jwt.sign({ sub: 'po-7', role: 'admin' }, SECRET, { algorithm: 'HS256' })), // no tenant
      bearer(jwt.sign({ sub: 'po-7', tenant: 'tenant-a', role: 'admin' }, SECRET, { algorithm: 'HS384' })), // only HS256
      bearer(`${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', tenant: 'tenant-a', role: 'admin' })).toString('base64url')}.`),
    ];
    for (const authorization of refused) expect(() => verifyStaffBearer(SECRET, authorization, ROLES)).toThrow(StaffTokenError);
  });

  it('refuses a valid token whose role the API does not admit, naming the roles it does', () => {
    const token = issueStaffBearer(SECRET, { id: 'agent-1', tenantId: 'tenant-a', role: 'agent' });
    expect(() => verifyStaffBearer(SECRET, bearer(token), ROLES)).toThrow(new StaffRoleError('this API needs one of the roles privacy-officer, admin'));
  });
});

describe('staffBearerAuth', () => {
  let base: string;
  let close: () => void;
  beforeAll(async () => {
    const app = express();
    app.get('/who', staffBearerAuth(SECRET, ROLES), (_req, res) => res.json(staffCallerOf(res)));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  afterAll(() => close());

  const get = (authorization?: string) => fetch(`${base}/who`, { headers: authorization ? { authorization } : {} });

  it('answers 401 with a Bearer challenge, 403 for another role, and passes the caller on', async () => {
    const none = await get();
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(await none.json()).toEqual({ error: 'unauthorized', reason: 'a valid bearer token with sub, tenant and role claims is required' });

    const agent = await get(bearer(issueStaffBearer(SECRET, { id: 'agent-1', tenantId: 'tenant-a', role: 'agent' })));
    expect(agent.status).toBe(403);
    expect(await agent.json()).toEqual({ error: 'forbidden', reason: 'this API needs one of the roles privacy-officer, admin' });

    const admin = await get(bearer(issueStaffBearer(SECRET, { id: 'admin-1', tenantId: 'tenant-b', role: 'admin' })));
    expect(admin.status).toBe(200);
    expect(await admin.json()).toEqual({ id: 'admin-1', tenantId: 'tenant-b', role: 'admin' });
  });
});
