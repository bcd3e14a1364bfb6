import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startService, type RunningService } from '@careloop/service-kit';
import { createLogger } from '@careloop/observability';
import { infraEnv, uniqueName, TEST_GROUP_PREFIX, TEST_GROUPS_START_AT } from '@careloop/testing';
import { gatewayService } from '../../src/service';
import { signMetaPayload } from '../../src/domain/signature';
import type { GatewaySettings } from '../../src/config';

export const APP_SECRET = 'fixture-app-secret';
export const VERIFY_TOKEN = 'fixture-verify-token';
export const MESSENGER_SECRET = 'fixture-messenger-secret';
export const ACCESS_TOKEN = 'test-access-token';

const FIXTURES = join(__dirname, '..', '..', '..', '..', '..', 'shared', 'fixtures', 'whatsapp');

export function fixtureBytes(name: string): Buffer {
  return readFileSync(join(FIXTURES, name));
}

export interface GatewayUnderTest {
  readonly running: RunningService<GatewaySettings>;
  readonly baseUrl: string;
  /** Tenants the fixture numbers map to, unique to this run. */
  readonly tenants: { readonly spain: string; readonly germany: string };
  post(channel: 'whatsapp' | 'messenger', body: Buffer | string, signature?: string | null, headers?: Record<string, string>): Promise<{ status: number; json: unknown }>;
  stop(): Promise<void>;
}

/** Starts the real gateway (its composition root) against the local Kafka, FerretDB and Redis. */
export async function startGateway(overrides: Record<string, string> = {}): Promise<GatewayUnderTest> {
  const env = infraEnv();
  const tenants = { spain: uniqueName('hospital-es'), germany: uniqueName('hospital-de') };
  const key = () => randomBytes(32).toString('base64');
  const running = await startService(gatewayService, {
    env: {
      ...env,
      KAFKA_CONSUMER_GROUP_PREFIX: TEST_GROUP_PREFIX,
      KAFKA_NEW_GROUPS_START_AT: TEST_GROUPS_START_AT,
      HTTP_PORT: '0',
      OPS_PORT: '0',
      MONGODB_DATABASE: uniqueName('gateway_test').replace(/-/g, '_'),
      KAFKA_TOPIC_PARTITIONS: '3',
      PHI_ENCRYPTION_KEYS: `t1:${key()}`,
      PHI_BLIND_INDEX_KEYS: `i1:${key()}`,
      WHATSAPP_APP_SECRETS: `rotated-new-secret,${APP_SECRET}`,
      WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN,
      WHATSAPP_ACCESS_TOKEN: ACCESS_TOKEN,
      MESSENGER_APP_SECRETS: MESSENGER_SECRET,
      MESSENGER_VERIFY_TOKEN: VERIFY_TOKEN,
      MESSENGER_PAGE_ACCESS_TOKEN: ACCESS_TOKEN,
      GATEWAY_ENDPOINTS: JSON.stringify([
        { channel: 'whatsapp', endpointId: '106540352242922', tenantId: tenants.spain, facilityId: 'madrid-central' },
        { channel: 'whatsapp', endpointId: '206540352242999', tenantId: tenants.germany, facilityId: 'berlin-mitte' },
        { channel: 'messenger', endpointId: 'PAGE_ID_551234', tenantId: tenants.spain, facilityId: 'madrid-central' },
      ]),
      // Loopback only: a test gateway must never reach for Meta's real hosts.
      WHATSAPP_GRAPH_BASE_URL: 'http://127.0.0.1:9',
      MESSENGER_GRAPH_BASE_URL: 'http://127.0.0.1:9',
      LOG_LEVEL: 'silent',
      ...overrides,
    },
    logger: createLogger({ service: 'gateway', level: 'silent' }),
    host: '127.0.0.1',
  });
  const baseUrl = `http://127.0.0.1:${running.httpPort ?? 0}`;
  return {
    running,
    baseUrl,
    tenants,
    post: async (channel, body, signature, headers = {}) => {
      const bytes = typeof body === 'string' ? Buffer.from(body) : body;
      const sig = signature === undefined ? signMetaPayload(bytes, channel === 'messenger' ? MESSENGER_SECRET : APP_SECRET) : signature;
      const res = await fetch(`${baseUrl}/webhooks/${channel}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(sig === null ? {} : { 'x-hub-signature-256': sig }), ...headers },
        body: bytes,
      });
      return { status: res.status, json: await res.json().catch(() => undefined) };
    },
    stop: () => running.stop(),
  };
}
