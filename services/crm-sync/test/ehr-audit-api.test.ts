import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import type { Task } from '@medplum/fhirtypes';
import { createLogger } from '@careloop/observability';
import { issueStaffBearer } from '@careloop/service-kit';
import type { EhrAuditEntry } from '../src/adapters/ehr-audit';
import { ehrAuditRouter } from '../src/adapters/http/ehr-audit-api';
import { InvalidAuditQueryError, parseAuditQuery } from '../src/domain/audit-query';
import { statusReasonCode } from '../src/use-cases/follow-refill-status';
import { ReadEhrAudit } from '../src/use-cases/read-ehr-audit';

const SECRET = 'crm-sync-unit-jwt-secret-0123456789';
const NOW = new Date('2026-03-10T12:00:00.000Z');

/** The store's two calls over a list, keyed by tenant (the real one is ehr-refills.int.test.ts's). */
class ListAudit {
  readonly rows: { tenantId: string; id: string; entry: EhrAuditEntry }[] = [];
  record(tenantId: string, id: string, entry: EhrAuditEntry): Promise<void> {
    if (!this.rows.some((r) => r.tenantId === tenantId && r.id === id)) this.rows.push({ tenantId, id, entry });
    return Promise.resolve();
  }
  trail(tenantId: string, patientId: string, w: { from: Date; to: Date; limit: number }): Promise<EhrAuditEntry[]> {
    const hits = this.rows.filter((r) => r.tenantId === tenantId && r.entry.patientId === patientId && r.entry.at >= w.from && r.entry.at <= w.to);
    return Promise.resolve(hits.map((r) => r.entry).sort((a, b) => a.at.getTime() - b.at.getTime()).slice(0, w.limit));
  }
}

const entry = (patientId: string, at: string, action: EhrAuditEntry['action'], resource: string, reason: string): EhrAuditEntry => ({ contactId: 'contact-1', patientId, connectorId: 'ehr', resource, action, reason, turnId: `turn-${at}`, at: new Date(at) });

describe('GET /ehr/v1/audit', () => {
  let audit: ListAudit;
  let server: Server;
  let base: string;

  beforeEach(async () => {
    audit = new ListAudit();
    await audit.record('tenant-a', '1', entry('pid-1', '2026-03-01T09:00:00.000Z', 'result.released.document', 'DiagnosticReport/7', 'category:LAB'));
    await audit.record('tenant-a', '2', entry('pid-1', '2026-03-02T09:00:00.000Z', 'refill.requested', 'Task/11', 'pharmacy_review'));
    await audit.record('tenant-a', '3', entry('pid-1', '2026-03-03T09:00:00.000Z', 'refill.status.ready', 'Task/11', 'ready'));
    await audit.record('tenant-a', '4', entry('pid-2', '2026-03-02T10:00:00.000Z', 'result.withheld', 'DiagnosticReport/8', 'category:GE'));
    await audit.record('tenant-b', '5', entry('pid-1', '2026-03-02T11:00:00.000Z', 'result.announced', 'DiagnosticReport/9', 'category:RAD'));
    const app = express();
    app.use(ehrAuditRouter(new ReadEhrAudit({ audit, now: () => NOW }), SECRET, createLogger({ service: 'crm-sync-test', level: 'silent' })));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => server.close());

  const token = (role: string, tenantId = 'tenant-a', id = 'po-1') => issueStaffBearer(SECRET, { id, tenantId, role });
  const get = async (query: string, bearer?: string) => {
    const res = await fetch(`${base}/ehr/v1/audit?${query}`, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { entries?: Record<string, unknown>[] }, headers: res.headers };
  };

  it('401 without a valid token, 403 for a role that may not read the trail — and neither read is recorded', async () => {
    expect((await get('patientId=pid-1')).status).toBe(401);
    expect((await get('patientId=pid-1', 'garbage')).status).toBe(401);
    expect((await get('patientId=pid-1', issueStaffBearer('another-secret-0123456789abcdef', { id: 'po-1', tenantId: 'tenant-a', role: 'privacy-officer' }))).status).toBe(401);
    for (const role of ['agent', 'analyst', 'csat-reader']) {
      const res = await get('patientId=pid-1', token(role));
      expect([role, res.status, res.body['error']]).toEqual([role, 403, 'forbidden']);
    }
    expect(audit.rows.filter((r) => r.entry.action === 'audit.read')).toEqual([]);
  });

  it('lists the token tenant’s entries for the patient oldest first, records the read, and lists it last', async () => {
    const res = await get('patientId=pid-1', token('privacy-officer'));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toMatchObject({ patientId: 'pid-1', from: '1970-01-01T00:00:00.000Z', to: NOW.toISOString(), hasMore: false });
    expect(res.body.entries?.map((e) => [e['action'], e['resource'], e['reason']])).toEqual([
      ['result.released.document', 'DiagnosticReport/7', 'category:LAB'],
      ['refill.requested', 'Task/11', 'pharmacy_review'],
      ['refill.status.ready', 'Task/11', 'ready'],
      ['audit.read', 'ehr_audit', 'role:privacy-officer'],
    ]);
    expect(res.body.entries?.[0]).toEqual({ at: '2026-03-01T09:00:00.000Z', action: 'result.released.document', resource: 'DiagnosticReport/7', reason: 'category:LAB', contactId: 'contact-1', turnId: 'turn-2026-03-01T09:00:00.000Z', connectorId: 'ehr', actor: '' });
    expect(res.body.entries?.[3]).toMatchObject({ at: NOW.toISOString(), contactId: '', actor: 'staff:po-1', turnId: '' });
    const reads = audit.rows.filter((r) => r.entry.action === 'audit.read');
    expect(reads.map((r) => [r.tenantId, r.entry.patientId])).toEqual([['tenant-a', 'pid-1']]);
  });

  it('takes the tenant from the token: another tenant’s supervisor sees only theirs', async () => {
    const res = await get('patientId=pid-1', token('supervisor', 'tenant-b', 'sup-9'));
    expect(res.body.entries?.map((e) => [e['action'], e['actor']])).toEqual([['result.announced', ''], ['audit.read', 'staff:sup-9']]);
    const named = await get('patientId=pid-1&tenant=tenant-a', token('supervisor', 'tenant-b'));
    expect(named).toMatchObject({ status: 400, body: { error: 'bad_request', reason: 'unknown parameter tenant (the tenant is the token’s)' } });
  });

  it('narrows to a window and a limit, saying when there is more', async () => {
    const res = await get(`patientId=pid-1&from=2026-03-02&to=${encodeURIComponent('2026-03-03T10:00:00+01:00')}&limit=1`, token('admin'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ from: '2026-03-02T00:00:00.000Z', to: '2026-03-03T09:00:00.000Z', hasMore: true });
    expect(res.body.entries?.map((e) => e['action'])).toEqual(['refill.requested']);
    const rest = await get('patientId=pid-1&from=2026-03-03T09:00:00Z&to=2026-03-03T09:00:00Z&limit=5', token('admin'));
    expect(rest.body).toMatchObject({ hasMore: false, entries: [{ action: 'refill.status.ready' }] });
  });

  it('400 for a bad query, naming the parameter', async () => {
    const cases: [string, string][] = [
      ['', 'patientId is required'],
      ['patientId=a&patientId=b', 'patientId must be given once, as a Careloop patient id'],
      ['patientId=pid%201', 'patientId must be a Careloop patient id'],
      ['patientId=pid-1&from=yesterday', 'from must be an ISO 8601 date-time (2026-03-01T00:00:00Z) or date (2026-03-01, midnight UTC)'],
      ['patientId=pid-1&to=2026-13-01', 'to must be an ISO 8601 date-time (2026-03-01T00:00:00Z) or date (2026-03-01, midnight UTC)'],
      ['patientId=pid-1&from=2026-03-05&to=2026-03-01', 'from must not be after to'],
      ['patientId=pid-1&from=2027-01-01', 'from must not be in the future'],
      ['patientId=pid-1&limit=0', 'limit must be a whole number from 1 to 1000'],
      ['patientId=pid-1&limit=1001', 'limit must be a whole number from 1 to 1000'],
      ['patientId=pid-1&limit=ten', 'limit must be a whole number from 1 to 1000'],
      ['patientId=pid-1&since=2026-01-01', 'unknown parameter since'],
    ];
    for (const [query, reason] of cases) {
      const res = await get(query, token('privacy-officer'));
      expect([query, res.status, res.body['reason']]).toEqual([query, 400, reason]);
    }
  });
});

describe('the audit query and the refill status reason', () => {
  it('defaults the window to everything until now and 100 entries', () => {
    expect(parseAuditQuery({ patientId: 'pid-1' }, NOW)).toEqual({ patientId: 'pid-1', from: new Date(0), to: NOW, limit: 100 });
    expect(() => parseAuditQuery({}, NOW)).toThrow(InvalidAuditQueryError);
  });

  it('records a decline by its code, never by the text a clinician wrote', () => {
    const task = (statusReason: Task['statusReason']): Task => ({ resourceType: 'Task', status: 'rejected', intent: 'order', statusReason });
    expect(statusReasonCode('declined', task({ text: 'Se necesita una consulta antes de renovarla' }))).toBe('declined');
    expect(statusReasonCode('declined', task({ coding: [{ system: 'urn:hospital:refill-decline', code: 'needs-consultation', display: 'Needs a consultation' }], text: 'Pedro: see Dr Ruiz' }))).toBe('declined:needs-consultation');
    expect(statusReasonCode('declined', task({ coding: [{ code: 'free text here' }] }))).toBe('declined');
    expect(statusReasonCode('ready', task(undefined))).toBe('ready');
  });
});
