import express, { type Express } from 'express';
import { adminRoutes } from './admin/admin-routes';
import { graphRoutes, jsonErrorHandler, type GraphRoutesDeps } from './graph-api/routes';
import { newFbtraceId } from './ids';
import { graphErrorBody, MetaError, META_ERRORS } from './meta-errors';
import type { CloudApiSimulator } from './simulator';

/** The HTTP surface: Graph API routes first, then `/_sim` admin routes, then Graph-style 404s. */
export function createSimulatorApp(graph: GraphRoutesDeps, simulator: CloudApiSimulator): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '5mb' }));
  app.use(graphRoutes(graph));
  app.use(adminRoutes(simulator));
  app.use(jsonErrorHandler);
  app.use((req, res) => {
    const error = new MetaError({ ...META_ERRORS.invalidParameter, type: 'GraphMethodException', message: `Unsupported ${req.method.toLowerCase()} request. Unknown path components: ${req.path}` });
    res.status(400).json(graphErrorBody(error, newFbtraceId()));
  });
  return app;
}
