import type { QuestionnaireResponse } from '@medplum/fhirtypes';
import type { Connection } from '../adapters/connector-registry';
import { VersionConflictError } from '../adapters/fhir/fhir-client';
import { TransientFhirError } from '../domain/errors';
import { sameAnswers } from '../domain/questionnaire-response-mapping';
import { assertValidR4 } from '../domain/r4-validation';

const CONFLICT_ATTEMPTS = 5;

export type QuestionnaireOutcome = 'created' | 'amended' | 'unchanged';

/**
 * One QuestionnaireResponse per identifier: a conditional create the first time (a replay gets
 * the existing one back); later, an update with If-Match only when the source is newer and the
 * answers differ, marked amended as R4 asks of a response changed after completion.
 */
export async function writeQuestionnaireResponse(connection: Connection, desired: QuestionnaireResponse, upToDate: (existing: QuestionnaireResponse) => boolean): Promise<QuestionnaireOutcome> {
  const id = desired.identifier;
  if (!id?.system || !id.value) throw new Error('a QuestionnaireResponse without our identifier');
  const condition = `identifier=${encodeURIComponent(id.system)}|${encodeURIComponent(id.value)}`;
  for (let attempt = 1; attempt <= CONFLICT_ATTEMPTS; attempt++) {
    let existing = attempt === 1 ? undefined : await find(connection, `${id.system}|${id.value}`);
    if (!existing) {
      const { resource, created } = await connection.fhir.create(desired, condition);
      if (created) return 'created';
      existing = resource;
    }
    if (upToDate(existing) || sameAnswers(existing, desired)) return 'unchanged';
    if (!existing.id) throw new TransientFhirError('the server returned a QuestionnaireResponse without id', undefined);
    const amended = assertValidR4({ ...desired, id: existing.id, status: desired.status === 'completed' ? 'amended' : desired.status });
    try {
      await connection.fhir.update({ ...amended, id: existing.id }, existing.meta?.versionId);
      return 'amended';
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }
  throw new TransientFhirError(`QuestionnaireResponse kept changing under ${CONFLICT_ATTEMPTS} version-aware updates`, 412);
}

async function find(connection: Connection, identifier: string): Promise<QuestionnaireResponse | undefined> {
  const bundle = await connection.fhir.search<QuestionnaireResponse>('QuestionnaireResponse', { identifier, _count: '1' });
  return bundle.entry?.[0]?.resource;
}
