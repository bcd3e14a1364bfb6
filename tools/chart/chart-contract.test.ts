/**
 * The chart against the code it deploys: every env var the chart sets is a setting some service
 * reads, every KEDA consumer group and topic exists, and every service's ports come from values.
 * Services not written yet (their directory is missing) are skipped, and say so.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CHART_DIR, PRODUCTION_VALUES, chartTools, helmTemplate, parseManifests, repoRoot } from './chart-check';

jest.setTimeout(60_000);

interface ServiceValues {
  config: Record<string, string>;
  kedaConsumerGroups: { group: string; topic: string }[];
  grpcClientOf: string[];
}
const values = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as { services: Record<string, ServiceValues> };
const registryTopics = new Set((JSON.parse(readFileSync(join(CHART_DIR, 'files', 'topics.json'), 'utf8')) as { name: string }[]).map((t) => t.name));

function sources(dir: string): string {
  if (!existsSync(dir)) return '';
  return readdirSync(dir)
    .map((entry) => {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) return sources(path);
      return path.endsWith('.ts') ? readFileSync(path, 'utf8') : '';
    })
    .join('\n');
}

const serviceSource = (name: string) => sources(join(repoRoot, 'services', name, 'src'));
const existing = Object.keys(values.services).filter((s) => existsSync(join(repoRoot, 'services', s, 'src', 'main.ts')));
/** Settings every service reads: the service kit's base settings and the OTel preload. */
const kitSource = [sources(join(repoRoot, 'libs', 'service-kit', 'src')), sources(join(repoRoot, 'libs', 'observability', 'src'))].join('\n');

let configMaps: Map<string, Record<string, string>>;
beforeAll(() => {
  chartTools();
  const r = helmTemplate({ valuesFiles: [PRODUCTION_VALUES] });
  if (!r.ok) throw new Error(r.output);
  const objects = parseManifests(r.output) as { kind?: string; metadata?: { name?: string }; data?: Record<string, string> }[];
  configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata?.name ?? '', o.data ?? {}]));
});

describe('chart and code agree', () => {
  it('knows which services exist today', () => {
    expect(existing).toEqual(expect.arrayContaining(['gateway', 'routing']));
  });

  it.each(existing)('%s: every env var in its ConfigMap is a setting the code reads', (service) => {
    const cm = configMaps.get(`careloop-${service}`);
    expect(cm).toBeDefined();
    const own = serviceSource(service);
    // Read by Node itself or by the container image, not by a settings schema.
    const runtime = new Set(['NODE_ENV', 'OTEL_RESOURCE_ATTRIBUTES']);
    const unknown = Object.keys(cm ?? {}).filter((key) => !runtime.has(key) && !own.includes(key) && !kitSource.includes(key));
    expect(unknown).toEqual([]);
  });

  it.each(existing)('%s: its KEDA consumer groups are ones it runs, on registry topics', (service) => {
    const own = serviceSource(service);
    for (const { group, topic } of values.services[service]?.kedaConsumerGroups ?? []) {
      expect({ group, inCode: own.includes(`group: '${group}'`) }).toEqual({ group, inCode: true });
      expect({ topic, registered: registryTopics.has(topic) }).toEqual({ topic, registered: true });
    }
  });

  it.each(existing)('%s: the gRPC addresses the chart sets are settings it reads', (service) => {
    const own = serviceSource(service);
    for (const target of values.services[service]?.grpcClientOf ?? []) {
      const setting = `${target.toUpperCase().replace(/-/g, '_')}_GRPC_ADDRESS`;
      expect({ setting, inCode: own.includes(setting) }).toEqual({ setting, inCode: true });
    }
  });

  it('reads the ports and secrets the chart wires from the service kit', () => {
    for (const setting of ['OPS_PORT', 'HTTP_PORT', 'GRPC_PORT', 'SHUTDOWN_TIMEOUT_MS', 'KAFKA_BROKERS', 'KAFKA_TOPIC_PROVISIONING', 'KAFKA_REPLICATION_FACTOR', 'MONGODB_URI', 'REDIS_URL', 'PHI_ENCRYPTION_KEYS', 'PHI_BLIND_INDEX_KEYS', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_SERVICE_NAME', 'OTEL_SDK_DISABLED', 'PROTO_ROOT']) {
      expect({ setting, inKit: kitSource.includes(setting) }).toEqual({ setting, inKit: true });
    }
    expect(serviceSource('gateway')).toContain('WHATSAPP_APP_SECRETS');
    expect(serviceSource('routing')).toContain('AGENT_JWT_SECRET');
    expect(serviceSource('analytics')).toContain('AGENT_JWT_SECRET');
    expect(serviceSource('crm-sync')).toContain('AGENT_JWT_SECRET');
  });
});
