/**
 * The example manifests under deploy/ (Strimzi, MongoDB operator, Redis, OTel collector, Secrets,
 * dev values) and skaffold.yaml, validated offline:
 * - core kinds against the Kubernetes schemas, KafkaTopic against the chart's CRD schema;
 * - operator kinds whose CRD schemas ship only with the operators (Strimzi Kafka/KafkaNodePool,
 *   MongoDBCommunity, OpenTelemetryCollector) are skipped by kubeconform and checked here for
 *   the fields Careloop relies on;
 * - skaffold.yaml against skaffold's own published JSON schema (v4beta13), and its image
 *   injection against the chart.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { CHART_DIR, chartTools, checkChart, kubeconform, repoRoot } from './chart-check';
import { checkRestricted, type K8sObject } from './pod-security';

jest.setTimeout(60_000);

const SERVICES = ['gateway', 'routing', 'scheduling', 'reminders', 'triage', 'crm-sync', 'analytics'];
/** Kinds whose schema is in the operator's CRD only (not obtainable offline): see the file comment. */
const OPERATOR_KINDS = ['Kafka', 'KafkaNodePool', 'MongoDBCommunity', 'OpenTelemetryCollector'];

const manifestFiles = ['strimzi', 'mongodb', 'redis', 'otel', 'k8s'].flatMap((dir) =>
  readdirSync(join(repoRoot, 'deploy', dir))
    .filter((f) => f.endsWith('.yaml') && !f.startsWith('values-'))
    .map((f) => join(repoRoot, 'deploy', dir, f)),
);
const docs = (file: string): K8sObject[] => parseAllDocuments(readFileSync(file, 'utf8')).flatMap((d) => (d.toJS() as K8sObject | null) ?? []);
const all = manifestFiles.flatMap(docs);
const find = (kind: string) => all.filter((o) => o.kind === kind);

beforeAll(() => {
  chartTools();
});

describe('deploy/ example manifests', () => {
  it('cover Strimzi, MongoDB, Redis, the collector and the Secrets', () => {
    for (const kind of ['Kafka', 'KafkaNodePool', 'KafkaTopic', 'MongoDBCommunity', 'StatefulSet', 'OpenTelemetryCollector', 'Secret']) expect(find(kind).length).toBeGreaterThan(0);
  });

  it.each(manifestFiles.map((f) => [f.slice(repoRoot.length + 1), f]))('%s validates against the schemas', (_name, file) => {
    const r = kubeconform(readFileSync(file, 'utf8'), { skipKinds: OPERATOR_KINDS });
    expect(r.output).toMatch(/Invalid: 0, Errors: 0/);
    expect(r.ok).toBe(true);
  });

  it('runs Redis as a "restricted" pod with probes (no Bitnami image)', () => {
    expect(checkRestricted(all)).toEqual([]);
    const redis = find('StatefulSet')[0] as { spec: { template: { spec: { containers: { image: string; livenessProbe?: unknown; readinessProbe?: unknown }[] } } } };
    const c = redis.spec.template.spec.containers[0];
    expect(c?.image).toMatch(/^redis:7\./);
    expect(c?.readinessProbe && c.livenessProbe).toBeTruthy();
    expect(JSON.stringify(all)).not.toMatch(/bitnami/i);
  });

  it('runs Kafka in KRaft mode with node pools, three replicas and the Topic Operator', () => {
    const kafka = find('Kafka')[0] as { metadata: { name: string; annotations: Record<string, string> }; spec: { kafka: { config: Record<string, unknown> }; entityOperator: { topicOperator?: unknown }; kafkaExporter?: unknown } };
    expect(kafka.metadata.annotations).toMatchObject({ 'strimzi.io/node-pools': 'enabled', 'strimzi.io/kraft': 'enabled' });
    expect(kafka.spec.kafka.config).toMatchObject({ 'auto.create.topics.enable': false, 'min.insync.replicas': 2, 'default.replication.factor': 3 });
    expect(kafka.spec.entityOperator.topicOperator).toBeDefined();
    expect(kafka.spec.kafkaExporter).toBeDefined();
    const pool = find('KafkaNodePool')[0] as { metadata: { labels: Record<string, string> }; spec: { replicas: number; roles: string[] } };
    expect(pool.metadata.labels['strimzi.io/cluster']).toBe(kafka.metadata.name);
    expect(pool.spec.replicas).toBeGreaterThanOrEqual(3);
    const topics = find('KafkaTopic') as { metadata: { labels: Record<string, string> } }[];
    expect(topics.every((t) => t.metadata.labels['strimzi.io/cluster'] === kafka.metadata.name)).toBe(true);
  });

  it('gives every service its own MongoDB user with readWrite on its own database only', () => {
    const mongo = find('MongoDBCommunity')[0] as { spec: { users: { name: string; roles: { name: string; db: string }[] }[] } };
    expect(mongo.spec.users.map((u) => u.name).sort()).toEqual([...SERVICES].sort());
    for (const u of mongo.spec.users) expect(u.roles).toEqual([{ name: 'readWrite', db: `careloop_${u.name.replace(/-/g, '_')}` }]);
  });

  it('lists a key for every service in the example MongoDB Secret, and the keys the chart reads', () => {
    const secrets = new Map(find('Secret').map((s) => [s.metadata?.name, Object.keys((s as { stringData?: Record<string, string> }).stringData ?? {})]));
    expect(secrets.get('careloop-mongodb')?.sort()).toEqual([...SERVICES].sort());
    expect(secrets.get('careloop-phi')).toEqual(['PHI_ENCRYPTION_KEYS', 'PHI_BLIND_INDEX_KEYS']);
    expect(secrets.get('careloop-meta')).toEqual(['WHATSAPP_APP_SECRETS', 'WHATSAPP_VERIFY_TOKEN', 'WHATSAPP_ACCESS_TOKEN']);
    expect(secrets.get('careloop-redis')).toEqual(['REDIS_URL']);
    // Staff JWTs: routing's inbox, analytics' reports, crm-sync's audit API.
    for (const name of ['careloop-routing', 'careloop-analytics', 'careloop-crm-sync']) expect({ name, keys: secrets.get(name) }).toEqual({ name, keys: ['AGENT_JWT_SECRET'] });
  });

  it('receives OTLP on 4318 and exports traces and metrics from the collector', () => {
    const collector = find('OpenTelemetryCollector')[0] as { spec: { config: { receivers: { otlp: { protocols: { http: { endpoint: string } } } }; service: { pipelines: Record<string, { receivers: string[]; exporters: string[] }> } } } };
    expect(collector.spec.config.receivers.otlp.protocols.http.endpoint).toBe('0.0.0.0:4318');
    expect(Object.keys(collector.spec.config.service.pipelines).sort()).toEqual(['metrics', 'traces']);
    for (const p of Object.values(collector.spec.config.service.pipelines)) expect(p.receivers).toEqual(['otlp']);
    const values = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as { observability: { otlpEndpoint: string } };
    expect(values.observability.otlpEndpoint).toBe('http://otel-collector.observability.svc:4318');
  });

  it('the dev values pass the chart gate', () => {
    const report = checkChart({ valuesFiles: [join(repoRoot, 'deploy', 'k8s', 'values-dev.yaml')] });
    expect(report.failures).toEqual([]);
  });
});

interface SkaffoldConfig {
  apiVersion: string;
  build: { artifacts: { image: string; context: string; docker: { dockerfile: string; buildArgs: Record<string, string> } }[] };
  deploy: { helm: { releases: { chartPath: string; setValues: Record<string, string>; setValueTemplates: Record<string, string> }[] } };
  profiles: { name: string; patches?: { path: string; value: unknown }[] }[];
}

describe('skaffold.yaml', () => {
  const text = readFileSync(join(repoRoot, 'skaffold.yaml'), 'utf8');
  const config = parse(text) as SkaffoldConfig;

  it('validates against skaffold’s published schema (current: skaffold/v4beta13)', () => {
    expect(config.apiVersion).toBe('skaffold/v4beta13');
    const r = kubeconform(text, { extraSchemaDirs: [chartTools().skaffoldSchemas] });
    expect(r.output).toMatch(/Valid: 1, Invalid: 0, Errors: 0/);
  });

  it('and the schema check is live: a misspelt field fails', () => {
    const r = kubeconform(text.replace('useBuildkit', 'useBuildKitt'), { extraSchemaDirs: [chartTools().skaffoldSchemas] });
    expect(r.ok).toBe(false);
    expect(r.output).toContain("additional properties 'useBuildKitt' not allowed");
  });

  it('builds one artifact per service from the one Dockerfile', () => {
    expect(config.build.artifacts.map((a) => a.image)).toEqual(SERVICES.map((s) => `careloop/${s}`));
    for (const a of config.build.artifacts) {
      expect(a).toMatchObject({ context: '.', docker: { dockerfile: 'Dockerfile', buildArgs: { SERVICE: a.image.replace('careloop/', '') } } });
    }
  });

  it('injects every built image into the chart, and the chart renders with them', () => {
    const release = config.deploy.helm.releases[0];
    expect(release?.chartPath).toBe('charts/careloop');
    const sample = (template: string) => template.replace(/\{\{\.IMAGE_REPO_([a-z_]+)\}\}/g, 'registry.example/$1').replace(/\{\{\.IMAGE_TAG_[a-z_]+\}\}/g, 'abc123').replace(/\{\{\.IMAGE_DIGEST_[a-z_]+\}\}/g, `sha256:${'b'.repeat(64)}`);
    const set = [...Object.entries(release?.setValues ?? {}), ...Object.entries(release?.setValueTemplates ?? {}).map(([k, v]) => [k, sample(v)] as const)].map(([k, v]) => `${k}=${v}`);
    for (const s of SERVICES) {
      expect(release?.setValueTemplates[`services.${s}.image.repository`]).toBe(`{{.IMAGE_REPO_careloop_${s.replace(/-/g, '_')}}}`);
    }
    const report = checkChart({ set });
    expect(report.failures).toEqual([]);
    const images = report.objects.filter((o) => o.kind === 'Deployment').map((d) => (d.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]?.image);
    expect(images).toContain(`registry.example/careloop_gateway:abc123@sha256:${'b'.repeat(64)}`);
  });

  it('has a dev and a production-like profile whose values files exist and pass the gate', () => {
    expect(config.profiles.map((p) => p.name)).toEqual(['dev', 'production']);
    for (const p of config.profiles) {
      const files = (p.patches ?? []).filter((x) => x.path.endsWith('/valuesFiles')).flatMap((x) => x.value as string[]);
      expect(files.length).toBe(1);
      expect(checkChart({ valuesFiles: files.map((f) => join(repoRoot, f)) }).failures).toEqual([]);
    }
  });
});
