import { MongoClient } from 'mongodb';
import { Redis } from 'ioredis';
import { redisKeyPrefix } from '@careloop/store';

/**
 * Removes what a benchmark run left in the shared FerretDB and Redis: its own
 * database, and the gateway's Redis keys of the run's (unique) tenant and
 * business number. Failures are reported, never thrown: cleanup must not hide
 * the figures.
 */
export async function cleanUpRun(infra: { MONGODB_URI: string; REDIS_URL: string }, run: { database: string; tenantId: string; endpointId: string }): Promise<void> {
  const mongo = new MongoClient(infra.MONGODB_URI, { serverSelectionTimeoutMS: 5_000 });
  try {
    await mongo.connect();
    await mongo.db(run.database).dropDatabase();
  } catch (error) {
    console.error(`  could not drop database ${run.database}:`, error instanceof Error ? error.message : error);
  } finally {
    await mongo.close().catch(() => undefined);
  }

  const redis = new Redis(infra.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
  const prefix = redisKeyPrefix('gateway');
  try {
    await redis.connect();
    for (const pattern of [`${prefix}inbound:${run.tenantId}:*`, `${prefix}window:${run.endpointId}:*`, `${prefix}pace:number:${run.endpointId}`, `${prefix}pace:pair:${run.endpointId}:*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 2_000);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== '0');
    }
  } catch (error) {
    console.error('  could not remove the run’s Redis keys:', error instanceof Error ? error.message : error);
  } finally {
    redis.disconnect();
  }
}
