/**
 * Offline validation of the Helm chart, what CI runs (`npm run chart:check`, and the jest tests in
 * tools/chart/ through `npm test`):
 *   1. helm lint --strict (values.schema.json rejects unknown keys; templates must render)
 *   2. helm template with the given values files
 *   3. kubeconform -strict against local Kubernetes JSON schemas (tools/chart/ensure-tools.sh),
 *      plus the chart's minimal CRD schemas (tools/chart/crd-schemas) for KafkaTopic,
 *      ServiceMonitor and ScaledObject
 *   4. the Pod Security Standard "restricted" checker (pod-security.ts)
 *   5. every container has startup, readiness and liveness probes
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { checkRestricted, podSpecOf, type K8sObject, type Violation } from './pod-security';

export const repoRoot = resolve(__dirname, '..', '..');
export const CHART_DIR = join(repoRoot, 'charts', 'careloop');
export const PRODUCTION_VALUES = join(CHART_DIR, 'ci', 'production-values.yaml');
export const CRD_SCHEMAS = join(__dirname, 'crd-schemas');

export interface ChartTools {
  readonly helm: string;
  readonly kubeconform: string;
  readonly schemas: string;
  readonly hadolint: string;
  readonly skaffoldSchemas: string;
}

let cachedTools: ChartTools | undefined;

/** Builds (first run) or finds the cached helm, kubeconform and Kubernetes schemas. */
export function chartTools(): ChartTools {
  if (cachedTools) return cachedTools;
  const out = execFileSync('bash', [join(__dirname, 'ensure-tools.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const env = new Map<string, string>();
  for (const line of out.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m?.[1] && m[2]) env.set(m[1], m[2]);
  }
  const helm = env.get('HELM');
  const kubeconform = env.get('KUBECONFORM');
  const schemas = env.get('K8S_SCHEMAS');
  const hadolint = env.get('HADOLINT');
  const skaffoldSchemas = env.get('SKAFFOLD_SCHEMAS');
  if (!helm || !kubeconform || !schemas || !hadolint || !skaffoldSchemas) throw new Error(`ensure-tools.sh printed no tool paths: ${out}`);
  cachedTools = { helm, kubeconform, schemas, hadolint, skaffoldSchemas };
  return cachedTools;
}

export interface RenderOptions {
  readonly chartDir?: string;
  readonly valuesFiles?: readonly string[];
  /** --set key=value pairs. */
  readonly set?: readonly string[];
  readonly releaseName?: string;
  readonly namespace?: string;
}

export interface StepResult {
  readonly ok: boolean;
  readonly output: string;
}

function helmArgs(options: RenderOptions): string[] {
  return [...(options.valuesFiles ?? []).flatMap((f) => ['-f', f]), ...(options.set ?? []).flatMap((s) => ['--set', s])];
}

function run(command: string, args: readonly string[], input?: string): StepResult {
  const r = spawnSync(command, args, { encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) return { ok: false, output: String(r.error) };
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

export function helmLint(options: RenderOptions = {}): StepResult {
  return run(chartTools().helm, ['lint', '--strict', options.chartDir ?? CHART_DIR, ...helmArgs(options)]);
}

export function helmTemplate(options: RenderOptions = {}): StepResult {
  const r = spawnSync(
    chartTools().helm,
    ['template', options.releaseName ?? 'careloop', options.chartDir ?? CHART_DIR, '--namespace', options.namespace ?? 'careloop', ...helmArgs(options)],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  return { ok: r.status === 0, output: r.status === 0 ? r.stdout : `${r.stderr}${r.stdout}` };
}

/** Parses a multi-document YAML stream into objects (empty documents dropped). */
export function parseManifests(yamlText: string): K8sObject[] {
  return parseAllDocuments(yamlText)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`rendered YAML does not parse: ${d.errors.map((e) => e.message).join('; ')}`);
      return d.toJS() as unknown;
    })
    .filter((o): o is K8sObject => typeof o === 'object' && o !== null);
}

/**
 * kubeconform -strict with local schemas only (Kubernetes, the chart's CRD schemas, and any
 * extra directories); fails on a kind it has no schema for unless listed in skipKinds.
 */
export function kubeconform(yamlText: string, options: { extraSchemaDirs?: readonly string[]; skipKinds?: readonly string[] } = {}): StepResult {
  const { kubeconform: bin, schemas } = chartTools();
  const locations = [schemas, CRD_SCHEMAS, ...(options.extraSchemaDirs ?? [])].flatMap((dir) => ['-schema-location', `${dir}/{{ .ResourceKind }}{{ .KindSuffix }}.json`]);
  const skip = options.skipKinds?.length ? ['-skip', options.skipKinds.join(',')] : [];
  return run(bin, ['-strict', '-summary', '-output', 'text', ...locations, ...skip, '-'], yamlText);
}

export interface ProbeViolation {
  readonly object: string;
  readonly container: string;
  readonly probe: 'startupProbe' | 'readinessProbe' | 'livenessProbe';
}

/** Every long-running container (not init containers, not Jobs) needs all three probes. */
export function checkProbes(objects: readonly K8sObject[]): ProbeViolation[] {
  const out: ProbeViolation[] = [];
  for (const o of objects) {
    if (o.kind === 'Job' || o.kind === 'CronJob') continue;
    const pod = podSpecOf(o);
    if (!pod) continue;
    const containers = Array.isArray(pod['containers']) ? (pod['containers'] as Record<string, unknown>[]) : [];
    for (const c of containers) {
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
        const p = c[probe];
        if (typeof p !== 'object' || p === null || !['httpGet', 'grpc', 'tcpSocket', 'exec'].some((k) => k in p)) {
          out.push({ object: `${o.kind ?? '?'}/${o.metadata?.name ?? '?'}`, container: String(c['name']), probe });
        }
      }
    }
  }
  return out;
}

const copies: string[] = [];

/** A throw-away copy of the chart (for tests that break it on purpose); returns its directory. */
export function copyChart(edit?: (chartDir: string) => void): string {
  const parent = mkdtempSync(join(tmpdir(), 'careloop-chart-'));
  copies.push(parent);
  const dir = join(parent, 'careloop');
  cpSync(CHART_DIR, dir, { recursive: true });
  edit?.(dir);
  return dir;
}

export function removeChartCopies(): void {
  for (const dir of copies.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface ChartReport {
  readonly ok: boolean;
  /** One line per failure, prefixed with the step that found it. */
  readonly failures: string[];
  readonly objects: K8sObject[];
}

/** The whole gate for one values set. */
export function checkChart(options: RenderOptions = {}): ChartReport {
  const failures: string[] = [];
  const lint = helmLint(options);
  if (!lint.ok) failures.push(`helm lint: ${lint.output.trim()}`);
  const rendered = helmTemplate(options);
  if (!rendered.ok) {
    failures.push(`helm template: ${rendered.output.trim()}`);
    return { ok: false, failures, objects: [] };
  }
  const objects = parseManifests(rendered.output);
  const schema = kubeconform(rendered.output);
  if (!schema.ok) failures.push(`kubeconform: ${schema.output.trim()}`);
  failures.push(...checkRestricted(objects).map((v: Violation) => `pod security (restricted): ${v.object}${v.container ? ` container ${v.container}` : ''}: ${v.rule}: ${v.detail}`));
  failures.push(...checkProbes(objects).map((v) => `probes: ${v.object} container ${v.container} has no ${v.probe}`));
  return { ok: failures.length === 0, failures, objects };
}

if (require.main === module) {
  let ok = true;
  for (const [label, valuesFiles] of [
    ['default values', []],
    ['production-like values', [PRODUCTION_VALUES]],
  ] as const) {
    const report = checkChart({ valuesFiles });
    const kinds = new Map<string, number>();
    for (const o of report.objects) kinds.set(o.kind ?? '?', (kinds.get(o.kind ?? '?') ?? 0) + 1);
    console.log(`${report.ok ? 'ok  ' : 'FAIL'} chart with ${label}: ${report.objects.length} objects (${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')})`);
    for (const f of report.failures) console.log(`  ${f}`);
    ok &&= report.ok;
  }
  process.exit(ok ? 0 : 1);
}
