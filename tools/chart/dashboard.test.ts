/**
 * The Grafana dashboard the chart ships (files/dashboards/careloop-operations.json) queries only
 * metrics the code exports, so a renamed metric fails CI instead of leaving an empty panel.
 * Metrics from outside Careloop are listed with their source.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CHART_DIR, repoRoot } from './chart-check';

const EXTERNAL_METRICS: Record<string, string> = {
  kafka_consumergroup_lag: "Strimzi's Kafka Exporter (deploy/strimzi/kafka.yaml, spec.kafkaExporter)",
  kube_pod_container_status_ready: 'kube-state-metrics',
};

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: { expr: string; refId: string }[];
}

const dashboard = JSON.parse(readFileSync(join(CHART_DIR, 'files', 'dashboards', 'careloop-operations.json'), 'utf8')) as { title: string; uid: string; panels: Panel[] };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (entry === 'node_modules' || entry === 'gen' || entry === 'test') return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

/** Metric names declared in libs/ and services/ (prom-client `name: '...'`). */
function declaredMetrics(): Set<string> {
  const names = new Set<string>();
  for (const root of ['libs', 'services']) {
    for (const file of sourceFiles(join(repoRoot, root))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/name:\s*'(careloop_[a-z0-9_]+)'/g)) if (m[1]) names.add(m[1]);
    }
  }
  return names;
}

describe('operations dashboard', () => {
  const queries = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);

  it('covers webhooks, consumer lag, sends, errors by code and the reminder backlog', () => {
    const titles = dashboard.panels.map((p) => p.title.toLowerCase()).join('\n');
    for (const topic of ['webhook rate', 'webhook latency', 'consumer lag', 'send rate', 'errors by channel error code', 'reminder backlog']) expect(titles).toContain(topic);
    expect(dashboard.uid).toBe('careloop-operations');
  });

  it('queries only metrics the code exports, or known exporters', () => {
    const declared = declaredMetrics();
    expect(declared.size).toBeGreaterThan(10);
    const used = new Set(queries.flatMap((q) => [...q.matchAll(/\b([a-z_][a-z0-9_]*)\{/g)].map((m) => m[1] ?? '')));
    for (const metric of used) {
      const base = metric.replace(/_(bucket|sum|count)$/, '');
      if (!(base in EXTERNAL_METRICS)) expect({ metric, declared: declared.has(base) }).toEqual({ metric, declared: true });
    }
    expect([...used].some((m) => m.startsWith('careloop_reminders_'))).toBe(true);
  });

  it('has unique panel ids and non-overlapping rows', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const owner = new Map<string, string>();
    const overlaps: string[] = [];
    for (const p of dashboard.panels) {
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          const cell = `${x},${y}`;
          const other = owner.get(cell);
          if (other) overlaps.push(`${p.title} overlaps ${other} at ${cell}`);
          owner.set(cell, p.title);
        }
      }
    }
    expect(overlaps).toEqual([]);
  });
});
