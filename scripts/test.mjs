#!/usr/bin/env node
// `npm test`: everything CI checks, on a fresh machine or a warm one.
//   1. npm dependencies (npm install when missing or stale)
//   2. in the background: the chart tools (helm, kubeconform, Kubernetes schemas, hadolint:
//      tools/chart/ensure-tools.sh, built once and cached) and the real local Kafka, FerretDB,
//      Redis and FHIR server (deploy/local/infra.sh up)
//   3. meanwhile, static checks: generated contracts current, typecheck, lint
//   4. jest: unit (*.test.ts) once the chart tools are ready, then integration (*.int.test.ts)
//      once the infrastructure is
// The last line is the plain count `tests: N passed, N failed`, static checks included.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDependencies, log, root, startSetUp } from './lib/workspace.mjs';

const args = process.argv.slice(2);
const only = args.includes('--unit') ? 'unit' : args.includes('--integration') ? 'integration' : undefined;
const jestArgs = args.filter((a) => !a.startsWith('--unit') && !a.startsWith('--integration'));
const started = Date.now();
let passed = 0;
let failed = 0;

function finish(code) {
  log(`finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.stdout.write(`tests: ${passed} passed, ${failed} failed\n`);
  process.exit(code);
}

try {
  ensureDependencies();
} catch (error) {
  log(String(error instanceof Error ? error.message : error));
  failed += 1;
  finish(1);
}
// Chart tools and infrastructure come up in the background while the static checks run.
const setUp = startSetUp({ infrastructure: only !== 'unit' });

/** Waits for one background set-up step; a failure ends the run, counted as a failed test. */
async function ready(step) {
  try {
    return await step;
  } catch (error) {
    log(String(error instanceof Error ? error.message : error));
    failed += 1;
    finish(1);
  }
}

const bin = (name) => join(root, 'node_modules', '.bin', name);
// Two lanes at once (each check is one process on one core; the machine has two): the type
// checker beside the project graph and the type-aware lint, which needs that graph.
const lanes = [
  [
    ['generated contracts are current', process.execPath, [join(root, 'scripts', 'proto.mjs'), 'check']],
    ['typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']],
  ],
  [
    ['project graph for lint', bin('nx'), ['show', 'projects']],
    ['lint', bin('eslint'), ['.', '--max-warnings=0']],
  ],
];

/** Runs one check with its output held back, so two lanes never interleave their lines. */
function runCheck([name, command, commandArgs]) {
  const t = Date.now();
  // Type-aware lint of the whole workspace outgrows Node's default heap (it aborted at ~2 GB).
  const env = { ...process.env, NX_DAEMON: 'false', NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=6144`.trim() };
  return new Promise((resolve) => {
    const child = spawn(command, commandArgs, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env });
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    let settled = false;
    const done = (ok, why) => {
      if (settled) return;
      settled = true;
      process.stdout.write(Buffer.concat(output));
      if (why) log(why);
      log(`${ok ? 'ok  ' : 'FAIL'} ${name} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
      if (ok) passed += 1;
      else failed += 1;
      resolve(ok);
    };
    child.on('error', (error) => done(false, `${name} could not start: ${error.message}`));
    child.on('close', (code) => done(code === 0));
  });
}

if (!only) {
  await Promise.all(
    lanes.map(async (lane) => {
      for (const check of lane) await runCheck(check);
    }),
  );
}

const reportDir = join(root, 'reports');
mkdirSync(reportDir, { recursive: true });

// Unit tests in parallel; integration tests one file at a time, because every test file starts
// real services whose consumer groups (fixed names, as in production) would otherwise share
// partitions with another file's instances and answer each other's events.
function runJest(project, workers) {
  const report = join(reportDir, `jest-${project}.json`);
  rmSync(report, { force: true });
  const result = spawnSync(bin('jest'), ['--selectProjects', project, ...workers, '--forceExit', '--json', `--outputFile=${report}`, ...jestArgs], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  try {
    const results = JSON.parse(readFileSync(report, 'utf8'));
    passed += results.numPassedTests;
    failed += results.numFailedTests + results.numRuntimeErrorTestSuites;
    return { ok: result.status === 0, ran: results.numTotalTests };
  } catch {
    log(`jest (${project}) wrote no report: counting the run as failed`);
    failed += 1;
    return { ok: false, ran: 0 };
  }
}

const runs = [];
await ready(setUp.tools); // the chart tests (unit) use helm and kubeconform
if (only !== 'integration') runs.push(runJest('unit', ['--maxWorkers=2']));
if (only !== 'unit') {
  Object.assign(process.env, await ready(setUp.infra));
  runs.push(runJest('integration', ['--runInBand']));
}
if (runs.reduce((n, r) => n + r.ran, 0) === 0) failed += 1;
finish(failed === 0 && runs.every((r) => r.ok) ? 0 : 1);
