import { AppointmentChangeKind, Channel, ConsentState, type ConsentChanged } from '@careloop/contracts';
import type { CrmChange, CrmChangePage } from '../src/adapters/crm-change-feed';
import type { Connector } from '../src/domain/connector';
import { contactView, parseCursor, pulledBody } from '../src/domain/crm-change-view';
import { appointmentView } from '../src/domain/webhook-body';
import { PullBadRequestError, PullCrmChanges, pullSignature, PullUnauthorizedError, type PullRequest } from '../src/use-cases/pull-crm-changes';
import { changed, snapshot } from './support/connection';

const SECRET = 'a-signing-secret-of-at-least-32-characters';
const NOW = 1_800_000_000_000;
const TEMPLATE = JSON.stringify({ ref: '{{appointment.appointmentId}}', state: '{{appointment.status}}', note: 'v{{appointment.version}}' });

function connector(overrides: Partial<Connector> = {}): Connector {
  return {
    tenantId: 'tenant-a', connectorId: 'crm', kind: 'webhook', baseUrl: 'https://crm.example/hooks', enabled: true, flows: ['appointments-out', 'changes-pull'],
    ratePerSecond: 0, mrnSystem: '', import: undefined, auth: { method: 'hmac', signingSecret: SECRET }, webhookTemplate: TEMPLATE, updatedAt: new Date(), ...overrides,
  };
}

/** The feed's reading side over a list (its numbering and gaps are the integration suite's). */
class ListFeed {
  constructor(readonly changes: CrmChange[]) {}
  after(_t: string, cursor: number, limit: number): Promise<CrmChangePage> {
    const rest = this.changes.filter((c) => c.seq > cursor);
    return Promise.resolve({ changes: rest.slice(0, limit), hasMore: rest.length > limit });
  }
  isAhead(_t: string, cursor: number): Promise<boolean> {
    return Promise.resolve(cursor > (this.changes.at(-1)?.seq ?? 0));
  }
}

const consent: ConsentChanged = { contactId: 'contact-1', state: ConsentState.CONSENT_STATE_OPTED_OUT, purpose: 'care-messaging', wordingVersion: 'v2', source: 'keyword', changedAt: new Date(NOW), identities: [{ channel: Channel.CHANNEL_WHATSAPP, channelUserId: '34600111222' }], language: 'es' } as ConsentChanged;
const feed = new ListFeed([
  { seq: 1, recordedAt: new Date(NOW), type: 'appointment', view: appointmentView(changed(snapshot({ appointmentId: 'appt-1', version: 1 }))) },
  { seq: 2, recordedAt: new Date(NOW), type: 'contact', view: contactView('tenant-a', consent) },
  { seq: 3, recordedAt: new Date(NOW), type: 'appointment', view: appointmentView(changed(snapshot({ appointmentId: 'appt-1', version: 2 }), AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_CONFIRMED)) },
]);

function signed(target: string, overrides: Partial<PullRequest> = {}, at = NOW): PullRequest {
  const query = new URL(target, 'http://x').searchParams;
  return { tenantId: 'tenant-a', connectorId: 'crm', target, signature: pullSignature(SECRET, Math.floor(at / 1000), target), after: query.get('after') ?? undefined, limit: query.get('limit') ?? undefined, ...overrides };
}

const PATH = '/crm/v1/tenants/tenant-a/connectors/crm/changes';
const pull = (c: Connector | null = connector()) => new PullCrmChanges({ connector: (t, id) => Promise.resolve(c?.tenantId === t && c.connectorId === id ? c : undefined), feed, now: () => NOW });

describe('the CRM pull endpoint', () => {
  it('pages the tenant’s changes from a cursor, appointment bodies through the connector’s template', async () => {
    const first = await pull().execute(signed(`${PATH}?limit=2`));
    expect(first.changes.map((c) => [c.cursor, c.type])).toEqual([['1', 'appointment'], ['2', 'contact']]);
    expect(first.changes[0]?.body).toEqual({ ref: 'appt-1', state: 'booked', note: 'v1' });
    expect(first).toMatchObject({ nextCursor: '2', hasMore: true });
    const second = await pull().execute(signed(`${PATH}?after=${first.nextCursor}&limit=2`));
    expect(second.changes.map((c) => c.cursor)).toEqual(['3']);
    expect(second).toMatchObject({ nextCursor: '3', hasMore: false });
    const empty = await pull().execute(signed(`${PATH}?after=3`));
    expect(empty).toEqual({ changes: [], nextCursor: '3', hasMore: false });
  });

  it('a contact change carries ids and codes, never the contact’s phone numbers', async () => {
    const page = await pull().execute(signed(`${PATH}?after=1&limit=1`));
    expect(page.changes[0]?.body).toEqual({
      event: 'contact.consent-changed', kind: 'opted_out', changedAt: new Date(NOW).toISOString(),
      contact: { contactId: 'contact-1', tenantId: 'tenant-a', purpose: 'care-messaging', consent: 'opted_out', source: 'keyword', wordingVersion: 'v2', language: 'es' },
    });
    expect(JSON.stringify(page)).not.toContain('34600111222');
  });

  it('refuses an unsigned, mis-signed, stale or tampered request, and a connector that may not pull, all alike', async () => {
    const target = `${PATH}?after=1`;
    const refusals: PullRequest[] = [
      { ...signed(target), signature: undefined },
      { ...signed(target), signature: pullSignature('another-secret-of-at-least-32-characters', NOW / 1000, target) },
      signed(target, {}, NOW - 301_000), // older than five minutes
      { ...signed(target), target: `${PATH}?after=0` }, // the query changed after signing
      { ...signed(target), connectorId: 'other' },
    ];
    for (const req of refusals) await expect(pull().execute(req)).rejects.toBeInstanceOf(PullUnauthorizedError);
    await expect(pull(connector({ flows: ['appointments-out'] })).execute(signed(target))).rejects.toBeInstanceOf(PullUnauthorizedError);
    await expect(pull(connector({ kind: 'fhir-r4', auth: { method: 'none' } })).execute(signed(target))).rejects.toBeInstanceOf(PullUnauthorizedError);
    await expect(pull(null).execute(signed(target))).rejects.toThrow('missing or invalid X-Careloop-Signature for this connector');
  });

  it('a cursor it never returned or a limit out of range is a 400', async () => {
    for (const q of ['after=abc', 'after=-1', 'after=99', 'limit=0', 'limit=501', 'limit=ten']) {
      await expect(pull().execute(signed(`${PATH}?${q}`))).rejects.toBeInstanceOf(PullBadRequestError);
    }
    expect(parseCursor(undefined)).toBe(0);
    expect(parseCursor('12')).toBe(12);
    expect(parseCursor('1e3')).toBeUndefined();
  });

  it('without a template the body is the whole view', () => {
    const view = appointmentView(changed(snapshot()));
    expect(pulledBody('appointment', '', view)).toBe(view);
  });
});
