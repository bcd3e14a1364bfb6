import type { DiagnosticReport, MedicationRequest, Task } from '@medplum/fhirtypes';
import { SUPPORTED_LANGUAGES, WHATSAPP_LIMITS, whatsappElementOf } from '@careloop/i18n';
import { renderResultPdf } from '../src/adapters/result-pdf';
import { DEFAULT_REFILL_POLICY, isControlled, refillStatusOf } from '../src/domain/refill-policy';
import { decideRelease, type ResultsPolicy } from '../src/domain/results-policy';
import { resultViewOf } from '../src/domain/result-view';
import { Catalog } from '../src/i18n/catalog';

const report = (category: string, code: string): DiagnosticReport => ({
  resourceType: 'DiagnosticReport',
  id: 'r1',
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: category }] }],
  code: { coding: [{ system: 'http://loinc.org', code }] },
});

const policy: ResultsPolicy = {
  rules: [
    { match: 'LAB', release: 'document' },
    { match: '2345-7', release: 'never' },
    { match: 'RAD', release: 'announce' },
  ],
  otherwise: 'summary',
  bookingDepartmentId: '',
  lookbackDays: 90,
};

describe('results policy', () => {
  it('lets a report’s own code decide before its category', () => {
    expect(decideRelease(report('LAB', '2345-7'), policy)).toEqual({ release: 'never', rule: 'code:2345-7' });
    expect(decideRelease(report('LAB', '58410-2'), policy)).toEqual({ release: 'document', rule: 'category:LAB' });
    expect(decideRelease(report('RAD', '36643-5'), policy)).toEqual({ release: 'announce', rule: 'category:RAD' });
  });

  it('falls back to the tenant’s default, which is "never" when the tenant says nothing', () => {
    expect(decideRelease(report('GE', '51969-4'), policy)).toEqual({ release: 'summary', rule: 'default' });
    expect(decideRelease(report('GE', '51969-4'), { ...policy, rules: [], otherwise: 'never' })).toEqual({ release: 'never', rule: 'default' });
  });
});

describe('the result PDF', () => {
  const catalog = Catalog.load();
  const view = resultViewOf(
    { ...report('LAB', '58410-2'), code: { text: 'Общий анализ крови / Tam kan sayımı' }, result: [{ reference: 'Observation/o1' }], conclusion: 'Норма. Değerler normal sınırlarda.' },
    new Map([['Observation/o1', { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'Гемоглобин' }, valueQuantity: { value: 13.1, unit: 'g/dL' }, referenceRange: [{ low: { value: 11.5 }, high: { value: 15.5, unit: 'g/dL' } }] }]]),
  );

  it('reads values, units and ranges from the Observations', () => {
    expect(view.lines).toEqual([{ name: 'Гемоглобин', value: '13.1 g/dL', range: '11.5–15.5 g/dL', flag: '' }]);
  });

  it.each(SUPPORTED_LANGUAGES)('renders in %s with an embedded font that writes every script we speak', async (language) => {
    const t = (key: Parameters<typeof catalog.t>[1]) => catalog.t(language, key, { date: '2 Dec 2026' });
    const pdf = await renderResultPdf(view, { heading: t('pdf.heading'), date: t('pdf.date'), test: t('pdf.test'), value: t('pdf.value'), range: t('pdf.range'), conclusion: t('pdf.conclusion'), footer: t('pdf.footer') });
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.toString('latin1')).toMatch(/\/BaseFont \/[A-Z]{6}\+DejaVuSans/);
  });
});

describe('the ehr skill’s catalogue', () => {
  const catalog = Catalog.load();
  const values = { date: '28 de septiembre de 2026', title: 'Hemograma completo', lines: '• Hemoglobina: 13.1 g/dL', medication: 'Atorvastatina 20 mg comprimidos', pharmacy: 'Farmacia del Hospital Universitario', reason: 'Se necesita una consulta' };
  const overrides = { replyButtons: ['results.announce.button', 'refills.confirm.yes', 'refills.confirm.no'] };

  it.each(SUPPORTED_LANGUAGES)('fits WhatsApp’s limits in %s', (language) => {
    const tooLong = catalog.keys.flatMap((key) => {
      const element = whatsappElementOf(key, overrides);
      const text = catalog.t(language, key, values);
      return Array.from(text).length > WHATSAPP_LIMITS[element] ? [`${key} (${element}): ${text}`] : [];
    });
    expect(tooLong).toEqual([]);
  });
});

describe('refill status from the EHR’s Task', () => {
  const task = (status: Task['status'], businessStatus?: string): Task => ({ resourceType: 'Task', status, intent: 'order', ...(businessStatus ? { businessStatus: { coding: [{ code: businessStatus }] } } : {}) });

  it('maps the Task lifecycle to what the patient hears', () => {
    expect(refillStatusOf(task('requested'))).toBe('requested');
    expect(refillStatusOf(task('requested', 'clinician-review'))).toBe('clinician-review');
    expect(refillStatusOf(task('accepted'))).toBe('approved');
    expect(refillStatusOf(task('in-progress'))).toBe('in-progress');
    expect(refillStatusOf(task('completed'))).toBe('ready');
    expect(refillStatusOf(task('rejected'))).toBe('declined');
    expect(refillStatusOf(task('cancelled'))).toBe('declined');
  });

  it('marks a medication controlled by any of its codes', () => {
    const policy = { ...DEFAULT_REFILL_POLICY, controlledCodes: ['1049621'] };
    const request = (code: string): MedicationRequest => ({ resourceType: 'MedicationRequest', status: 'active', intent: 'order', subject: {}, medicationCodeableConcept: { coding: [{ system: 'http://www.whocc.no/atc', code: 'N02AA05' }, { system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code }] } });
    expect(isControlled(request('1049621'), policy)).toBe(true);
    expect(isControlled(request('617312'), policy)).toBe(false);
    expect(isControlled(request('1049621'), DEFAULT_REFILL_POLICY)).toBe(false);
  });
});
