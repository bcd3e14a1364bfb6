import { spawn } from 'node:child_process';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { health } from '@careloop/contracts';
import { EXIT_CONFIG, startService } from '@careloop/service-kit';
import { createLogger } from '@careloop/observability';
import { EphemeralKafka, infraEnv, repoRoot, uniqueName, waitFor } from '@careloop/testing';
import { probeService } from './fixtures/probe-service';

const env = infraEnv();
const quiet = createLogger({ service: 'probe', level: 'silent' });

function runProbe(extraEnv: Record<string, string | undefined>): Promise<{ code: number | null; stderr: string; stdout: string; child: ReturnType<typeof spawn> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'probe-main.ts')], {
    cwd: repoRoot(),
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'], OTEL_SDK_DISABLED: 'true', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr, stdout, child })));
}

describe('service kit composition root', () => {
  it('stops at boot with a non-zero exit and a message naming each missing or bad setting', async () => {
    const result = await runProbe({ KAFKA_BROKERS: env.KAFKA_BROKERS, MONGODB_URI: 'postgres://nope', REDIS_URL: env.REDIS_URL });
    expect(result.code).toBe(EXIT_CONFIG);
    expect(result.stderr).toContain('Invalid configuration for probe');
    expect(result.stderr).toMatch(/PROBE_GREETING: is required but not set/);
    expect(result.stderr).toMatch(/MONGODB_URI: must be a mongodb:\/\//);
    expect(result.stderr).not.toContain('postgres://nope'); // values are never echoed
  });

  it('serves readiness, gRPC health, and exits 0 on SIGTERM', async () => {
    const opsPort = 20000 + Math.floor(Math.random() * 20000);
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'probe-main.ts')], {
      cwd: repoRoot(),
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'], OTEL_SDK_DISABLED: 'true', ...env, PROBE_GREETING: 'hi', OPS_PORT: String(opsPort), MONGODB_DATABASE: uniqueName('probe').replace(/-/g, '_') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await waitFor('the probe to be ready', async () => (await fetch(`http://127.0.0.1:${opsPort}/readyz`)).status === 200, 60_000, 250);
      const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
      expect(metrics).toContain('careloop_process_cpu_seconds_total');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stdout).toContain('"msg":"stopped"');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('reports not ready while Kafka is down and ready again when it returns', async () => {
    const kafka = await EphemeralKafka.start();
    const running = await startService(probeService, {
      env: { ...env, KAFKA_BROKERS: kafka.brokers, PROBE_GREETING: 'hi', MONGODB_DATABASE: uniqueName('probe').replace(/-/g, '_') },
      logger: quiet,
      host: '127.0.0.1',
    });
    const readyz = async () => {
      const res = await fetch(`http://127.0.0.1:${running.opsPort}/readyz`);
      return { status: res.status, body: (await res.json()) as { checks: Record<string, string> } };
    };
    const grpcHealth = new health.HealthClient(`127.0.0.1:${running.grpcPort}`, grpc.credentials.createInsecure());
    const check = () =>
      new Promise<health.HealthCheckResponse_ServingStatus | undefined>((resolve) => {
        grpcHealth.check({ service: '' }, (error, response) => resolve(error ? undefined : response.status));
      });
    try {
      expect((await readyz()).status).toBe(200);
      expect(await check()).toBe(health.HealthCheckResponse_ServingStatus.SERVING);

      await kafka.halt();
      const down = await waitFor('readiness to drop', async () => {
        const r = await readyz();
        return r.status === 503 ? r : undefined;
      }, 30_000, 250);
      expect(down.body.checks).toEqual({ kafka: 'down', mongodb: 'up', redis: 'up' });
      expect(await check()).toBe(health.HealthCheckResponse_ServingStatus.NOT_SERVING);

      await kafka.resume();
      await waitFor('readiness to return', async () => (await readyz()).status === 200, 60_000, 250);
      expect(await check()).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
    } finally {
      grpcHealth.close();
      await running.stop();
      await kafka.destroy();
    }
  });
});
