import type { DiagnosticReport, Observation, Resource } from '@medplum/fhirtypes';
import { DispatchReason, MediaKind, type SkillTurn, type VerifiedPatient } from '@careloop/contracts';
import type { ReceivedEvent } from '@careloop/bus';
import { DEFAULT_LANGUAGE, isLanguage, type Language } from '@careloop/i18n';
import type { Logger } from '@careloop/observability';
import { buttonsMessage, replyIdParts, textMessage, type MessageContent, type SkillResponder, type TurnOutcome } from '@careloop/skill-kit';
import type { ConnectorRegistry } from '../adapters/connector-registry';
import { auditEntryId, type EhrAudit, type EhrAuditAction } from '../adapters/ehr-audit';
import type { EhrSessions } from '../adapters/ehr-sessions';
import type { ResultDocuments } from '../adapters/result-documents';
import { renderResultPdf } from '../adapters/result-pdf';
import { TransientFhirError } from '../domain/errors';
import { decideRelease, type ResultsPolicy } from '../domain/results-policy';
import { resultViewOf, type ResultView } from '../domain/result-view';
import type { Catalog } from '../i18n/catalog';
import { ConnectorGoneError, type RequestRefill } from './request-refill';

interface RecentReports {
  readonly reports: readonly DiagnosticReport[];
  /** The reports' Observations by reference ("Observation/123"). */
  readonly observations: ReadonlyMap<string, Observation>;
}

/** At most this many results are looked at per request (and so at most this many messages). */
const MAX_REPORTS = 10;

export interface EhrSkillDeps {
  readonly responder: SkillResponder;
  readonly registry: ConnectorRegistry;
  readonly documents: ResultDocuments;
  readonly audit: EhrAudit;
  readonly catalog: Catalog;
  readonly resultsPolicy: (tenantId: string) => ResultsPolicy;
  readonly refills: RequestRefill;
  readonly sessions: EhrSessions;
  readonly logger: Logger;
}

/**
 * The ehr skill's turns: "my results" and "my repeat prescription" from the menu (or `ehr:`
 * buttons). Nothing about a patient is read before routing verified who is asking: the first
 * answer is a VERIFY outcome, and the work happens on the turn routing hands back with
 * `verified` (the EHR patient, until when). Results are released, announced or left unmentioned
 * by the tenant's policy, and every decision is audited.
 */
export class AnswerEhrTurn {
  constructor(private readonly deps: EhrSkillDeps) {}

  async execute(event: ReceivedEvent<SkillTurn>): Promise<void> {
    const t = event.payload;
    // A tenant without any connector here is not ours to answer (another deployment's, on a
    // shared cluster); one whose connectors do not look patients up cannot verify anyone.
    if (!(await this.deps.registry.serves(event.tenantId))) return;
    const language: Language = isLanguage(t.language) ? t.language : DEFAULT_LANGUAGE;
    if ((await this.deps.registry.connectionsFor(event.tenantId, 'patient-lookup')).length === 0) {
      return this.deps.responder.answer(event, [textMessage(this.t(language, 'results.unavailable'))], { kind: 'hand-back', reason: 'no_patient_lookup' });
    }
    if (t.reason === DispatchReason.DISPATCH_REASON_VERIFIED && t.verified) {
      const verified = t.verified;
      if (!verified.expiresAt || verified.expiresAt.getTime() <= Date.now()) {
        const refused = verified.purpose === 'refills' ? 'refill.refused.unverified' : 'results.refused.unverified';
        await this.audit(event, verified, refused, `Patient/${verified.ehrPatientId}`, 'verification_expired');
        return this.deps.responder.answer(event, [textMessage(this.t(language, 'results.expired'))], { kind: 'verify', purpose: verified.purpose });
      }
      switch (verified.purpose) {
        case 'results':
          return this.results(event, verified, language);
        case 'refills':
          return this.ehrCall(event, language, () => this.deps.refills.start(event, verified, language));
        default:
          return this.deps.responder.answer(event, [textMessage(this.t(language, 'ehr.menu_hint'))], { kind: 'done' });
      }
    }
    switch (t.replyId) {
      case 'menu:results':
      case 'ehr:results':
        // Routing verifies (or finds a verification still valid) and hands the turn back.
        return this.deps.responder.answer(event, [], { kind: 'verify', purpose: 'results' });
      case 'menu:refills':
      case 'ehr:refills':
        return this.deps.responder.answer(event, [], { kind: 'verify', purpose: 'refills' });
      default: {
        const parts = replyIdParts(t.replyId);
        if (parts[0] === 'ehr' && ['rx', 'ph', 'rxok', 'rxno'].includes(parts[1] ?? '')) {
          // A refill step: only within the verified session; after it expired, verify again.
          const session = await this.deps.sessions.get(event.tenantId, t.contactId);
          if (!session) return this.deps.responder.answer(event, [textMessage(this.t(language, 'results.expired'))], { kind: 'verify', purpose: 'refills' });
          return this.ehrCall(event, language, () => this.deps.refills.reply(event, session, parts, language));
        }
        return this.deps.responder.answer(event, [textMessage(this.t(language, 'ehr.menu_hint'))], { kind: 'done', reason: 'not_understood' });
      }
    }
  }

  /** An EHR away (transient, circuit open) or its connector gone: say so, hand the conversation back. */
  private async ehrCall(event: ReceivedEvent<SkillTurn>, language: Language, call: () => Promise<void>): Promise<void> {
    try {
      await call();
    } catch (error) {
      if (!(error instanceof TransientFhirError) && !(error instanceof ConnectorGoneError)) throw error;
      this.deps.logger.warn({ err: { name: error.name }, tenantId: event.tenantId }, 'ehr skill: the EHR did not answer');
      await this.deps.responder.answer(event, [textMessage(this.t(language, 'results.unavailable'))], { kind: 'hand-back', reason: 'ehr_unavailable' });
    }
  }

  private async results(event: ReceivedEvent<SkillTurn>, verified: VerifiedPatient, language: Language): Promise<void> {
    const tenantId = event.tenantId;
    const policy = this.deps.resultsPolicy(tenantId);
    let reports: RecentReports;
    try {
      reports = await this.recentReports(tenantId, verified, policy);
    } catch (error) {
      if (!(error instanceof TransientFhirError) && !(error instanceof ConnectorGoneError)) throw error;
      this.deps.logger.warn({ err: { name: error.name }, tenantId, connectorId: verified.connectorId }, 'results: the EHR did not answer');
      return this.deps.responder.answer(event, [textMessage(this.t(language, 'results.unavailable'))], { kind: 'hand-back', reason: 'ehr_unavailable' });
    }
    const messages: MessageContent[] = [];
    for (const report of reports.reports) {
      const decided = decideRelease(report, policy);
      // Without a public link base no document can be fetched: say the result is ready instead.
      const decision = decided.release === 'document' && !this.deps.documents.enabled ? { release: 'announce' as const, rule: `${decided.rule}:no_document_links` } : decided;
      const view = resultViewOf(report, reports.observations);
      const resource = `DiagnosticReport/${report.id ?? ''}`;
      const date = view.date ? this.date(language, view.date) : '';
      switch (decision.release) {
        case 'document': {
          const pdf = await renderResultPdf(view, this.labels(language, date));
          const link = await this.deps.documents.put(tenantId, pdf);
          // No PHI in the file name or the caption: both show in notifications and file lists.
          messages.push({ $case: 'media', value: { kind: MediaKind.MEDIA_KIND_DOCUMENT, media: { id: '', link, filename: 'result.pdf', caption: this.t(language, 'results.document.caption') } } });
          await this.audit(event, verified, 'result.released.document', resource, decision.rule);
          break;
        }
        case 'summary':
          messages.push(textMessage(this.t(language, 'results.summary', { title: view.title, date, lines: summaryLines(view) })));
          await this.audit(event, verified, 'result.released.summary', resource, decision.rule);
          break;
        case 'announce': {
          const book = policy.bookingDepartmentId ? `sched:book:dept:${policy.bookingDepartmentId}` : 'menu:book';
          messages.push(buttonsMessage({ body: this.t(language, 'results.announce.body', { date }), buttons: [{ id: book, title: this.t(language, 'results.announce.button') }] }));
          await this.audit(event, verified, 'result.announced', resource, decision.rule);
          break;
        }
        case 'never':
          await this.audit(event, verified, 'result.withheld', resource, decision.rule);
          break;
      }
    }
    if (messages.length === 0) messages.push(textMessage(this.t(language, 'results.none')));
    const outcome: TurnOutcome = { kind: 'done', reason: 'results_answered' };
    await this.deps.responder.answer(event, messages, outcome);
  }

  private async recentReports(tenantId: string, verified: VerifiedPatient, policy: ResultsPolicy): Promise<RecentReports> {
    const connection = await this.deps.registry.connection(tenantId, verified.connectorId);
    if (!connection) throw new ConnectorGoneError('the connector the patient was verified against is gone or disabled');
    const since = new Date(Date.now() - policy.lookbackDays * 86_400_000).toISOString().slice(0, 10);
    const bundle = await connection.fhir.search<DiagnosticReport>('DiagnosticReport', {
      subject: `Patient/${verified.ehrPatientId}`,
      status: 'final,amended,corrected',
      date: `ge${since}`,
      _sort: '-date',
      _count: String(MAX_REPORTS),
      _include: 'DiagnosticReport:result',
    });
    const resources = (bundle.entry ?? []).map((e) => e.resource as Resource | undefined);
    const reports = resources.filter((r): r is DiagnosticReport => r?.resourceType === 'DiagnosticReport').slice(0, MAX_REPORTS);
    const observations = new Map<string, Observation>();
    for (const r of resources) if (r?.resourceType === 'Observation' && r.id) observations.set(`Observation/${r.id}`, r);
    return { reports, observations };
  }

  private audit(event: ReceivedEvent<SkillTurn>, verified: VerifiedPatient, action: EhrAuditAction, resource: string, reason: string): Promise<void> {
    const t = event.payload;
    return this.deps.audit.record(event.tenantId, auditEntryId(event.tenantId, t.turnId, action, resource), {
      contactId: t.contactId,
      patientId: verified.patientId,
      connectorId: verified.connectorId,
      resource,
      action,
      reason,
      turnId: t.turnId,
      at: new Date(),
    });
  }

  private labels(language: Language, date: string) {
    return {
      heading: this.t(language, 'pdf.heading'),
      date: this.t(language, 'pdf.date', { date }),
      test: this.t(language, 'pdf.test'),
      value: this.t(language, 'pdf.value'),
      range: this.t(language, 'pdf.range'),
      conclusion: this.t(language, 'pdf.conclusion'),
      footer: this.t(language, 'pdf.footer'),
    };
  }

  private date(language: Language, date: Date): string {
    return new Intl.DateTimeFormat(language, { dateStyle: 'long', timeZone: 'UTC' }).format(date);
  }

  private t(language: Language, key: Parameters<Catalog['t']>[1], values?: Record<string, string | number>): string {
    return this.deps.catalog.t(language, key, values);
  }
}

function summaryLines(view: ResultView): string {
  const lines = view.lines.map((l) => `• ${l.name}: ${l.value}${l.flag ? ` (${l.flag})` : ''}${l.range ? ` [${l.range}]` : ''}`);
  if (view.conclusion) lines.push(view.conclusion);
  return lines.join('\n');
}
