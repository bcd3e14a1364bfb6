import { Redis } from 'ioredis';

export { Redis } from 'ioredis';

export interface RedisSettings {
  readonly url: string;
  /** Service's key prefix, e.g. "careloop:gateway:"; every key lands under it. */
  readonly keyPrefix: string;
}

export function redisKeyPrefix(service: string): string {
  return `careloop:${service}:`;
}

/**
 * A client whose every key is prefixed with the service's namespace, so
 * services sharing one Redis never see each other's keys. Commands queue
 * while disconnected and the client reconnects on its own.
 */
export async function connectRedis(settings: RedisSettings): Promise<Redis> {
  const client = new Redis(settings.url, {
    keyPrefix: settings.keyPrefix,
    lazyConnect: true,
    maxRetriesPerRequest: 3,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  await client.connect();
  return client;
}

export async function isRedisConnected(client: Redis, timeoutMs = 1_000): Promise<boolean> {
  if (client.status !== 'ready') return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      client.ping().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
