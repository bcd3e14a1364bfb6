import { Router } from 'express';
import type { Logger } from '@careloop/observability';
import { PullBadRequestError, PullUnauthorizedError, type PullCrmChanges } from '../../use-cases/pull-crm-changes';

export const PULL_PATH = '/crm/v1/tenants/:tenantId/connectors/:connectorId/changes';

/**
 * GET /crm/v1/tenants/{tenant}/connectors/{connector}/changes?after=<cursor>&limit=<n>, signed
 * with the connector's secret (X-Careloop-Signature over "<t>.GET <path and query>"): a page of
 * the tenant's appointment and contact changes. 401 for any signature problem, 400 for a cursor
 * or limit the feed cannot serve.
 */
export function crmPullRouter(pull: PullCrmChanges, logger: Logger): Router {
  const router = Router();
  router.get(PULL_PATH, (req, res) => {
    const one = (v: unknown) => (Array.isArray(v) ? '\u0000' : v); // a repeated parameter is a bad one
    pull
      .execute({
        tenantId: req.params.tenantId,
        connectorId: req.params.connectorId,
        signature: req.get('x-careloop-signature'),
        target: req.originalUrl,
        after: one(req.query['after']),
        limit: one(req.query['limit']),
      })
      .then(
        (page) => res.set('cache-control', 'no-store').json(page),
        (error: unknown) => {
          if (error instanceof PullUnauthorizedError) res.status(401).set('www-authenticate', 'Careloop-Signature').json({ error: 'unauthorized', message: error.message });
          else if (error instanceof PullBadRequestError) res.status(400).json({ error: 'bad_request', message: error.message });
          else {
            logger.error({ route: 'crm-pull', err: { name: error instanceof Error ? error.name : 'Error' } }, 'CRM pull failed');
            res.status(503).json({ error: 'unavailable', message: 'try again later' });
          }
        },
      );
  });
  return router;
}
