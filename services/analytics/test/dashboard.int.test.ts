import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { repoRoot } from '@careloop/testing';
import { FactTables } from '../src/adapters/fact-tables';
import { applyHistory } from '../src/generator/apply-history';
import { generateHistory, truthOf } from '../src/generator/synthetic-history';
import { startAnalytics, type AnalyticsUnderTest } from './support/analytics-harness';

/** Debian's chromium, installed by the project's ensure script (cached); a clear failure if it cannot be. */
function ensureChromium(): string {
  try {
    return execFileSync('bash', [join(repoRoot(), 'services', 'analytics', 'tools', 'ensure-chromium.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 }).trim();
  } catch (cause) {
    throw new Error('Debian chromium is needed for the dashboard test and could not be installed (services/analytics/tools/ensure-chromium.sh)', { cause });
  }
}

describe('the dashboard in a real browser (headless Debian chromium)', () => {
  let a: AnalyticsUnderTest;
  let browser: Browser | undefined;

  beforeAll(async () => {
    const executablePath = ensureChromium();
    a = await startAnalytics({ SURVEY_ENABLED: 'false' });
    const mongo = a.running.context.mongo;
    if (!mongo) throw new Error('no MongoDB');
    const facts = new FactTables(mongo);
    await applyHistory(facts, a.tenantId, generateHistory({ appointments: 160, seed: 5, tenantId: a.tenantId, start: new Date('2026-03-02T00:00:00Z'), days: 28 }).events);
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await a.stop();
  });

  it('shows the CSAT and no-show charts, and a facility filter changes the values', async () => {
    if (!browser) throw new Error('no browser');
    const { cells } = generateHistory({ appointments: 160, seed: 5, tenantId: a.tenantId, start: new Date('2026-03-02T00:00:00Z'), days: 28 });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
    await page.goto(`${a.baseUrl}/dashboard#token=${a.token('analyst')}&from=2026-03-01&to=2026-04-30`);
    await page.waitForSelector('body[data-loads="1"]', { timeout: 30_000 }).catch(async (error: unknown) => {
      throw new Error(`dashboard did not load: ${(await page.textContent('#status')) ?? ''} ${problems.join('; ')}`, { cause: error });
    });
    expect(problems).toEqual([]);

    const all = truthOf(cells);
    expect(await page.textContent('#kpi-due')).toBe(String(all.appointments));
    const labels = async (id: string) => JSON.parse((await page.getAttribute(`#${id}`, 'data-labels')) ?? '[]') as string[];
    const values = async (id: string) => JSON.parse((await page.getAttribute(`#${id}`, 'data-values')) ?? '[]') as (number | null)[];
    expect(await labels('chart-noshow-facility')).toEqual(['madrid-central', 'nyc-east']);
    expect(await labels('chart-noshow-outcome')).toEqual(['none', 'sent', 'delivered', 'read', 'confirmed']);
    const facilitiesBefore = await values('chart-noshow-facility');
    expect(facilitiesBefore).toHaveLength(2);

    await page.fill('#facility', 'nyc-east');
    await page.click('#apply');
    await page.waitForSelector('body[data-loads="2"]', { timeout: 30_000 });

    const nyc = truthOf(cells, (c) => c.facilityId === 'nyc-east');
    expect(await page.textContent('#kpi-due')).toBe(String(nyc.appointments));
    expect(await labels('chart-noshow-facility')).toEqual(['nyc-east']);
    const pct = (n: number, d: number) => Math.round((n / d) * 1000) / 10;
    expect(await page.textContent('#kpi-csat')).toBe(`${pct(nyc.satisfied, nyc.responses)}%`);
    const after = await values('chart-noshow-outcome');
    const expected = ['none', 'sent', 'delivered', 'read', 'confirmed'].map((o) => {
      const t = truthOf(cells, (c) => c.facilityId === 'nyc-east' && c.reminderOutcome === o);
      return pct(t.noShows, t.appointments);
    });
    expect(after).toEqual(expected);
    const nycRate = pct(nyc.noShows, nyc.appointments);
    expect(await values('chart-noshow-facility')).toEqual([nycRate]);
    expect(facilitiesBefore).toContain(nycRate);

    const dir = join(repoRoot(), 'reports');
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: join(dir, 'analytics-dashboard.png'), fullPage: true });
  });
});
