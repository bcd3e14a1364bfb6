import { Router } from 'express';
import type { Logger } from '@careloop/observability';
import { staffBearerAuth, staffCallerOf } from '@careloop/service-kit';
import { AUDIT_READER_ROLES, InvalidAuditQueryError, type AuditReaderRole } from '../../domain/audit-query';
import type { ReadEhrAudit } from '../../use-cases/read-ehr-audit';

export const AUDIT_PATH = '/ehr/v1/audit';

/**
 * GET /ehr/v1/audit?patientId=<careloop patient id>&from=<ISO>&to=<ISO>&limit=<1-1000>, with a
 * staff bearer token (HS256: sub, tenant, role privacy-officer, supervisor or admin): that
 * patient's entries of the token's tenant, oldest first. 401 without a valid token, 403 for
 * another role, 400 naming the parameter, 503 when the store is unavailable.
 */
export function ehrAuditRouter(read: ReadEhrAudit, jwtSecret: string, logger: Logger): Router {
  const router = Router();
  router.get(AUDIT_PATH, staffBearerAuth(jwtSecret, AUDIT_READER_ROLES), (req, res) => {
    const staff = staffCallerOf<AuditReaderRole>(res);
    read.execute(staff, req.query as Record<string, unknown>).then(
      (page) => res.set('cache-control', 'no-store').json(page),
      (error: unknown) => {
        if (error instanceof InvalidAuditQueryError) res.status(400).json({ error: 'bad_request', reason: error.message });
        else {
          logger.error({ route: 'ehr-audit', tenantId: staff.tenantId, err: { name: error instanceof Error ? error.name : 'Error' } }, 'audit read failed');
          res.status(503).json({ error: 'unavailable', reason: 'try again later' });
        }
      },
    );
  });
  return router;
}
