/**
 * Unit tests of the chart's templates: render with helm (offline) and assert on the objects.
 * Toggles, secrets, probes, autoscaling and NetworkPolicy.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHART_DIR, PRODUCTION_VALUES, chartTools, copyChart, removeChartCopies, helmTemplate, parseManifests } from './chart-check';
import type { K8sObject } from './pod-security';

jest.setTimeout(60_000);

const SERVICES = ['gateway', 'routing', 'scheduling', 'reminders', 'triage', 'crm-sync', 'analytics'];

// The shapes these tests read (the Kubernetes schemas check the rest).
interface EnvVar {
  name: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
}
interface Container {
  name: string;
  image: string;
  env: EnvVar[];
  envFrom: unknown[];
  startupProbe: Record<string, unknown>;
  readinessProbe: Record<string, unknown>;
  livenessProbe: Record<string, unknown>;
  securityContext: Record<string, unknown>;
  volumeMounts: unknown[];
  lifecycle?: unknown;
}
interface DeploymentSpec {
  replicas?: number;
  selector: { matchLabels: Record<string, string> };
  template: { spec: { containers: Container[]; serviceAccountName: string; terminationGracePeriodSeconds: number } };
}
interface Peer {
  podSelector?: { matchLabels: Record<string, string> };
  namespaceSelector?: unknown;
}
interface PolicyRule {
  from?: Peer[];
  to?: Peer[];
  ports: { port: number }[];
}
interface PolicySpec {
  ingress: PolicyRule[];
  egress: PolicyRule[];
}
interface Obj extends K8sObject {
  readonly spec?: unknown;
  readonly data?: Record<string, string>;
  readonly stringData?: Record<string, string>;
}

function render(set: string[] = [], valuesFiles: string[] = []): Obj[] {
  const r = helmTemplate({ set, valuesFiles });
  if (!r.ok) throw new Error(r.output);
  return parseManifests(r.output);
}
const ofKind = (objects: Obj[], kind: string) => objects.filter((o) => o.kind === kind);
const named = (objects: Obj[], kind: string, name: string): Obj => {
  const found = objects.find((o) => o.kind === kind && o.metadata?.name === name);
  if (!found) throw new Error(`no ${kind}/${name} in ${objects.map((o) => `${o.kind}/${o.metadata?.name}`).join(', ')}`);
  return found;
};
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- a typed view of a parsed manifest
const spec = <T>(o: Obj): T => o.spec as T;
const podSpec = (d: Obj) => spec<DeploymentSpec>(d).template.spec;
const container = (d: Obj): Container => {
  const c = podSpec(d).containers[0];
  if (!c) throw new Error(`${d.metadata?.name} has no container`);
  return c;
};
const envNames = (d: Obj): string[] => container(d).env.map((e) => e.name);
const secretRef = (d: Obj, env: string) => container(d).env.find((e) => e.name === env)?.valueFrom?.secretKeyRef;

let defaults: Obj[];
afterAll(() => {
  removeChartCopies();
});

beforeAll(() => {
  chartTools();
  defaults = render();
});

describe('one template set per service', () => {
  it('renders a Deployment, Service, ConfigMap, ServiceAccount and PDB for each of the seven services', () => {
    for (const kind of ['Deployment', 'Service', 'ConfigMap', 'ServiceAccount', 'PodDisruptionBudget']) {
      expect(ofKind(defaults, kind).map((o) => o.metadata?.name).sort()).toEqual(SERVICES.map((s) => `careloop-${s}`).sort());
    }
  });

  it('labels every object with the standard app.kubernetes.io labels', () => {
    for (const o of defaults) {
      const labels = (o.metadata as { labels?: Record<string, string> }).labels ?? {};
      expect(labels).toMatchObject({ 'app.kubernetes.io/name': 'careloop', 'app.kubernetes.io/instance': 'careloop', 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/part-of': 'careloop' });
    }
    expect(spec<DeploymentSpec>(named(defaults, 'Deployment', 'careloop-gateway')).selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'careloop',
      'app.kubernetes.io/instance': 'careloop',
      'app.kubernetes.io/component': 'gateway',
    });
  });

  it('drops every object of a disabled service', () => {
    const objects = render(['services.analytics.enabled=false']);
    expect(objects.filter((o) => o.metadata?.name === 'careloop-analytics')).toEqual([]);
    expect(ofKind(objects, 'Deployment')).toHaveLength(6);
  });

  it('refuses to disable a service another one calls over gRPC, naming both', () => {
    expect(() => render(['services.triage.enabled=false'])).toThrow('services.crm-sync.grpcClientOf lists triage, which is not enabled');
  });

  it('lets a service turn off what the defaults turn on (false overrides true)', () => {
    const objects = render(['services.reminders.pdb.enabled=false', 'services.reminders.serviceAccount.create=false']);
    expect(ofKind(objects, 'PodDisruptionBudget').map((o) => o.metadata?.name)).not.toContain('careloop-reminders');
    expect(ofKind(objects, 'ServiceAccount').map((o) => o.metadata?.name)).not.toContain('careloop-reminders');
    expect(podSpec(named(objects, 'Deployment', 'careloop-reminders')).serviceAccountName).toBe('default');
  });

  it('uses per-service image settings and pins a digest when given', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const objects = render(['image.registry=registry.example', `services.gateway.image.digest=${digest}`, 'image.tag=1.2.3']);
    expect(container(named(objects, 'Deployment', 'careloop-gateway')).image).toBe(`registry.example/careloop/gateway@${digest}`);
    expect(container(named(objects, 'Deployment', 'careloop-routing')).image).toBe('registry.example/careloop/routing:1.2.3');
  });
});

describe('values schema', () => {
  it('lets every service override every default (the two key lists stay in step)', () => {
    const schema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8')) as { $defs: Record<string, { properties: Record<string, unknown> }> };
    const serviceKeys = Object.keys(schema.$defs['service']?.properties ?? {});
    const defaultKeys = Object.keys(schema.$defs['serviceSettings']?.properties ?? {});
    expect(defaultKeys.length).toBeGreaterThan(10);
    expect(serviceKeys).toEqual(expect.arrayContaining(defaultKeys));
  });
});

describe('configuration and secrets', () => {
  it('puts the services’ non-secret env in their ConfigMap, with Strimzi owning topics', () => {
    const cm = named(defaults, 'ConfigMap', 'careloop-gateway').data ?? {};
    expect(cm).toMatchObject({
      NODE_ENV: 'production',
      OPS_PORT: '9090',
      HTTP_PORT: '8080',
      KAFKA_BROKERS: 'careloop-kafka-bootstrap.kafka.svc:9092',
      KAFKA_TOPIC_PROVISIONING: 'false',
      OTEL_SERVICE_NAME: 'gateway',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.observability.svc:4318',
    });
    expect(Object.keys(cm)).toContain('GATEWAY_ENDPOINTS');
    expect(Object.keys(cm).filter((k) => /SECRET|TOKEN|KEYS|URI|REDIS_URL/.test(k))).toEqual([]);
    expect(container(named(defaults, 'Deployment', 'careloop-gateway')).envFrom[0]).toEqual({ configMapRef: { name: 'careloop-gateway' } });
  });

  it('tells a gRPC client where its callees are', () => {
    expect(named(defaults, 'ConfigMap', 'careloop-reminders').data?.['SCHEDULING_GRPC_ADDRESS']).toBe('careloop-scheduling:50051');
    const objects = render(['services.routing.grpcClientOf={crm-sync}', 'services.crm-sync.ports.grpc=50999']);
    expect(named(objects, 'ConfigMap', 'careloop-routing').data?.['CRM_SYNC_GRPC_ADDRESS']).toBe('careloop-crm-sync:50999');
  });

  it('refuses a gRPC client of a service that is off or has no gRPC port', () => {
    const off = helmTemplate({ set: ['services.scheduling.enabled=false'] });
    expect(off.ok).toBe(false);
    expect(off.output).toContain('services.crm-sync.grpcClientOf lists scheduling, which is not enabled or has no ports.grpc');
    expect(helmTemplate({ set: ['services.routing.grpcClientOf={gateway}'] }).output).toContain('services.routing.grpcClientOf lists gateway');
  });

  it('disables the OTel SDK when no collector endpoint is set', () => {
    const cm = named(render(['observability.otlpEndpoint=']), 'ConfigMap', 'careloop-routing').data ?? {};
    expect(cm['OTEL_SDK_DISABLED']).toBe('true');
    expect(cm['OTEL_EXPORTER_OTLP_ENDPOINT']).toBeUndefined();
  });

  it('reads PHI keys, database URIs and Redis from existing Secrets, one MongoDB key per service', () => {
    for (const s of SERVICES) {
      const d = named(defaults, 'Deployment', `careloop-${s}`);
      expect(secretRef(d, 'PHI_ENCRYPTION_KEYS')).toEqual({ name: 'careloop-phi', key: 'PHI_ENCRYPTION_KEYS' });
      expect(secretRef(d, 'PHI_BLIND_INDEX_KEYS')).toEqual({ name: 'careloop-phi', key: 'PHI_BLIND_INDEX_KEYS' });
      expect(secretRef(d, 'MONGODB_URI')).toEqual({ name: 'careloop-mongodb', key: s });
    }
    // Redis only where the service uses it (triage and analytics do not).
    const withRedis = ofKind(defaults, 'Deployment').filter((d) => secretRef(d, 'REDIS_URL')).map((d) => d.metadata?.name?.replace('careloop-', ''));
    expect(withRedis.sort()).toEqual(['crm-sync', 'gateway', 'reminders', 'routing', 'scheduling']);
    expect(secretRef(named(defaults, 'Deployment', 'careloop-gateway'), 'REDIS_URL')).toEqual({ name: 'careloop-redis', key: 'REDIS_URL' });
    const withoutPhi = render(['services.analytics.needs.phi=false']);
    expect(envNames(named(withoutPhi, 'Deployment', 'careloop-analytics'))).not.toContain('PHI_ENCRYPTION_KEYS');
  });

  it('mounts Meta credentials into the gateway only', () => {
    const gateway = named(defaults, 'Deployment', 'careloop-gateway');
    expect(secretRef(gateway, 'WHATSAPP_APP_SECRETS')).toEqual({ name: 'careloop-meta', key: 'WHATSAPP_APP_SECRETS' });
    expect(secretRef(gateway, 'MESSENGER_APP_SECRETS')).toEqual({ name: 'careloop-meta', key: 'MESSENGER_APP_SECRETS', optional: true });
    for (const d of ofKind(defaults, 'Deployment').filter((x) => x.metadata?.name !== 'careloop-gateway')) {
      expect(envNames(d).filter((n) => n.startsWith('WHATSAPP_') || n.startsWith('MESSENGER_'))).toEqual([]);
    }
  });

  it('takes secret names from values (existingSecret) and a service’s own secret via envFrom', () => {
    const objects = render(['phi.existingSecret=vault-phi', 'mongodb.existingSecret=vault-mongo', 'meta.existingSecret=vault-meta']);
    const gateway = named(objects, 'Deployment', 'careloop-gateway');
    expect(secretRef(gateway, 'PHI_ENCRYPTION_KEYS')?.name).toBe('vault-phi');
    expect(secretRef(gateway, 'MONGODB_URI')?.name).toBe('vault-mongo');
    expect(secretRef(gateway, 'WHATSAPP_ACCESS_TOKEN')?.name).toBe('vault-meta');
    expect(container(named(objects, 'Deployment', 'careloop-routing')).envFrom[1]).toEqual({ secretRef: { name: 'careloop-routing' } });
  });

  it('renders no Secret unless secrets.create, and then only the listed ones', () => {
    expect(ofKind(defaults, 'Secret')).toEqual([]);
    const objects = render(['secrets.create=true', 'secrets.values.careloop-redis.REDIS_URL=redis://demo:6379']);
    expect(ofKind(objects, 'Secret').map((s) => [s.metadata?.name, s.stringData])).toEqual([['careloop-redis', { REDIS_URL: 'redis://demo:6379' }]]);
  });
});

describe('probes and pod settings', () => {
  it('gives every container startup, readiness and liveness probes on the ops port', () => {
    for (const d of ofKind(defaults, 'Deployment')) {
      const c = container(d);
      expect(c.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'ops' });
      expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'ops' });
      expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'ops' });
    }
  });

  it('uses native gRPC probes for readiness and startup when asked, keeping liveness on /healthz', () => {
    const c = container(named(render(['services.scheduling.probes.type=grpc']), 'Deployment', 'careloop-scheduling'));
    expect(c.readinessProbe.grpc).toEqual({ port: 50051 });
    expect(c.startupProbe.grpc).toEqual({ port: 50051 });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'ops' });
  });

  it('refuses gRPC probes on a service without a gRPC port', () => {
    const r = helmTemplate({ set: ['services.gateway.probes.type=grpc'] });
    expect(r.ok).toBe(false);
    expect(r.output).toContain('services.gateway: probes.type grpc needs ports.grpc');
  });

  it('gives the pod longer to stop than the service’s own shutdown timeout', () => {
    for (const d of ofKind(defaults, 'Deployment')) {
      const cm = named(defaults, 'ConfigMap', d.metadata?.name ?? '').data ?? {};
      expect(podSpec(d).terminationGracePeriodSeconds * 1000).toBeGreaterThan(Number(cm['SHUTDOWN_TIMEOUT_MS']));
    }
  });

  it('keeps serving briefly before SIGTERM, and refuses a grace period too short for the shutdown', () => {
    expect(container(named(defaults, 'Deployment', 'careloop-gateway')).lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
    expect(container(named(render(['services.triage.preStopSleepSeconds=0']), 'Deployment', 'careloop-triage')).lifecycle).toBeUndefined();
    const r = helmTemplate({ set: ['services.routing.terminationGracePeriodSeconds=20'] });
    expect(r.ok).toBe(false);
    expect(r.output).toContain('services.routing: terminationGracePeriodSeconds (20) must exceed preStopSleepSeconds plus shutdownTimeoutMs');
  });

  it('mounts a writable /tmp on a read-only root filesystem', () => {
    const d = named(defaults, 'Deployment', 'careloop-routing');
    expect(container(d).securityContext.readOnlyRootFilesystem).toBe(true);
    expect(container(d).volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
  });
});

describe('autoscaling', () => {
  it('gives each deployment at most one autoscaler, and no fixed replicas when one scales it', () => {
    const scaled = [...ofKind(defaults, 'HorizontalPodAutoscaler'), ...ofKind(defaults, 'ScaledObject')].map((o) => o.metadata?.name);
    expect(new Set(scaled).size).toBe(scaled.length);
    for (const d of ofKind(defaults, 'Deployment')) {
      expect(spec<DeploymentSpec>(d).replicas === undefined).toBe(scaled.includes(d.metadata?.name));
    }
    expect(spec<DeploymentSpec>(named(defaults, 'Deployment', 'careloop-crm-sync')).replicas).toBe(2);
  });

  it('scales on Kafka consumer lag with KEDA for the consumers, on CPU with an HPA for the gateway', () => {
    expect(ofKind(defaults, 'HorizontalPodAutoscaler').map((o) => o.metadata?.name)).toEqual(['careloop-gateway']);
    const routing = spec<{ triggers: unknown[]; scaleTargetRef: unknown }>(named(defaults, 'ScaledObject', 'careloop-routing'));
    expect(routing.triggers).toEqual([
      {
        type: 'kafka',
        metadata: { bootstrapServers: 'careloop-kafka-bootstrap.kafka.svc:9092', consumerGroup: 'routing.turns', topic: 'messaging.inbound-message.v1', lagThreshold: '200', activationLagThreshold: '0', offsetResetPolicy: 'latest' },
      },
    ]);
    expect(routing.scaleTargetRef).toEqual({ name: 'careloop-routing' });
  });

  it('switches a service from KEDA to an HPA without leaving both', () => {
    const objects = render(['services.routing.autoscaling.mode=hpa']);
    expect(ofKind(objects, 'ScaledObject').map((o) => o.metadata?.name)).not.toContain('careloop-routing');
    expect(ofKind(objects, 'HorizontalPodAutoscaler').map((o) => o.metadata?.name)).toContain('careloop-routing');
  });

  it('rejects an autoscaling mode that is neither none, hpa nor keda (both at once is not expressible)', () => {
    const r = helmTemplate({ set: ['services.routing.autoscaling.mode=both'] });
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/autoscaling\/mode/);
  });
});

describe('NetworkPolicy', () => {
  const policy = (objects: Obj[], service: string) => spec<PolicySpec>(named(objects, 'NetworkPolicy', `careloop-${service}`));
  const egressPorts = (p: PolicySpec): number[] => p.egress.flatMap((r) => r.ports.map((x) => x.port));
  const component = (peer: Peer | undefined) => peer?.podSelector?.matchLabels['app.kubernetes.io/component'];

  it('denies everything by default for the release’s pods', () => {
    const deny = named(defaults, 'NetworkPolicy', 'careloop-default-deny').spec;
    expect(deny).toEqual({ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'careloop', 'app.kubernetes.io/instance': 'careloop' } }, policyTypes: ['Ingress', 'Egress'] });
  });

  it('allows DNS and the declared stores to every service', () => {
    for (const s of SERVICES) {
      const ports = egressPorts(policy(defaults, s));
      expect(ports).toEqual(expect.arrayContaining([53, 9092, 27017, 4318]));
    }
    expect(egressPorts(policy(defaults, 'analytics'))).not.toContain(6379);
  });

  it('allows egress to Meta’s API (443) from the gateway only', () => {
    expect(egressPorts(policy(defaults, 'gateway'))).toContain(443);
    for (const s of SERVICES.filter((x) => x !== 'gateway')) expect(egressPorts(policy(defaults, s))).not.toContain(443);
  });

  it('allows gRPC only between declared callers and callees', () => {
    const scheduling = policy(defaults, 'scheduling');
    const grpcIngress = scheduling.ingress.find((r) => r.ports[0]?.port === 50051);
    expect((grpcIngress?.from ?? []).map(component).sort()).toEqual(['crm-sync', 'reminders']);
    const inCluster = (service: string) => policy(defaults, service).egress.filter((r) => r.to?.[0]?.podSelector && !r.to[0].namespaceSelector);
    expect(inCluster('reminders').map((r) => [component(r.to?.[0]), r.ports[0]?.port])).toEqual([['scheduling', 50051]]);
    expect(inCluster('crm-sync').map((r) => [component(r.to?.[0]), r.ports[0]?.port])).toEqual([
      ['scheduling', 50051],
      ['triage', 50051],
    ]);
    expect(inCluster('routing').map((r) => [component(r.to?.[0]), r.ports[0]?.port])).toEqual([['crm-sync', 50051]]);
    // analytics serves gRPC but nobody declared calling it: no gRPC ingress at all.
    expect(policy(defaults, 'analytics').ingress.map((r) => r.ports[0]?.port)).toEqual([9090]);
    // Declaring a new caller opens both ends.
    const objects = render(['services.routing.grpcClientOf={scheduling,crm-sync}']);
    const callers = (service: string) => (spec<PolicySpec>(named(objects, 'NetworkPolicy', `careloop-${service}`)).ingress.find((r) => r.ports[0]?.port === 50051)?.from ?? []).map(component).sort();
    expect(callers('scheduling')).toEqual(['crm-sync', 'reminders', 'routing']);
    expect(callers('crm-sync')).toEqual(['routing']);
  });

  it('lets the ingress controller reach a service only when it has an Ingress', () => {
    const ingressPorts = (objects: Obj[]) => policy(objects, 'gateway').ingress.map((r) => r.ports[0]?.port);
    expect(ingressPorts(defaults)).toEqual([9090]);
    expect(ingressPorts(render(['services.gateway.ingress.enabled=true']))).toEqual([9090, 8080]);
  });

  it('renders no policy when turned off', () => {
    expect(ofKind(render(['networkPolicy.enabled=false']), 'NetworkPolicy')).toEqual([]);
  });
});

describe('optional objects', () => {
  it('renders ServiceMonitors, Ingresses, KafkaTopics and the dashboard only when enabled', () => {
    for (const kind of ['ServiceMonitor', 'Ingress', 'KafkaTopic']) expect(ofKind(defaults, kind)).toEqual([]);
    expect(defaults.filter((o) => o.metadata?.name === 'careloop-dashboard')).toEqual([]);
    const prod = render([], [PRODUCTION_VALUES]);
    expect(ofKind(prod, 'ServiceMonitor')).toHaveLength(7);
    expect(ofKind(prod, 'Ingress').map((o) => o.metadata?.name).sort()).toEqual(['careloop-analytics', 'careloop-gateway', 'careloop-routing', 'careloop-scheduling']);
    expect(spec<{ endpoints: unknown[] }>(named(prod, 'ServiceMonitor', 'careloop-gateway')).endpoints).toEqual([{ port: 'ops', path: '/metrics', interval: '30s' }]);
  });

  it('renders one KafkaTopic per registry topic and dead-letter topic', () => {
    const registry = JSON.parse(readFileSync(join(CHART_DIR, 'files', 'topics.json'), 'utf8')) as { name: string; partitions: number; retentionMs: string }[];
    const topics = ofKind(render(['kafka.topics.create=true']), 'KafkaTopic');
    const topicSpec = (t: Obj) => spec<{ topicName: string; partitions: number; config: Record<string, string> }>(t);
    expect(topics.map((t) => ({ name: topicSpec(t).topicName, partitions: topicSpec(t).partitions, retentionMs: topicSpec(t).config['retention.ms'] }))).toEqual(registry);
    expect(topics.every((t) => (t.metadata as { labels: Record<string, string> }).labels['strimzi.io/cluster'] === 'careloop')).toBe(true);
  });

  it('ships the Grafana dashboard JSON in a ConfigMap', () => {
    const cm = named(render(['observability.grafanaDashboard.enabled=true']), 'ConfigMap', 'careloop-dashboard');
    const dashboard = JSON.parse(cm.data?.['careloop-operations.json'] ?? '{}') as { title: string; panels: unknown[] };
    expect(dashboard.title).toBe('Careloop operations');
    expect(dashboard.panels.length).toBeGreaterThan(5);
  });

  it('prints the Secrets the install needs in NOTES.txt', () => {
    // helm renders NOTES.txt only on install, which needs a cluster: render it as a ConfigMap of a chart copy.
    const chartDir = copyChart((dir) =>
      writeFileSync(join(dir, 'templates', 'notes-probe.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: notes }\ndata:\n  notes: |\n    {{- include "careloop/templates/NOTES.txt" . | nindent 4 }}\n'),
    );
    const r = helmTemplate({ chartDir, set: ['services.scheduling.existingSecret=vault-scheduling'] });
    expect(r.ok).toBe(true);
    const probe: Obj | undefined = parseManifests(r.output).find((o) => o.metadata?.name === 'notes');
    const notes = probe?.data?.['notes'] ?? '';
    for (const line of [
      'careloop-phi: PHI_ENCRYPTION_KEYS, PHI_BLIND_INDEX_KEYS',
      'careloop-mongodb: one MongoDB URI per service, key = service name',
      'careloop-meta: WHATSAPP_APP_SECRETS, WHATSAPP_VERIFY_TOKEN, WHATSAPP_ACCESS_TOKEN',
      "vault-scheduling: the scheduling service's own secrets",
      'gateway: careloop-gateway (ops 9090, http 8080; autoscaling hpa)',
    ]) {
      expect(notes).toContain(line);
    }
  });
});
