import * as grpc from '@grpc/grpc-js';
import { analyticsApi } from '@careloop/contracts';
import type { GrpcServiceRegistration } from '@careloop/service-kit';
import type { Logger } from '@careloop/observability';
import { InvalidReportQueryError, parseReportQuery, type ReportOut } from '../../domain/reports';
import type { BuildReport } from '../../use-cases/build-report';
import { UnauthorizedError, verifyStaffToken } from '../http/staff-auth';

type Call = grpc.ServerUnaryCall<analyticsApi.GetReportRequest, analyticsApi.GetReportResponse>;

/** A row's figures as a proto map: a rate of nothing (null) is left out rather than sent as 0. */
function valuesOf(values: ReportOut['total']['values']): Record<string, number> {
  return Object.fromEntries(Object.entries(values).filter((e): e is [string, number] => e[1] !== null));
}

/**
 * gRPC: careloop.analytics.v1.AnalyticsReportService/GetReport, the same reports as REST. The
 * staff token travels in the `authorization` metadata; the tenant is the token's.
 */
export function reportService(deps: { jwtSecret: string; reports: BuildReport; logger: Logger }): GrpcServiceRegistration {
  const getReport = (call: Call, callback: grpc.sendUnaryData<analyticsApi.GetReportResponse>) => {
    const run = async () => {
      const header = call.metadata.get('authorization')[0];
      const staff = verifyStaffToken(deps.jwtSecret, typeof header === 'string' ? header : header?.toString());
      const r = call.request;
      const query = parseReportQuery({ report: r.report, ...(r.from ? { from: r.from } : {}), ...(r.to ? { to: r.to } : {}), ...(r.groupBy ? { groupBy: r.groupBy } : {}), filters: r.filters });
      const report = await deps.reports.execute(staff.tenantId, query);
      return analyticsApi.GetReportResponse.fromPartial({
        report: report.report,
        groupBy: report.groupBy,
        total: { key: '', values: valuesOf(report.total.values) },
        rows: report.rows.map((row) => ({ key: row.key, values: valuesOf(row.values) })),
      });
    };
    run().then(
      (response) => callback(null, response),
      (error: unknown) => {
        if (error instanceof UnauthorizedError) {
          callback({ code: grpc.status.UNAUTHENTICATED, details: error.message });
          return;
        }
        if (error instanceof InvalidReportQueryError) {
          callback({ code: grpc.status.INVALID_ARGUMENT, details: error.message });
          return;
        }
        deps.logger.error({ err: { name: error instanceof Error ? error.name : 'Error' } }, 'report failed');
        callback({ code: grpc.status.INTERNAL, details: 'report failed' });
      },
    );
  };
  return {
    name: 'careloop.analytics.v1.AnalyticsReportService',
    definition: analyticsApi.AnalyticsReportServiceService,
    implementation: { getReport },
    protoFile: 'careloop/analytics/v1/reports.proto',
  };
}
