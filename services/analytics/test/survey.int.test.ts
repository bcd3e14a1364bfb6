import { randomUUID } from 'node:crypto';
import { nameBasedId } from '@careloop/bus';
import {
  AppointmentChangeKind,
  AppointmentChanged,
  AppointmentStatus,
  BookingChannel,
  Channel,
  ConsentChanged,
  ConsentState,
  DispatchReason,
  InteractiveReplyKind,
  OutboundMessageCommand,
  SkillOutcome,
  SkillOutcomeKind,
  SkillTurn,
  Topics,
} from '@careloop/contracts';
import { infraEnv, TopicTap, waitFor, sleep } from '@careloop/testing';
import { startAnalytics, type AnalyticsUnderTest } from './support/analytics-harness';

const ENDPOINT = { channel: Channel.CHANNEL_WHATSAPP, endpointId: '1000001', displayAddress: '34910000001', accountId: '102290129340398' };
const DAY = '2026-03-10';

describe('the survey skill end to end (real Kafka and FerretDB)', () => {
  let a: AnalyticsUnderTest;
  let outbound: TopicTap<OutboundMessageCommand>;
  let outcomes: TopicTap<SkillOutcome>;

  beforeAll(async () => {
    a = await startAnalytics();
    const brokers = infraEnv().KAFKA_BROKERS;
    [outbound, outcomes] = await Promise.all([TopicTap.start(brokers, Topics.outboundCommand, [a.tenantId]), TopicTap.start(brokers, Topics.skillOutcome, [a.tenantId])]);
  });

  afterAll(async () => {
    await Promise.all([outbound.stop(), outcomes.stop()]);
    await a.stop();
  });

  const consent = (contactId: string, state: ConsentState) =>
    a.bus.publish(Topics.consentChanged, ConsentChanged.fromPartial({ contactId, state, purpose: 'care-messaging', source: 'button', changedAt: new Date(), language: 'es' }), { key: contactId, tenantId: a.tenantId });

  const appointment = (appointmentId: string, contactId: string, status: AppointmentStatus, version: number, recipient: string) => {
    const start = new Date(`${DAY}T09:00:00Z`);
    return a.bus.publish(
      Topics.appointmentChanged,
      AppointmentChanged.fromPartial({
        kind: status === AppointmentStatus.APPOINTMENT_STATUS_FULFILLED ? AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_FULFILLED : AppointmentChangeKind.APPOINTMENT_CHANGE_KIND_NO_SHOW,
        changedAt: new Date(),
        appointment: {
          appointmentId, tenantId: a.tenantId, facilityId: 'madrid-central', facilityTimeZone: 'Europe/Madrid', facilityName: 'Hospital Central', departmentId: 'cardiology', practitionerId: 'dr-1',
          start, end: new Date(start.getTime() + 1_800_000), status, version, contactId, patientId: `p-${contactId}`, bookingChannel: BookingChannel.BOOKING_CHANNEL_CHAT,
          endpoint: ENDPOINT, recipient: { channel: Channel.CHANNEL_WHATSAPP, channelUserId: recipient }, language: 'es', leadTimeSeconds: 86400 * 5,
          ...(status === AppointmentStatus.APPOINTMENT_STATUS_FULFILLED ? { fulfilledAt: new Date() } : { noShowAt: new Date() }),
        },
      }),
      { key: appointmentId, tenantId: a.tenantId, facilityId: 'madrid-central' },
    );
  };

  const turn = (contactId: string, recipient: string, content: { replyId: string } | { text: string }) => {
    const turnId = randomUUID();
    const message = 'replyId' in content
      ? { $case: 'interactiveReply' as const, value: { kind: InteractiveReplyKind.INTERACTIVE_REPLY_KIND_LIST, id: content.replyId, title: '4', description: '' } }
      : { $case: 'text' as const, value: { body: content.text } };
    return a.bus
      .publish(
        Topics.surveyTurn,
        SkillTurn.fromPartial({
          turnId, contactId, conversationId: `conv-${contactId}`, language: 'es', endpoint: ENDPOINT, recipient: { channel: Channel.CHANNEL_WHATSAPP, channelUserId: recipient },
          message: { messageId: `wamid.${turnId}`, content: message }, replyId: 'replyId' in content ? content.replyId : '',
          reason: 'replyId' in content ? DispatchReason.DISPATCH_REASON_REPLY_NAMESPACE : DispatchReason.DISPATCH_REASON_OWNER, windowOpen: true, receivedAt: new Date(), facilityId: 'madrid-central',
        }),
        { key: contactId, tenantId: a.tenantId, id: turnId },
      )
      .then(() => turnId);
  };

  const outcomeOf = async (turnId: string) => {
    await waitFor(`the outcome of turn ${turnId}`, () => outcomes.received().some((o) => o.payload.turnId === turnId), 30_000);
    return outcomes.received().find((o) => o.payload.turnId === turnId)?.payload.kind;
  };

  it('fulfilled appointment → one-tap survey → rating 4 + comment → CSAT report updated; comments only for csat-reader, audited', async () => {
    const contactId = `contact-${randomUUID()}`;
    const appointmentId = `appt-${randomUUID()}`;
    const recipient = `34600${Math.floor(100000 + Math.random() * 899999)}`;
    const surveyId = nameBasedId(a.tenantId, 'survey', 'appointment', appointmentId);
    await consent(contactId, ConsentState.CONSENT_STATE_OPTED_IN);
    await sleep(500);
    await appointment(appointmentId, contactId, AppointmentStatus.APPOINTMENT_STATUS_FULFILLED, 2, recipient);

    await waitFor('the survey command', () => outbound.received().some((e) => e.payload.commandId === surveyId), 40_000);
    const survey = outbound.received().find((e) => e.payload.commandId === surveyId)?.payload;
    expect(survey?.content?.$case).toBe('interactiveList');
    if (survey?.content?.$case !== 'interactiveList') throw new Error('not a list');
    expect(survey.content.value.body).toContain('Hospital Central');
    expect(survey.content.value.sections[0]?.rows.map((r) => r.id)).toEqual([5, 4, 3, 2, 1].map((n) => `survey:rate:${surveyId}:${n}`));
    expect(survey.to?.channelUserId).toBe(recipient);
    expect(survey.templateFallback?.name).toBe('careloop_visit_survey');
    expect(survey.requestedBy).toBe('survey');

    const rated = await turn(contactId, recipient, { replyId: `survey:rate:${surveyId}:4` });
    expect(await outcomeOf(rated)).toBe(SkillOutcomeKind.SKILL_OUTCOME_KIND_CONTINUE);
    const askComment = outbound.received().find((e) => e.meta.causationId === rated)?.payload;
    expect(askComment?.content?.$case).toBe('replyButtons');

    const comment = 'Muy amable, excelente atención';
    const commented = await turn(contactId, recipient, { text: comment });
    expect(await outcomeOf(commented)).toBe(SkillOutcomeKind.SKILL_OUTCOME_KIND_DONE);

    const analyst = a.token('analyst');
    const query = `/v1/reports/csat?from=${DAY}&to=${DAY}&group_by=facility`;
    await waitFor('the CSAT report to count the answer', async () => {
      const r = await a.get(query, analyst);
      return (r.json['total'] as { values: Record<string, number> } | undefined)?.values['comments'] === 1;
    }, 30_000);
    const report = await a.get(query, analyst);
    expect(report.status).toBe(200);
    expect((report.json['total'] as { values: Record<string, unknown> }).values).toMatchObject({ surveys_sent: 1, responses: 1, csat: 1, rating_4: 1, average_rating: 4, comments: 1, comments_positive: 1 });
    expect(report.text).not.toContain(comment);
    expect(report.text).not.toContain(recipient);

    // The comment is sealed in the store: neither the text nor the phone number is there in clear.
    const stored = await a.running.context.mongo?.collection('surveys').findOne({ _id: surveyId as never });
    expect(JSON.stringify(stored)).not.toContain(comment);
    expect(JSON.stringify(stored)).not.toContain(recipient);

    // Analysts get counts only; a csat-reader reads comments, and the read is audited.
    expect((await a.get('/v1/comments', analyst)).status).toBe(403);
    const reader = await a.get('/v1/comments', a.token('csat-reader', a.tenantId, 'reader-7'));
    expect(reader.status).toBe(200);
    expect((reader.json['comments'] as { comment: string; rating: number }[]).map((c) => [c.comment, c.rating])).toEqual([[comment, 4]]);
    const audit = await a.running.context.mongo?.collection('audit_log').find({ tenantId: a.tenantId, actor: 'reader-7' }).toArray();
    expect(audit?.map((e) => String(e['action']))).toEqual(['read-survey-comments']);

    // Another tenant's report: refused by name, and a token of another tenant sees none of it.
    expect((await a.get(`${query}&tenant=someone-else`, analyst)).status).toBe(403);
    const other = await a.get(query, a.token('analyst', 'someone-else'));
    expect((other.json['total'] as { values: Record<string, unknown> }).values['responses']).toBe(0);
    expect((await a.get(query, 'not-a-token')).status).toBe(401);

    // Exports.
    const csv = await a.get(`${query}&format=csv`, analyst);
    expect(csv.text.split('\n')[0]).toMatch(/^facility,surveys_sent,responses,response_rate,csat/);
    expect(csv.text).toContain('madrid-central,1,1,1,1,');
    const ndjson = await a.get(`${query}&format=ndjson`, analyst);
    expect(ndjson.text.trim().split('\n').map((l) => (JSON.parse(l) as { key: string }).key)).toEqual(['madrid-central', '(total)']);
  });

  it('an opted-out patient gets no survey; a no-show shows in the no-show report', async () => {
    const contactId = `contact-${randomUUID()}`;
    const appointmentId = `appt-${randomUUID()}`;
    const missedId = `appt-${randomUUID()}`;
    const recipient = `34611${Math.floor(100000 + Math.random() * 899999)}`;
    const surveyId = nameBasedId(a.tenantId, 'survey', 'appointment', appointmentId);
    await consent(contactId, ConsentState.CONSENT_STATE_OPTED_OUT);
    await sleep(500);
    await appointment(appointmentId, contactId, AppointmentStatus.APPOINTMENT_STATUS_FULFILLED, 2, recipient);
    await appointment(missedId, contactId, AppointmentStatus.APPOINTMENT_STATUS_NOSHOW, 2, recipient);

    const surveys = a.running.context.mongo?.collection('surveys');
    await waitFor('the survey to be skipped', async () => (await surveys?.findOne({ _id: surveyId as never }))?.['status'] === 'skipped', 30_000);
    expect((await surveys?.findOne({ _id: surveyId as never }))?.['skipReason']).toBe('no-consent');
    await sleep(1_500);
    expect(outbound.received().filter((e) => e.payload.commandId === surveyId)).toEqual([]);

    const analyst = a.token('analyst');
    await waitFor('the no-show report', async () => {
      const r = await a.get(`/v1/reports/no-show?from=${DAY}&to=${DAY}`, analyst);
      return (r.json['total'] as { values: Record<string, number> } | undefined)?.values['no_shows'] === 1;
    }, 30_000);
    const r = await a.get(`/v1/reports/no-show?from=${DAY}&to=${DAY}&group_by=reminder_outcome`, analyst);
    expect((r.json['rows'] as { key: string; values: Record<string, number> }[]).map((row) => [row.key, row.values['appointments'], row.values['no_shows']])).toEqual([['none', 3, 1]]);
  });
});
