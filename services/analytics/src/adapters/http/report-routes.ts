import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Router, type Request, type Response } from 'express';
import type { Logger } from '@careloop/observability';
import { InvalidReportQueryError, parseReportQuery, REPORT_NAMES, REPORTS, type ReportQuery } from '../../domain/reports';
import type { BuildReport } from '../../use-cases/build-report';
import type { SurveyStore } from '../survey-store';
import type { AuditLog } from '../audit-log';
import { reportToCsv, reportToNdjson } from './exports';
import { canReadComments, staffAuth, staffOf } from './staff-auth';

export interface ReportRoutesDeps {
  readonly jwtSecret: string;
  readonly reports: BuildReport;
  readonly surveys: SurveyStore;
  readonly audit: AuditLog;
  readonly logger: Logger;
  /** Directory of the dashboard page. */
  readonly dashboardDir: string;
}

const RESERVED = new Set(['from', 'to', 'group_by', 'format', 'tenant']);

function queryOf(req: Request): ReportQuery {
  const q = req.query as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const filters: Record<string, string> = {};
  for (const [k, v] of Object.entries(q)) {
    if (RESERVED.has(k)) continue;
    if (typeof v !== 'string') throw new InvalidReportQueryError(`${k} must be given once`);
    if (v !== '') filters[k] = v;
  }
  const from = str(q['from']);
  const to = str(q['to']);
  const groupBy = str(q['group_by']);
  return parseReportQuery({ report: String(req.params['report'] ?? ''), ...(from ? { from } : {}), ...(to ? { to } : {}), ...(groupBy ? { groupBy } : {}), filters });
}

/** Where chart.js's browser bundle is (served from node_modules, no CDN). */
function chartJsFile(): string | undefined {
  try {
    // The package exports only its modules; its browser bundle sits next to the CommonJS one.
    const file = join(dirname(require.resolve('chart.js')), 'chart.umd.js');
    return existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

/**
 * REST: GET /v1/reports/:report?from&to&group_by&<dimension>=<value>&format=json|csv|ndjson —
 * aggregated figures of the caller's tenant (the tenant comes from the token; a `tenant`
 * parameter naming another one is refused). GET /v1/comments — survey comments, only for
 * csat-reader and supervisor, each read audited. The dashboard is served at /dashboard.
 */
export function reportRouter(deps: ReportRoutesDeps): Router {
  const router = Router();
  const auth = staffAuth(deps.jwtSecret);

  router.get('/dashboard', (_req, res) => res.sendFile(join(deps.dashboardDir, 'index.html')));
  router.get('/dashboard/dashboard.js', (_req, res) => res.sendFile(join(deps.dashboardDir, 'dashboard.js')));
  router.get('/dashboard/chart.js', (_req, res) => {
    const file = chartJsFile();
    if (!file) return void res.status(404).json({ error: 'not_found', reason: 'chart.js is not installed' });
    res.sendFile(file);
  });

  router.get('/v1/reports', auth, (_req, res) => {
    res.json({
      reports: REPORT_NAMES.map((name) => ({ name, dimensions: Object.keys(REPORTS[name].dimensions) })),
      definitions: 'docs/analytics.md',
    });
  });

  router.get('/v1/reports/:report', auth, async (req: Request, res: Response) => {
    const staff = staffOf(res);
    const tenant = req.query['tenant'];
    if (tenant !== undefined && tenant !== staff.tenantId) return void res.status(403).json({ error: 'forbidden', reason: 'reports are only of your own tenant' });
    let query: ReportQuery;
    try {
      query = queryOf(req);
    } catch (error) {
      if (error instanceof InvalidReportQueryError) return void res.status(400).json({ error: 'invalid_request', reason: error.message });
      throw error;
    }
    const format = typeof req.query['format'] === 'string' ? req.query['format'] : 'json';
    if (!['json', 'csv', 'ndjson'].includes(format)) return void res.status(400).json({ error: 'invalid_request', reason: 'format must be json, csv or ndjson' });
    try {
      const report = await deps.reports.execute(staff.tenantId, query);
      if (format === 'csv') {
        res.type('text/csv').attachment(`${query.report}-${query.from}-${query.to}.csv`).send(reportToCsv(report));
      } else if (format === 'ndjson') {
        res.type('application/x-ndjson').send(reportToNdjson(report));
      } else {
        res.json(report);
      }
    } catch (error) {
      if (error instanceof InvalidReportQueryError) return void res.status(400).json({ error: 'invalid_request', reason: error.message });
      deps.logger.error({ err: { name: error instanceof Error ? error.name : 'Error' }, report: query.report }, 'report failed');
      res.status(500).json({ error: 'internal' });
    }
  });

  router.get('/v1/comments', auth, async (req: Request, res: Response) => {
    const staff = staffOf(res);
    if (!canReadComments(staff)) return void res.status(403).json({ error: 'forbidden', reason: 'reading survey comments needs the csat-reader or supervisor role' });
    const facility = typeof req.query['facility'] === 'string' ? req.query['facility'] : undefined;
    const limit = Math.min(200, Math.max(1, Number(req.query['limit'] ?? 50) || 50));
    const docs = await deps.surveys.withComments(staff.tenantId, facility ? { facilityId: facility } : {}, limit);
    await deps.audit.record(staff.tenantId, { actor: staff.id, role: staff.role, action: 'read-survey-comments', resource: facility ? `facility:${facility}` : 'all', count: docs.length });
    res.json({
      comments: docs.map((d) => ({
        survey_id: d._id,
        facility: d.facilityId,
        department: d.departmentId,
        rating: d.rating,
        language: d.language,
        sentiment_score: d.sentimentScore,
        comment: deps.surveys.commentOf(d) ?? '',
        at: d.commentAt?.toISOString() ?? null,
      })),
    });
  });

  return router;
}
