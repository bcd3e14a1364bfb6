import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import type { Connection } from 'mongoose';
import { connectMongo, connectRedis, FieldCipher, isRedisConnected, MissingTenantError, MongoProcessedEvents, redisKeyPrefix, type KeyMaterial } from '@careloop/store';
import { infraEnv, uniqueName } from '@careloop/testing';
import { ContactRepository } from './fixtures/contact-repository';

const env = infraEnv();
const key = (id: string): KeyMaterial => ({ id, key: randomBytes(32) });

describe('stores against real FerretDB and Redis', () => {
  const dbName = uniqueName('store_test').replace(/-/g, '_');
  const k1 = key('k1');
  const k2 = key('k2');
  const idx1 = key('i1');
  let connection: Connection;
  let raw: MongoClient;

  beforeAll(async () => {
    connection = await connectMongo({ uri: env.MONGODB_URI, dbName });
    raw = await new MongoClient(env.MONGODB_URI).connect();
  });

  afterAll(async () => {
    await connection.dropDatabase().catch(() => undefined);
    await connection.close();
    await raw.close();
  });

  it('stores PHI unreadable in the raw document, finds it by blind index, and reads it after key rotation', async () => {
    const repo = new ContactRepository(connection, new FieldCipher([k1], [idx1]));
    await repo.init();
    await repo.add('tenant-a', { id: 'c1', phone: '+34600111222', name: 'María José Núñez' });

    const doc = await raw.db(dbName).collection('contacts').findOne({ _id: 'c1' as never });
    const serialized = JSON.stringify(doc);
    expect(doc).not.toBeNull();
    expect(serialized).not.toContain('600111222');
    expect(serialized).not.toContain('María');
    expect(serialized).not.toContain('Núñez');
    expect(doc?.['phone']).toMatch(/^ck1\.k1\./);

    expect(await repo.findByPhone('tenant-a', '+34600111222')).toEqual({ id: 'c1', phone: '+34600111222', name: 'María José Núñez' });
    // The index is per tenant: the same phone in another tenant finds nothing.
    expect(await repo.findByPhone('tenant-b', '+34600111222')).toBeNull();

    // Rotation: k2 becomes active, k1 stays to decrypt; old and new records both read back.
    const rotated = new ContactRepository(connection, new FieldCipher([k2, k1], [idx1]));
    await rotated.add('tenant-a', { id: 'c2', phone: '+491701234567', name: 'Jürgen Groß' });
    expect(await rotated.findById('tenant-a', 'c1')).toMatchObject({ name: 'María José Núñez' });
    expect(await rotated.findByPhone('tenant-a', '+491701234567')).toMatchObject({ id: 'c2', name: 'Jürgen Groß' });
    const doc2 = await raw.db(dbName).collection('contacts').findOne({ _id: 'c2' as never });
    expect(doc2?.['name']).toMatch(/^ck1\.k2\./);

    // A ring that lost k1 cannot read the old record, and says why.
    const withoutOldKey = new ContactRepository(connection, new FieldCipher([k2], [idx1]));
    await expect(withoutOldKey.findById('tenant-a', 'c1')).rejects.toThrow(/key "k1" is not in the key ring/);
  });

  it('refuses a repository call without a tenant with a typed error', async () => {
    const repo = new ContactRepository(connection, new FieldCipher([k1], [idx1]));
    await expect(repo.findById('', 'c1')).rejects.toBeInstanceOf(MissingTenantError);
    await expect(repo.add('', { id: 'x', phone: '+1', name: 'n' })).rejects.toBeInstanceOf(MissingTenantError);
    // Even the raw model, used around the repository, refuses untenanted queries.
    await expect(repo.rawModel.findOne({ _id: 'c1' }).exec()).rejects.toBeInstanceOf(MissingTenantError);
    await expect(repo.rawModel.aggregate([{ $match: { _id: 'c1' } }]).exec()).rejects.toBeInstanceOf(MissingTenantError);
    await expect(repo.rawModel.findOne({ _id: 'c1', tenantId: 'tenant-a' }).exec()).resolves.not.toBeNull();
  });

  it('finds documents by several values of one field with equality lookups, each once, in the tenant only', async () => {
    const repo = new ContactRepository(connection, new FieldCipher([k1], [idx1]));
    await repo.add('tenant-c', { id: 'e1', phone: '+34600000001', name: 'Ana' });
    await repo.add('tenant-c', { id: 'e2', phone: '+34600000002', name: 'Luis' });
    await repo.add('tenant-d', { id: 'e3', phone: '+34600000003', name: 'Eva' });
    const found = await repo.findByIds('tenant-c', ['e2', 'e1', 'e3', 'e1', 'missing']);
    expect(found.map((c) => c.name).sort()).toEqual(['Ana', 'Luis']);
    expect(await repo.findByIds('tenant-c', [])).toEqual([]);
    await expect(repo.findByIds('', ['e1'])).rejects.toBeInstanceOf(MissingTenantError);
  });

  it('marks processed events in shared inserts: a mark made twice, alone or beside new ones, is one mark and no error', async () => {
    const processed = new MongoProcessedEvents(connection);
    await processed.init();
    const group = `group-${Date.now()}`;
    await processed.markProcessed(group, 'e1', 't1');
    // Concurrent marks share a batch; e1 again (a redelivery) is refused as existing, the others land.
    await Promise.all(['e2', 'e1', 'e3', 'e2'].map((id) => processed.markProcessed(group, id, 't1')));
    expect([...(await processed.findProcessed(group, ['e1', 'e2', 'e3', 'e4'].map((id) => ({ id }))))].sort()).toEqual(['e1', 'e2', 'e3']);
    expect(await connection.collection('processed_events').countDocuments({ group })).toBe(3);
  });

  it('with Redis in front, answers recent events from Redis and asks the store only for what Redis may have lost or forgotten', async () => {
    const redis = await connectRedis({ url: env.REDIS_URL, keyPrefix: `${uniqueName('processed-test')}:` });
    try {
      const processed = new MongoProcessedEvents(connection, undefined, { redis, retentionMs: 600_000 });
      await processed.init();
      const group = `group-${Date.now()}`;
      const now = Date.now();
      // The first lookup starts Redis's epoch: anything produced before it (+30 s of clock skew) asks the store.
      expect(await processed.findProcessed(group, [{ id: 'warm-up', producedAt: now }])).toEqual(new Set());
      await processed.markProcessed(group, 'e1', 't1');
      expect(await processed.findProcessed(group, [{ id: 'e1', producedAt: now + 60_000 }, { id: 'e2', producedAt: now + 60_000 }])).toEqual(new Set(['e1']));

      // Redis loses e1's mark while its epoch stands: an event produced since the epoch is taken
      // as new on Redis's word (the store is not asked — that is the saving)...
      await redis.del(`processed:${group}:e1`);
      expect(await processed.findProcessed(group, [{ id: 'e1', producedAt: now + 60_000 }])).toEqual(new Set());
      // ...one produced before the epoch, or longer ago than Redis keeps marks, or of unknown age, is looked up in the store.
      expect(await processed.findProcessed(group, [{ id: 'e1', producedAt: now - 1_000 }])).toEqual(new Set(['e1']));
      expect(await processed.findProcessed(group, [{ id: 'e1', producedAt: now + 60_000 - 20 * 60_000 }])).toEqual(new Set(['e1']));
      expect(await processed.findProcessed(group, [{ id: 'e1' }])).toEqual(new Set(['e1']));

      // An epoch written by another Redis process (a restart that restored a snapshot) is not trusted: a new one starts now.
      await redis.set('processed:epoch', 'deadbeef 0');
      expect(await processed.findProcessed(group, [{ id: 'e1', producedAt: Date.now() }])).toEqual(new Set(['e1']));
      expect((await redis.get('processed:epoch'))?.split(' ')[0]).not.toBe('deadbeef');
    } finally {
      redis.disconnect();
    }
  });

  it('namespaces Redis keys by service', async () => {
    const gateway = await connectRedis({ url: env.REDIS_URL, keyPrefix: redisKeyPrefix('gateway-test') });
    const routing = await connectRedis({ url: env.REDIS_URL, keyPrefix: redisKeyPrefix('routing-test') });
    try {
      expect(await isRedisConnected(gateway)).toBe(true);
      const k = uniqueName('key');
      await gateway.set(k, 'from-gateway', 'EX', 60);
      expect(await routing.get(k)).toBeNull();
      expect(await gateway.get(k)).toBe('from-gateway');
      const unprefixed = await connectRedis({ url: env.REDIS_URL, keyPrefix: '' });
      expect(await unprefixed.get(`careloop:gateway-test:${k}`)).toBe('from-gateway');
      await unprefixed.quit();
    } finally {
      await gateway.quit();
      await routing.quit();
    }
  });
});
