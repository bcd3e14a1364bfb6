/**
 * The chart's CI gate (chart-check.ts): it passes on the real chart with default and
 * production-like values, and fails — naming the cause — on each kind of broken input:
 * a broken template, an unknown values key, a pod that is not "restricted", a missing probe,
 * and a manifest the Kubernetes schemas reject.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRODUCTION_VALUES, chartTools, checkChart, copyChart, removeChartCopies, kubeconform } from './chart-check';

jest.setTimeout(60_000);

const SERVICES = ['gateway', 'routing', 'scheduling', 'reminders', 'triage', 'crm-sync', 'analytics'];

function valuesFile(name: string, yaml: string): string {
  const path = join(tmpdir(), `careloop-${name}-${process.pid}.yaml`);
  writeFileSync(path, yaml);
  return path;
}

function editTemplate(file: string, edit: (text: string) => string): string {
  return copyChart((dir) => {
    const path = join(dir, 'templates', file);
    const before = readFileSync(path, 'utf8');
    const after = edit(before);
    if (after === before) throw new Error(`the edit of ${file} changed nothing: the test would prove nothing`);
    writeFileSync(path, after);
  });
}

afterAll(() => {
  removeChartCopies();
});

beforeAll(() => {
  chartTools();
});

describe('the chart passes the gate', () => {
  it('with default values', () => {
    const report = checkChart();
    expect(report.failures).toEqual([]);
    expect(report.objects.filter((o) => o.kind === 'Deployment')).toHaveLength(7);
  });

  it('with production-like values: all seven services validate against the Kubernetes schemas', () => {
    const report = checkChart({ valuesFiles: [PRODUCTION_VALUES] });
    expect(report.failures).toEqual([]);
    const deployments = report.objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata?.name);
    expect(deployments.sort()).toEqual(SERVICES.map((s) => `careloop-${s}`).sort());
    const kinds = new Set(report.objects.map((o) => o.kind));
    for (const kind of ['Deployment', 'Service', 'ConfigMap', 'ServiceAccount', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'ScaledObject', 'NetworkPolicy', 'Ingress', 'ServiceMonitor', 'KafkaTopic']) {
      expect(kinds).toContain(kind);
    }
  });
});

describe('the gate fails on broken input', () => {
  it('a broken template', () => {
    const chartDir = editTemplate('service.yaml', (t) => t.replace('{{- range $name, $svc := $services }}', '{{- range $name, $svc := $services }}{{ if }}'));
    const report = checkChart({ chartDir });
    expect(report.ok).toBe(false);
    expect(report.failures.join('\n')).toMatch(/helm lint: [\s\S]*templates\/service\.yaml/);
  });

  it('a template that references a value that does not exist (strict lint)', () => {
    const chartDir = editTemplate('service.yaml', (t) => t.replace('type: ClusterIP', 'type: {{ $.Values.serviceType.default }}'));
    const report = checkChart({ chartDir });
    expect(report.ok).toBe(false);
    expect(report.failures[0]).toMatch(/helm lint:[\s\S]*nil pointer evaluating interface \{\}\.default/);
  });

  it('an unknown values key, at the top level and inside a service', () => {
    for (const [yaml, key] of [
      ['replicaCount: 3\n', 'replicaCount'],
      ['services:\n  gateway:\n    replicaz: 3\n', 'replicaz'],
      ['defaults:\n  probes:\n    livenes: { periodSeconds: 5 }\n', 'livenes'],
      ['services:\n  paymnets:\n    enabled: true\n', 'paymnets'],
    ] as const) {
      const report = checkChart({ valuesFiles: [valuesFile('unknown-key', yaml)] });
      expect(report.ok).toBe(false);
      expect(report.failures.join('\n')).toMatch(new RegExp(`additional properties '${key}' not allowed`));
    }
  });

  it('a pod that is not "restricted"-compliant', () => {
    const report = checkChart({ valuesFiles: [valuesFile('not-restricted', 'services:\n  triage:\n    securityContext:\n      allowPrivilegeEscalation: true\n      capabilities: { drop: [] }\n')] });
    expect(report.ok).toBe(false);
    expect(report.failures).toEqual([
      'pod security (restricted): Deployment/careloop-triage container triage: privilege escalation: securityContext.allowPrivilegeEscalation must be false',
      'pod security (restricted): Deployment/careloop-triage container triage: capabilities: capabilities.drop must include ALL',
    ]);
  });

  it('a pod that runs as root', () => {
    const report = checkChart({ valuesFiles: [valuesFile('root', 'defaults:\n  podSecurityContext:\n    runAsNonRoot: false\n    runAsUser: 0\n    seccompProfile: { type: RuntimeDefault }\n')] });
    expect(report.ok).toBe(false);
    const podRules = report.failures.filter((f) => f.startsWith('pod security'));
    // Every service: the pod runs as uid 0; containers still say runAsNonRoot themselves.
    expect(podRules.filter((f) => f.includes('runAsUser must not be 0'))).toHaveLength(7);
  });

  it('a missing probe', () => {
    const chartDir = editTemplate('deployment.yaml', (t) => t.replace(/ {10}livenessProbe:\n(?: {12}.*\n)+/, ''));
    const report = checkChart({ chartDir });
    expect(report.ok).toBe(false);
    expect(report.failures.filter((f) => f.startsWith('probes:')).sort()).toEqual(SERVICES.map((s) => `probes: Deployment/careloop-${s} container ${s} has no livenessProbe`).sort());
  });

  it('a manifest the Kubernetes schemas reject', () => {
    const chartDir = editTemplate('deployment.yaml', (t) => t.replace('revisionHistoryLimit: 5', 'revisionHistoryLimit: 5\n  minReadySecond: 10'));
    const report = checkChart({ chartDir });
    expect(report.ok).toBe(false);
    expect(report.failures.join('\n')).toMatch(/kubeconform:[\s\S]*additional properties 'minReadySecond' not allowed/);
  });

  it('a kind kubeconform has no schema for, rather than skipping it', () => {
    const r = kubeconform('apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w }\nspec: {}\n');
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/could not find schema for Widget/);
  });
});
