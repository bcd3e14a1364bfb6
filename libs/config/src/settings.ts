import { z } from 'zod';

/** Reusable setting parsers, so every service spells its env the same way. */

export const port = (fallback?: number) => {
  const base = z.coerce.number().int().min(0, 'must be a TCP port (0-65535)').max(65535, 'must be a TCP port (0-65535)');
  return fallback === undefined ? base : base.default(fallback);
};

export const positiveInt = (fallback?: number) => {
  const base = z.coerce.number().int().positive('must be a positive integer');
  return fallback === undefined ? base : base.default(fallback);
};

export const boolean = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { message: 'must be true or false' })
    .transform((v) => ['true', '1', 'yes', 'on'].includes(v))
    .default(fallback);

/** Comma-separated host:port list, e.g. "127.0.0.1:19092,kafka-1:9092". */
export const hostPortList = () =>
  z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0))
    .pipe(z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be a comma-separated list of host:port')).min(1, 'must name at least one host:port'));

export const mongoUri = () =>
  z.string().regex(/^mongodb(\+srv)?:\/\/.+/, 'must be a mongodb:// or mongodb+srv:// URI');

export const redisUrl = () => z.string().regex(/^rediss?:\/\/.+/, 'must be a redis:// or rediss:// URL');

export const logLevel = () =>
  z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

/**
 * A key ring as `kid1:base64key,kid2:base64key`; the first is active for new
 * writes, the rest still decrypt. Each key must be exactly 32 bytes.
 */
export const keyRing = () =>
  z
    .string()
    .transform((s, ctx) => {
      const keys: { id: string; key: Buffer }[] = [];
      for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
        const sep = part.indexOf(':');
        const id = sep > 0 ? part.slice(0, sep) : '';
        const key = Buffer.from(sep > 0 ? part.slice(sep + 1) : '', 'base64');
        if (!/^[A-Za-z0-9_-]{1,32}$/.test(id) || key.length !== 32) {
          ctx.addIssue({ code: 'custom', message: 'must be a list of keyId:base64(32-byte key), comma-separated' });
          return z.NEVER;
        }
        keys.push({ id, key });
      }
      if (keys.length === 0) {
        ctx.addIssue({ code: 'custom', message: 'must hold at least one key' });
        return z.NEVER;
      }
      return keys;
    });

export type KeyRingSetting = z.infer<ReturnType<typeof keyRing>>;
