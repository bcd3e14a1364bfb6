import * as grpc from '@grpc/grpc-js';
import { triage, TriageAcuity } from '@careloop/contracts';
import { isLanguage } from '@careloop/i18n';
import type { Logger } from '@careloop/observability';
import type { GrpcServiceRegistration } from '@careloop/service-kit';
import type { Acuity } from '../../domain/acuity';
import type { AnswerValue } from '../../domain/protocol';
import type { ProtocolLibrary } from '../../protocols/protocol-library';
import type { AssessMessage } from '../../use-cases/assess-message';
import { DESCRIPTION } from '../../use-cases/handle-triage-turn';
import type { AssessmentStore } from '../assessment-store';

/** WhatsApp caps a text at 4096 characters; anything longer is not a patient's message. */
const MAX_TEXT = 4096;

const ACUITY: Record<Acuity, TriageAcuity> = {
  emergency: TriageAcuity.ACUITY_EMERGENCY,
  urgent: TriageAcuity.ACUITY_URGENT,
  soon: TriageAcuity.ACUITY_SOON,
  routine: TriageAcuity.ACUITY_ROUTINE,
  'self-care': TriageAcuity.ACUITY_SELF_CARE,
};

class InvalidArgument extends Error {
  override readonly name = 'InvalidArgument';
}

/** `careloop.triage.v1.TriageService`: Assess (screen one message) and GetAssessment (answers for the EHR). */
export function triageGrpcService(deps: { assess: AssessMessage; store: AssessmentStore; library: ProtocolLibrary; logger: Logger }): GrpcServiceRegistration {
  const fail = (callback: grpc.sendUnaryData<never>, error: unknown, method: string) => {
    if (error instanceof InvalidArgument) {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: error.message });
      return;
    }
    deps.logger.error({ err: { name: error instanceof Error ? error.name : 'Error' }, method }, 'triage gRPC call failed');
    callback({ code: grpc.status.INTERNAL, details: 'internal error' });
  };

  const implementation: triage.TriageServiceServer = {
    assess: (call, callback) => {
      try {
        const { text, language, facilityId } = call.request;
        if (text.trim() === '') throw new InvalidArgument('text is required');
        if (text.length > MAX_TEXT) throw new InvalidArgument(`text is longer than ${MAX_TEXT} characters`);
        if (!isLanguage(language)) throw new InvalidArgument('language must be one of en, es, de, fr, tr, ru');
        const a = deps.assess.execute(text, language, facilityId);
        callback(null, {
          emergency: a.emergency,
          redFlags: a.flags.map((f) => ({ code: f.code, category: f.category, department: f.department, evidence: f.evidence.map((e) => ({ ...e })) })),
          negatedRedFlags: [...a.screening.negated],
          acuity: a.emergency ? TriageAcuity.ACUITY_EMERGENCY : TriageAcuity.ACUITY_UNSPECIFIED,
          department: a.department ?? '',
          suggestedProtocolId: a.complaint?.id ?? '',
          redFlagVersion: a.redFlagVersion,
          emergencyNumber: a.contacts.emergency,
          crisisLine: a.crisisLine ? a.contacts.crisis : '',
        });
      } catch (error) {
        fail(callback, error, 'Assess');
      }
    },
    getAssessment: (call, callback) => {
      const { tenantId, assessmentId } = call.request;
      if (!tenantId || !assessmentId) {
        callback({ code: grpc.status.INVALID_ARGUMENT, details: 'tenant_id and assessment_id are required' });
        return;
      }
      deps.store.get(tenantId, assessmentId).then(
        (a) => {
          if (!a) {
            callback({ code: grpc.status.NOT_FOUND, details: 'no such assessment' });
            return;
          }
          const protocol = a.protocolId ? deps.library.get(a.protocolId) : undefined;
          const textOf = (id: string) => (id === DESCRIPTION ? 'Description in the patient’s own words' : (protocol?.questions.find((q) => q.id === id)?.text.en ?? id));
          callback(null, triage.GetAssessmentResponse.fromPartial({
            assessmentId: a.id,
            contactId: a.contactId,
            conversationId: a.conversationId,
            status: a.status,
            acuity: a.acuity ? ACUITY[a.acuity] : TriageAcuity.ACUITY_UNSPECIFIED,
            department: a.department ?? '',
            redFlags: [...a.redFlags],
            protocolId: a.protocolId ?? '',
            protocolVersion: a.protocolVersion ?? '',
            language: a.language,
            answers: Object.entries(a.answers).map(([questionId, value]) => ({ questionId, questionText: textOf(questionId), value: answerValue(value) })),
            createdAt: a.createdAt,
            ...(a.decidedAt ? { decidedAt: a.decidedAt } : {}),
            patientIds: [...a.patientIds],
          }));
        },
        (error: unknown) => fail(callback, error, 'GetAssessment'),
      );
    },
  };
  return { name: 'careloop.triage.v1.TriageService', definition: triage.TriageServiceService, implementation, protoFile: 'careloop/triage/v1/triage.proto' };
}

function answerValue(v: AnswerValue): triage.Answer['value'] {
  switch (v.kind) {
    case 'choice':
      return { $case: 'choice', value: v.value };
    case 'number':
      return { $case: 'number', value: v.value };
    case 'text':
      return { $case: 'text', value: v.value };
    case 'unknown':
      return { $case: 'unknown', value: true };
  }
}
