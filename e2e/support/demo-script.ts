import { DateTime } from 'luxon';
import type { SimulatedPatient } from '@careloop/cloud-api-simulator';
import type { Language } from '@careloop/i18n';
import { waitFor } from '@careloop/testing';
import { Catalog as SchedulingCatalog } from '@careloop/scheduling/i18n/catalog';
import { Catalog as SurveyCatalog } from '@careloop/analytics/i18n/catalog';
import { Catalog as TriageCatalog } from '@careloop/triage/i18n/catalog';
import { Catalog as RoutingCatalog } from '@careloop/routing/i18n/catalog';
import { bodyOf, consentedPatient, expectMessage } from './conversation';
import { HOSPITAL_NAME, type Platform, type Report } from './platform';
import { MADRID } from './network';

const schedulingText = SchedulingCatalog.load();
const surveyText = SurveyCatalog.load();
const triageText = TriageCatalog.load();
const routingText = RoutingCatalog.load();

/** One scripted patient's conversation, as the phone showed it. */
export interface DemoStory {
  readonly journey: 'booking' | 'emergency' | 'handover and survey' | 'opt-out';
  readonly patient: string;
  readonly language: Language;
  /** The simulator's transcript (patient ← / bot →, UTC times). */
  readonly transcript: string;
}

export interface DemoRun {
  readonly stories: readonly DemoStory[];
  readonly reports: Readonly<Record<'conversations' | 'messaging' | 'csat', Report>>;
}

/**
 * `npm run demo`'s script: four patients in four languages at the same time — a booking in
 * Spanish, chest pain in German, a handover to a person and the survey after it in English, and
 * STOP in Turkish — then analytics' reports for today. Runs on any platform of e2e/support
 * (its own under `npm run demo`, the journeys' one in the e2e smoke test); the network must be
 * seeded (support/network.ts).
 */
export async function runDemo(platform: Platform): Promise<DemoRun> {
  const stories = await Promise.all([booking(platform), emergency(platform), handover(platform), optOut(platform)]);
  const today = DateTime.now().setZone(MADRID);
  const period = { from: today.minus({ days: 1 }).toISODate() ?? '', to: today.plus({ days: 1 }).toISODate() ?? '' };
  // Analytics consumes asynchronously: the survey answer is in once the CSAT report counts a response.
  const csat = await waitFor('the survey answer in the CSAT report', async () => {
    const report = await platform.report('csat', period);
    return (report.total.values['responses'] ?? 0) > 0 ? report : undefined;
  }, 45_000);
  return {
    stories,
    reports: { conversations: await platform.report('conversations', period), messaging: await platform.report('messaging', period), csat },
  };
}

const story = (journey: DemoStory['journey'], patient: SimulatedPatient, language: Language): DemoStory => ({
  journey,
  patient: patient.profileName,
  language,
  transcript: patient.renderTranscript({ statuses: false, businessName: HOSPITAL_NAME }),
});

/** Lucía books general practice: department, first available doctor, the first slot, confirm. */
async function booking(platform: Platform): Promise<DemoStory> {
  const patient = await consentedPatient(platform, 'Lucía', 'es');
  await patient.replyList('menu:book');
  await expectMessage(patient, (m) => m.listRows.some((r) => r.id === 'sched:dep:general-practice'), 'the departments');
  await patient.replyList('sched:dep:general-practice');
  await expectMessage(patient, (m) => m.listRows.some((r) => r.id === 'sched:pr:any'), 'the doctors');
  await patient.replyList('sched:pr:any');
  const slots = await expectMessage(patient, (m) => m.listRows.some((r) => r.id.startsWith('sched:slot:')), 'the free slots');
  await patient.replyList(slots.listRows.find((r) => r.id.startsWith('sched:slot:'))?.id ?? '');
  const confirm = await expectMessage(patient, (m) => m.buttons.some((b) => b.id.startsWith('sched:ok:')), 'the confirmation question');
  await patient.replyButton(confirm.buttons.find((b) => b.id.startsWith('sched:ok:'))?.id ?? '');
  const done = schedulingText.t('es', 'book.done.body', { date: '', time: '', practitioner: '', department: '', facility: '', address: '' }).slice(0, 20);
  await expectMessage(patient, (m) => bodyOf(m).startsWith(done), 'the booking confirmation');
  return story('booking', patient, 'es');
}

/** Jonas has chest pain and is sweating: triage escalates at once. */
async function emergency(platform: Platform): Promise<DemoStory> {
  const patient = await consentedPatient(platform, 'Jonas', 'de');
  await patient.replyList('menu:symptoms');
  await expectMessage(patient, () => true, 'triage’s first question');
  await patient.sendText('Ich habe Schmerzen in der Brust und schwitze stark');
  await expectMessage(patient, (m) => bodyOf(m).includes(triageText.t('de', 'emergency.call', { number: '112' })), 'the emergency advice');
  return story('emergency', patient, 'de');
}

/** Emma asks for a person; an agent answers from the inbox and closes; the survey follows. */
async function handover(platform: Platform): Promise<DemoStory> {
  const patient = await consentedPatient(platform, 'Emma', 'en');
  const contactId = await platform.contactIdOf(patient);
  await patient.sendText('Can I talk to a person about my bill?');
  const agent = platform.agentToken({ sub: 'demo-agent', role: 'supervisor' });
  const conversation = await waitFor('Emma’s conversation in the queue', async () => {
    const list = (await platform.inbox('/inbox/conversations?status=queued', agent)).json['conversations'] as { id: string; contactId: string }[] | undefined;
    return list?.find((c) => c.contactId === contactId);
  }, 30_000);
  const reply = 'Hello Emma, this is Sam from patient accounts. I can help with your bill.';
  await platform.inbox(`/inbox/conversations/${conversation.id}/replies`, agent, { method: 'POST', body: { text: reply } });
  await expectMessage(patient, (m) => bodyOf(m) === reply, 'the agent’s reply');
  await patient.sendText('Thank you, that is all.');
  // As an agent would: close once the patient's last word is in the conversation. Closing first
  // sends that word to the bot instead, whose two extra answers use up most of the patient's
  // pair-rate burst; the simulator (Meta's pair rule) then held the survey's thanks back 75 s in a
  // failing run, past the 60-s wait below.
  await waitFor('Emma’s last message in the inbox', async () => {
    const history = (await platform.inbox(`/inbox/conversations/${conversation.id}`, agent)).json['history'];
    return JSON.stringify(history ?? []).includes('that is all') ? true : undefined;
  }, 30_000);
  await platform.inbox(`/inbox/conversations/${conversation.id}/close`, agent, { method: 'POST', body: {} });
  const survey = await expectMessage(patient, (m) => m.listRows.some((r) => r.id.startsWith('survey:rate:')), 'the survey');
  await patient.replyList(survey.listRows[0]?.id ?? '');
  await expectMessage(patient, (m) => bodyOf(m) === surveyText.t('en', 'survey.comment.ask'), 'the question for a comment');
  await patient.sendText('Quick and friendly, thanks');
  await expectMessage(patient, (m) => bodyOf(m) === surveyText.t('en', 'survey.thanks'), 'the thanks');
  return story('handover and survey', patient, 'en');
}

/** Ayşe writes DUR (Turkish STOP): one confirmation, then silence. */
async function optOut(platform: Platform): Promise<DemoStory> {
  const patient = await consentedPatient(platform, 'Ayşe', 'tr');
  await patient.sendText('DUR');
  await expectMessage(patient, (m) => bodyOf(m) === routingText.t('tr', 'optout.confirmed'), 'the opt-out confirmation');
  return story('opt-out', patient, 'tr');
}

/** A report's figures as lines: the totals, then one line per row. */
export function renderReport(name: string, report: Report): string {
  const values = (v: Record<string, number | null>) =>
    Object.entries(v)
      .map(([k, x]) => `${k} ${x === null ? '–' : Number.isInteger(x) ? x : x.toFixed(2)}`)
      .join(', ');
  return [`${name}: ${values(report.total.values)}`, ...report.rows.map((r) => `  ${r.key}: ${values(r.values)}`)].join('\n');
}
