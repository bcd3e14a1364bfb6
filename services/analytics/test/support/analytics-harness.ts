import { randomBytes } from 'node:crypto';
import { KafkaEventBus } from '@careloop/bus';
import { createLogger } from '@careloop/observability';
import { startService, type RunningService } from '@careloop/service-kit';
import { infraEnv, uniqueName, TEST_GROUP_PREFIX, TEST_GROUPS_START_AT } from '@careloop/testing';
import { analyticsService } from '../../src/service';
import type { AnalyticsSettings } from '../../src/config';
import { issueStaffToken, type StaffRole } from '../../src/adapters/http/staff-auth';

export const JWT_SECRET = 'analytics-test-jwt-secret-0123456789';

export interface AnalyticsUnderTest {
  readonly running: RunningService<AnalyticsSettings>;
  readonly tenantId: string;
  readonly baseUrl: string;
  readonly bus: KafkaEventBus;
  token(role: StaffRole, tenantId?: string, id?: string): string;
  get(path: string, token: string): Promise<{ status: number; json: Record<string, unknown>; text: string }>;
  stop(): Promise<void>;
}

/** analytics as its own process would run, on the real local Kafka and FerretDB, bound to free ports. */
export async function startAnalytics(overrides: Record<string, string> = {}): Promise<AnalyticsUnderTest> {
  const env = infraEnv();
  const key = () => randomBytes(32).toString('base64');
  const tenantId = uniqueName('network');
  const running = await startService(analyticsService, {
    env: {
      ...env,
      KAFKA_CONSUMER_GROUP_PREFIX: TEST_GROUP_PREFIX,
      KAFKA_NEW_GROUPS_START_AT: TEST_GROUPS_START_AT,
      HTTP_PORT: '0',
      OPS_PORT: '0',
      GRPC_PORT: '0',
      MONGODB_DATABASE: uniqueName('analytics_test').replace(/-/g, '_'),
      KAFKA_TOPIC_PARTITIONS: '3',
      PHI_ENCRYPTION_KEYS: `t1:${key()}`,
      PHI_BLIND_INDEX_KEYS: `i1:${key()}`,
      AGENT_JWT_SECRET: JWT_SECRET,
      SURVEY_DELAY_SECONDS: '1',
      SURVEY_SWEEP_MS: '500',
      // Quiet hours off: the test must not depend on the hour it runs at.
      SURVEY_QUIET_HOURS_START: '0',
      SURVEY_QUIET_HOURS_END: '0',
      LOG_LEVEL: 'silent',
      ...overrides,
    },
    logger: createLogger({ service: 'analytics', level: process.env['ANALYTICS_TEST_LOG_LEVEL'] ?? 'silent' }),
    host: '127.0.0.1',
  });
  const bus = new KafkaEventBus({ brokers: env.KAFKA_BROKERS.split(','), service: 'platform-double' });
  await bus.connect();
  const baseUrl = `http://127.0.0.1:${running.httpPort ?? 0}`;
  return {
    running,
    tenantId,
    baseUrl,
    bus,
    token: (role, tenant = tenantId, id = `${role}-1`) => issueStaffToken(JWT_SECRET, { id, tenantId: tenant, role }),
    get: async (path, token) => {
      const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
      const text = await res.text();
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // CSV / NDJSON
      }
      return { status: res.status, json, text };
    },
    stop: async () => {
      await bus.close();
      await running.stop();
      await running.context.mongo?.dropDatabase().catch(() => undefined);
    },
  };
}
