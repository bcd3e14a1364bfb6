import { randomBytes } from 'node:crypto';
import { AppointmentChangeKind, Channel, ConsentState, crmApi, PatientResponse } from '@careloop/contracts';
import { connectMongo, connectRedis, FieldCipher } from '@careloop/store';
import { infraEnv, uniqueName, waitFor } from '@careloop/testing';
import { CrmChangeFeed, RedisChangeNumbers } from '../src/adapters/crm-change-feed';
import { pullSignature, type PullResponse } from '../src/use-cases/pull-crm-changes';
import { changed, snapshot } from './support/connection';
import { startCrmSync, type CrmSyncUnderTest } from './support/harness';

jest.setTimeout(120_000);

const SECRET = 'pull-test-signing-secret-0123456789abcdef';
const TEMPLATE = JSON.stringify({ external_ref: '{{appointment.appointmentId}}', state: '{{appointment.status}}', kind: '{{kind}}' });

describe('a generic CRM pulling contact and appointment changes from crm-sync’s HTTP API (Kafka, FerretDB)', () => {
  let crm: CrmSyncUnderTest;
  let base = '';
  beforeAll(async () => {
    crm = await startCrmSync();
    base = `http://127.0.0.1:${crm.running.httpPort ?? 0}`;
    await crm.putConnector({
      connectorId: 'crm',
      kind: crmApi.ConnectorKind.CONNECTOR_KIND_WEBHOOK,
      // Pull only: no webhook deliveries, so the URL is never called.
      baseUrl: 'http://127.0.0.1:9/hooks',
      flows: [crmApi.SyncFlow.SYNC_FLOW_CHANGES_PULL],
      webhook: { signingSecret: SECRET, bodyTemplate: TEMPLATE },
    });
  });
  afterAll(async () => {
    await crm.stop();
  });

  const path = (query: string) => `/crm/v1/tenants/${crm.tenantId}/connectors/crm/changes${query}`;
  const get = (target: string, secret = SECRET, at = Date.now()) => fetch(`${base}${target}`, { headers: { 'x-careloop-signature': pullSignature(secret, Math.floor(at / 1000), target) } });
  const page = async (query: string): Promise<PullResponse> => {
    const res = await get(path(query));
    expect(res.status).toBe(200);
    return (await res.json()) as PullResponse;
  };

  it('pages every change once, in order, from a cursor; appointment bodies mapped by the connector’s template; no phone numbers', async () => {
    const a = snapshot({ tenantId: crm.tenantId, appointmentId: uniqueName('appt'), patientId: uniqueName('patient'), contactId: uniqueName('contact') });
    const booked = changed(a);
    await crm.publishAppointment(booked);
    await crm.publishAppointment(booked); // the same change published again is one change
    await crm.publishAppointment(changed({ ...a, version: 2, patientResponse: PatientResponse.PATIENT_RESPONSE_ACCEPTED }, AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_CONFIRMED));
    await crm.publishConsent({ contactId: a.contactId, state: ConsentState.CONSENT_STATE_OPTED_IN, purpose: 'care-messaging', wordingVersion: 'v1', source: 'button', changedAt: new Date(), identities: [{ channel: Channel.CHANNEL_WHATSAPP, channelUserId: '34600999888', phoneE164: '+34600999888', businessScopedUserId: '', profileName: 'Ana', username: '' }], language: 'es' });

    // Kafka gives no order across keys (appointment vs contact): wait for all three, then page.
    await waitFor('three changes in the feed', async () => {
      const all = await page('?limit=500');
      return all.changes.length >= 3 ? all : undefined;
    }, 90_000, 300);
    const seen: PullResponse['changes'][number][] = [];
    let cursor = '';
    for (let i = 0; i < 10; i++) {
      const p = await page(`?limit=1${cursor ? `&after=${cursor}` : ''}`);
      seen.push(...p.changes);
      cursor = p.nextCursor;
      if (!p.hasMore) break;
    }
    expect(seen.map((c) => c.cursor)).toEqual(['1', '2', '3']);
    const appointments = seen.filter((c) => c.type === 'appointment').map((c) => c.body);
    expect(appointments).toEqual([
      { external_ref: a.appointmentId, state: 'booked', kind: 'booked' },
      { external_ref: a.appointmentId, state: 'booked', kind: 'confirmed' },
    ]);
    const contact = seen.find((c) => c.type === 'contact')?.body as { contact: Record<string, unknown> };
    expect(contact.contact).toMatchObject({ contactId: a.contactId, consent: 'opted_in', purpose: 'care-messaging' });
    expect(JSON.stringify(seen)).not.toContain('34600999888');
    expect(JSON.stringify(seen)).not.toContain('Ana');
    expect(await page(`?after=${cursor}`)).toEqual({ changes: [], nextCursor: cursor, hasMore: false });
  });

  it('401 without a valid signature (wrong secret, stale, another connector); 400 for a cursor it never returned', async () => {
    expect((await fetch(`${base}${path('')}`)).status).toBe(401);
    expect((await get(path(''), 'not-the-secret-but-32-characters-long!!')).status).toBe(401);
    expect((await get(path(''), SECRET, Date.now() - 10 * 60_000)).status).toBe(401);
    expect((await get(`/crm/v1/tenants/${crm.tenantId}/connectors/ehr/changes`)).status).toBe(401);
    const bad = await get(path('?after=not-a-cursor'));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe('bad_request');
    expect((await get(path('?after=999999'))).status).toBe(400);
    expect((await get(path('?limit=0'))).status).toBe(400);
  });
});

describe('the change feed’s numbering (FerretDB, Redis)', () => {
  it('a page stops before a number taken but not yet stored until the gap wait has passed; a lost counter catches up', async () => {
    const connection = await connectMongo({ uri: infraEnv().MONGODB_URI, dbName: uniqueName('crm_feed_test').replace(/-/g, '_') });
    const redis = await connectRedis({ url: infraEnv().REDIS_URL, keyPrefix: `${uniqueName('crm-feed')}:` });
    try {
      let now = Date.now();
      const cipher = new FieldCipher([{ id: 's1', key: randomBytes(32) }], [{ id: 'b1', key: randomBytes(32) }]);
      const numbers = new RedisChangeNumbers(redis);
      const feed = new CrmChangeFeed(connection, cipher, numbers, 10_000, () => now);
      await feed.init();
      const tenant = uniqueName('tenant');
      await feed.append(tenant, 'appointment/a/1', 'appointment', { n: 1 });
      await feed.append(tenant, 'appointment/a/1', 'appointment', { n: 1 }); // the same change: one number
      await numbers.next(tenant); // another replica took number 2 and has not stored its change yet
      await feed.append(tenant, 'appointment/a/3', 'appointment', { n: 3 });

      const early = await feed.after(tenant, 0, 10);
      expect(early.changes.map((c) => c.seq)).toEqual([1]);
      expect(early.hasMore).toBe(true);
      now += 10_001; // number 2 never came: taken as lost
      const late = await feed.after(tenant, 1, 10);
      expect(late.changes.map((c) => [c.seq, c.view])).toEqual([[3, { n: 3 }]]);
      expect(late.hasMore).toBe(false);

      // Redis lost the counter: the next number it hands out (1) is taken; the feed catches up.
      await redis.del(`crm-changes:seq:${tenant}`);
      expect(await feed.isAhead(tenant, 3)).toBe(false);
      await feed.append(tenant, 'appointment/a/4', 'appointment', { n: 4 });
      expect((await feed.after(tenant, 3, 10)).changes.map((c) => [c.seq, c.view])).toEqual([[4, { n: 4 }]]);
      expect(await feed.isAhead(tenant, 5)).toBe(true);
      expect(await feed.after(uniqueName('tenant'), 0, 10)).toEqual({ changes: [], hasMore: false });
    } finally {
      await connection.dropDatabase().catch(() => undefined);
      await connection.close();
      redis.disconnect();
    }
  });

  it('concurrent writers never store two changes under one number, and every change is paged once', async () => {
    const connection = await connectMongo({ uri: infraEnv().MONGODB_URI, dbName: uniqueName('crm_feed_test').replace(/-/g, '_') });
    const redis = await connectRedis({ url: infraEnv().REDIS_URL, keyPrefix: `${uniqueName('crm-feed')}:` });
    try {
      const cipher = new FieldCipher([{ id: 's1', key: randomBytes(32) }], [{ id: 'b1', key: randomBytes(32) }]);
      let now = Date.now();
      const feed = new CrmChangeFeed(connection, cipher, new RedisChangeNumbers(redis), 10_000, () => now);
      await feed.init();
      const tenant = uniqueName('tenant');
      // Eight writers, 200 changes, each recorded twice (redeliveries racing the first delivery).
      await Promise.all(Array.from({ length: 8 }, async (_, w) => {
        for (let i = w; i < 200; i += 8) await Promise.all([feed.append(tenant, `appointment/a${i}/1`, 'appointment', { i }), feed.append(tenant, `appointment/a${i}/1`, 'appointment', { i })]);
      }));
      // A racing duplicate leaves its number unused: pages pass such gaps once the wait is over.
      now += 10_001;
      const seen: number[] = [];
      let cursor = 0;
      for (let round = 0; round < 50; round++) {
        const page = await feed.after(tenant, cursor, 64);
        seen.push(...page.changes.map((c) => (c.view as { i: number }).i));
        cursor = page.changes.at(-1)?.seq ?? cursor;
        if (!page.hasMore) break;
      }
      expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    } finally {
      await connection.dropDatabase().catch(() => undefined);
      await connection.close();
      redis.disconnect();
    }
  });
});
