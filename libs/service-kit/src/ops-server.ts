import express from 'express';
import type { Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { Readiness } from './readiness';

/**
 * The operations port: liveness, readiness and Prometheus metrics. Kept apart
 * from the service's public HTTP port so that an ingress never exposes it.
 */
export function createOpsApp(readiness: Readiness, metrics: Registry): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.status(200).json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res, next) => {
    readiness
      .report()
      .then((report) => {
        res.status(report.ready ? 200 : 503).json({ status: report.ready ? 'ready' : 'not ready', checks: report.checks, draining: readiness.isDraining });
      })
      .catch(next);
  });
  app.get('/metrics', (_req, res, next) => {
    metrics
      .metrics()
      .then((body) => {
        res.setHeader('Content-Type', metrics.contentType);
        res.send(body);
      })
      .catch(next);
  });
  return app;
}

export function listen(app: express.Express, port: number, host = '0.0.0.0'): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(server)));
    server.on('error', reject);
  });
}

/** Stops accepting connections, lets in-flight requests finish, closes idle keep-alives. */
export function closeServer(server: Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

export function boundPort(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}
