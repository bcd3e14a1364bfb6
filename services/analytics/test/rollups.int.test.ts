import type { Connection } from 'mongoose';
import { connectMongo } from '@careloop/store';
import { infraEnv, uniqueName } from '@careloop/testing';
import { FactTables } from '../src/adapters/fact-tables';
import { BuildReport } from '../src/use-cases/build-report';
import { parseReportQuery, REMINDER_OUTCOMES_FOR_TEST } from './support/report-helpers';
import { applyHistory } from '../src/generator/apply-history';
import { generateHistory, historyCells, OUTCOME_SHARES, shuffled, truthOf, type Cell } from '../src/generator/synthetic-history';

const TENANT = 'synthetic-network';
const PARAMETERS = { appointments: 160, seed: 42, tenantId: TENANT, start: new Date('2026-03-02T00:00:00Z'), days: 28 };
const PERIOD = { from: '2026-03-01', to: '2026-04-30' };

describe('rollups from a synthetic history with a known truth (real FerretDB)', () => {
  const connections: Connection[] = [];
  const { cells, events } = generateHistory(PARAMETERS);

  async function freshFacts(): Promise<{ facts: FactTables; reports: BuildReport }> {
    const connection = await connectMongo({ uri: infraEnv().MONGODB_URI, dbName: uniqueName('analytics_test').replace(/-/g, '_') });
    connections.push(connection);
    const facts = new FactTables(connection);
    await facts.init();
    return { facts, reports: new BuildReport(facts) };
  }

  const report = (reports: BuildReport, name: string, groupBy?: string, filters: Record<string, string> = {}) =>
    reports.execute(TENANT, parseReportQuery({ report: name, ...PERIOD, ...(groupBy ? { groupBy } : {}), filters }));

  afterAll(async () => {
    for (const c of connections) {
      await c.dropDatabase().catch(() => undefined);
      await c.close();
    }
  });

  it('the generator parameters define the truth: 12% no-shows overall, fewer with a read or confirmed reminder', () => {
    // At 800 appointments (and multiples) every cell count is exact, so the rates are the parameters.
    const truth = truthOf(historyCells(800));
    expect(truth.appointments).toBe(800);
    // 0.2·0.2 + 0.1·0.2 + 0.2·0.1 + 0.3·0.1 + 0.2·0.05 = 0.12
    expect(truth.noShows).toBe(96);
    const none = truthOf(historyCells(800), (c) => c.reminderOutcome === 'none');
    const read = truthOf(historyCells(800), (c) => c.reminderOutcome === 'read');
    expect(none.noShows / none.appointments).toBeCloseTo(OUTCOME_SHARES.none.noShowRate, 12);
    expect(read.noShows / read.appointments).toBeCloseTo(OUTCOME_SHARES.read.noShowRate, 12);
  });

  let inOrder: { no: unknown; byOutcome: unknown; byFacility: unknown; csat: unknown; csatByPractitioner: unknown };

  it('reports equal the known truth exactly, replaying the stream changes nothing, and shuffled delivery gives the same numbers', async () => {
    const { facts, reports } = await freshFacts();
    await applyHistory(facts, TENANT, events);
    const truth = truthOf(cells);

    const total = await report(reports, 'no-show');
    expect(total.total.values).toMatchObject({
      appointments: truth.appointments,
      no_shows: truth.noShows,
      attended: truth.appointments - truth.noShows,
      open: 0,
      late_cancellations: truth.lateCancellations,
      early_cancellations: truth.earlyCancellations,
      no_show_rate: truth.noShows / truth.appointments,
      late_cancellation_rate: truth.lateCancellations / (truth.appointments + truth.lateCancellations),
    });

    const byOutcome = await report(reports, 'no-show', 'reminder_outcome');
    expect(byOutcome.rows.map((r) => r.key)).toEqual([...REMINDER_OUTCOMES_FOR_TEST]);
    for (const row of byOutcome.rows) {
      const t = truthOf(cells, (c: Cell) => c.reminderOutcome === row.key);
      expect([row.key, row.values['appointments'], row.values['no_shows']]).toEqual([row.key, t.appointments, t.noShows]);
    }
    const rateOf = (key: string) => byOutcome.rows.find((r) => r.key === key)?.values['no_show_rate'];
    const cellRate = (key: string) => {
      const t = truthOf(cells, (c) => c.reminderOutcome === key);
      return t.noShows / t.appointments;
    };
    for (const key of ['none', 'read', 'confirmed']) expect([key, rateOf(key)]).toEqual([key, cellRate(key)]);
    // The effect the history was built with: a read reminder, fewer no-shows.
    expect(rateOf('read') ?? 1).toBeLessThan(rateOf('none') ?? 0);

    const byFacility = await report(reports, 'no-show', 'facility', { department: 'cardiology' });
    for (const row of byFacility.rows) {
      const t = truthOf(cells, (c) => c.facilityId === row.key && c.departmentId === 'cardiology');
      expect([row.key, row.values['appointments'], row.values['no_shows']]).toEqual([row.key, t.appointments, t.noShows]);
    }

    // Every other slicing adds up to the same total.
    for (const dimension of ['weekday', 'hour', 'lead_time', 'booking_channel', 'day', 'practitioner']) {
      const sliced = await report(reports, 'no-show', dimension);
      const sum = sliced.rows.reduce((acc, r) => acc + (r.values['no_shows'] ?? 0), 0);
      expect([dimension, sum]).toEqual([dimension, truth.noShows]);
    }

    const csat = await report(reports, 'csat');
    expect(csat.total.values).toMatchObject({
      surveys_sent: truth.surveysSent,
      responses: truth.responses,
      response_rate: truth.responses / truth.surveysSent,
      csat: truth.satisfied / truth.responses,
      rating_1: truth.ratings[0],
      rating_2: truth.ratings[1],
      rating_3: truth.ratings[2],
      rating_4: truth.ratings[3],
      rating_5: truth.ratings[4],
      comments: truth.comments,
      comments_positive: truth.positive,
      comments_negative: truth.negative,
    });
    expect(csat.total.values['sentiment_average']).toBeCloseTo(truth.sentimentSum / truth.comments, 10);
    const csatByPractitioner = await report(reports, 'csat', 'practitioner', { facility: 'nyc-east' });
    for (const row of csatByPractitioner.rows) {
      const t = truthOf(cells, (c) => c.practitionerId === row.key && c.facilityId === 'nyc-east');
      expect([row.key, row.values['responses'], row.values['csat']]).toEqual([row.key, t.responses, t.satisfied / t.responses]);
    }
    inOrder = { no: total, byOutcome, byFacility, csat, csatByPractitioner };

    // Replay: the same events again, in another order.
    await applyHistory(facts, TENANT, shuffled(events, 1));
    expect(await report(reports, 'no-show')).toEqual(inOrder.no);
    expect(await report(reports, 'no-show', 'reminder_outcome')).toEqual(inOrder.byOutcome);
    expect(await report(reports, 'csat')).toEqual(inOrder.csat);

    // Out of order into an empty store: no-shows before their reminders' read statuses, ratings before "sent".
    const other = await freshFacts();
    await applyHistory(other.facts, TENANT, shuffled(events, 99), { concurrency: 32 });
    expect(await report(other.reports, 'no-show')).toEqual(inOrder.no);
    expect(await report(other.reports, 'no-show', 'reminder_outcome')).toEqual(inOrder.byOutcome);
    expect(await report(other.reports, 'no-show', 'facility', { department: 'cardiology' })).toEqual(inOrder.byFacility);
    expect(await report(other.reports, 'csat')).toEqual(inOrder.csat);
    expect(await report(other.reports, 'csat', 'practitioner', { facility: 'nyc-east' })).toEqual(inOrder.csatByPractitioner);
  });

  it('reports never cross tenants', async () => {
    const { facts, reports } = await freshFacts();
    await applyHistory(facts, TENANT, events.slice(0, 100));
    const elsewhere = await reports.execute('another-network', parseReportQuery({ report: 'no-show', ...PERIOD }));
    expect(elsewhere.total.values['appointments']).toBe(0);
    expect(elsewhere.total.values['no_show_rate']).toBeNull();
  });
});
