import type { DiagnosticReport } from '@medplum/fhirtypes';
import { SUPPORTED_LANGUAGES } from '@careloop/i18n';
import { renderResultPdf } from '../src/adapters/result-pdf';
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
