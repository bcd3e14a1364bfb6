import { AppointmentStatus, BookingChannel, Channel, scheduling } from '@careloop/contracts';
import { appointmentFact, attendanceClass, leadTimeBand } from '../src/domain/appointment-fact';
import { inQuietHours, localBuckets } from '../src/domain/local-time';
import { outcomeOfState, outcomeRank, REMINDER_OUTCOMES } from '../src/domain/reminder-outcome';
import { InvalidReportQueryError, parseReportQuery, percentile, rate, REPORTS, storedFilterValue } from '../src/domain/reports';
import { parseSurveyReply, rateReplyId, skipReplyId } from '../src/domain/survey';
import { sentimentOf } from '../src/domain/sentiment';

const HOUR = 3_600_000;
const start = new Date('2026-03-10T10:00:00Z');

describe('no-show classification', () => {
  it('counts booked, arrived, fulfilled and no-show as due; cancellations by notice; the rest excluded', () => {
    const notice = 24 * 3600;
    const cls = (status: AppointmentStatus, cancelledAt?: Date) => attendanceClass({ status, start, cancelledAt }, notice);
    expect(cls(AppointmentStatus.APPOINTMENT_STATUS_BOOKED)).toBe('open');
    expect(cls(AppointmentStatus.APPOINTMENT_STATUS_ARRIVED)).toBe('attended');
    expect(cls(AppointmentStatus.APPOINTMENT_STATUS_FULFILLED)).toBe('attended');
    expect(cls(AppointmentStatus.APPOINTMENT_STATUS_NOSHOW)).toBe('no-show');
    expect(cls(AppointmentStatus.APPOINTMENT_STATUS_CANCELLED, new Date(start.getTime() - 2 * HOUR))).toBe('late-cancel');
    expect(cls(AppointmentStatus.APPOINTMENT_STATUS_CANCELLED, new Date(start.getTime() - 48 * HOUR))).toBe('early-cancel');
    expect(cls(AppointmentStatus.APPOINTMENT_STATUS_CANCELLED, new Date(start.getTime() - 24 * HOUR))).toBe('early-cancel');
    expect(cls(AppointmentStatus.APPOINTMENT_STATUS_ENTERED_IN_ERROR)).toBe('excluded');
    expect(cls(AppointmentStatus.APPOINTMENT_STATUS_PROPOSED)).toBe('excluded');
  });

  it('buckets lead times in whole-day bands', () => {
    expect([0, 23, 24, 71, 72, 191, 192, 743, 744].map((h) => leadTimeBand(h * 3600))).toEqual(['same-day', 'same-day', '1-2d', '1-2d', '3-7d', '3-7d', '8-30d', '8-30d', '31d+']);
  });

  it('keeps no PHI in a fact and buckets in the facility time zone', () => {
    const fact = appointmentFact(
      scheduling.Appointment.fromPartial({
        appointmentId: 'a1', tenantId: 't', facilityId: 'nyc-east', facilityTimeZone: 'America/New_York', departmentId: 'cardio', practitionerId: 'dr-1', serviceType: 'consultation',
        start: new Date('2026-03-10T03:30:00Z'), status: AppointmentStatus.APPOINTMENT_STATUS_NOSHOW, version: 3, patientId: 'p', contactId: 'c',
        bookingChannel: BookingChannel.BOOKING_CHANNEL_CHAT, endpoint: { channel: Channel.CHANNEL_WHATSAPP, endpointId: '1', displayAddress: '', accountId: '' },
        recipient: { channel: Channel.CHANNEL_WHATSAPP, channelUserId: '34600111222', phoneE164: '+34600111222', businessScopedUserId: '', profileName: 'Lucía', username: '' },
        language: 'es', leadTimeSeconds: 3 * 86400, cancellationReason: '', rescheduleCount: 0, slotId: 's', waitlistEntryId: '', externalIds: [],
        facilityName: 'NYC East', departmentName: 'Cardiology', practitionerName: 'Dr. House', facilityAddress: '1 Main St',
      }),
      86400,
    );
    // 03:30 UTC is 23:30 the evening before in New York (EDT from 8 March).
    expect([fact.day, fact.weekday, fact.hour]).toEqual(['2026-03-09', 1, 23]);
    expect(JSON.stringify(fact)).not.toMatch(/34600111222|Lucía|House|Main St/);
    expect(fact).toMatchObject({ due: 1, noShow: 1, bookingChannel: 'whatsapp', leadTimeBand: '3-7d' });
  });

  it('computes ISO weeks across a year boundary', () => {
    expect(localBuckets(new Date('2027-01-01T12:00:00Z'), 'UTC').week).toBe('2026-W53');
    expect(localBuckets(new Date('2026-01-01T12:00:00Z'), 'UTC').week).toBe('2026-W01');
  });

  it('knows quiet hours across midnight', () => {
    expect([20, 21, 23, 0, 8, 9].map((h) => inQuietHours(h, 21, 9))).toEqual([false, true, true, true, true, false]);
    expect(inQuietHours(3, 9, 9)).toBe(false);
  });
});

describe('reminder outcome attribution', () => {
  it('orders outcomes none < sent < delivered < read < confirmed, whatever the arrival order', () => {
    expect(REMINDER_OUTCOMES).toEqual(['none', 'sent', 'delivered', 'read', 'confirmed']);
    const states = ['read', 'sent', 'delivered', 'failed'] as const;
    const best = Math.max(...states.map((s) => outcomeRank(outcomeOfState(s))));
    expect(REMINDER_OUTCOMES[best]).toBe('read');
    expect(outcomeOfState('skipped')).toBe('none');
    expect(outcomeOfState('cancelled-by-patient')).toBe('read');
  });
});

describe('report definitions', () => {
  it('no-show rate is no-shows over due appointments; late cancellations apart', () => {
    const figures = REPORTS['no-show'].figures({ due: 50, noShow: 6, attended: 44, lateCancel: 5 });
    expect(figures['no_show_rate']).toBe(0.12);
    expect(figures['late_cancellation_rate']).toBe(5 / 55);
  });

  it('CSAT is ratings of 4-5 over all ratings; response rate over surveys sent', () => {
    const figures = REPORTS.csat.figures({ sent: 10, responded: 4, satisfied: 3, ratingSum: 15 });
    expect([figures['csat'], figures['response_rate'], figures['average_rating']]).toEqual([0.75, 0.4, 3.75]);
  });

  it('a rate of nothing is null, not zero', () => {
    expect(rate(0, 0)).toBeNull();
  });

  it('percentiles by nearest rank', () => {
    expect([percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50), percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), percentile([], 50)]).toEqual([5, 9, null]);
  });

  it('refuses unknown reports, dimensions and dates', () => {
    expect(() => parseReportQuery({ report: 'patients' })).toThrow(InvalidReportQueryError);
    expect(() => parseReportQuery({ report: 'no-show', groupBy: 'contact' })).toThrow(/group_by/);
    expect(() => parseReportQuery({ report: 'no-show', filters: { phone: '1' } })).toThrow(/not a dimension/);
    expect(() => parseReportQuery({ report: 'csat', from: '2026-13' })).toThrow(/from/);
    expect(() => storedFilterValue('reminder_outcome', 'maybe')).toThrow(/reminder_outcome/);
    expect(storedFilterValue('reminder_outcome', 'read')).toBe(3);
  });
});

describe('survey reply ids', () => {
  it('round-trip and refuse out-of-range ratings', () => {
    expect(parseSurveyReply(rateReplyId('s1', 4))).toEqual({ kind: 'rate', surveyId: 's1', rating: 4 });
    expect(parseSurveyReply(skipReplyId('s1'))).toEqual({ kind: 'skip', surveyId: 's1' });
    expect(parseSurveyReply('survey:rate:s1:6')).toBeUndefined();
    expect(parseSurveyReply('sched:slot:1')).toBeUndefined();
  });
});

describe('comment sentiment in the patient’s language', () => {
  it.each([
    ['en', 'The doctor was very kind and helpful', 'Terrible wait and rude staff'],
    ['es', 'El médico fue muy amable, excelente atención', 'Horrible, una atención pésima'],
    ['de', 'Sehr freundlich und gut, danke', 'Schrecklich und schlecht'],
    ['fr', 'Très bon accueil, personnel excellent', 'Horrible, très mauvais'],
    ['tr', 'Çok iyi ve güzel bir hizmet', 'Çok kötü ve berbat'],
    ['ru', 'Очень хороший врач, спасибо', 'Ужасно, очень плохо'],
  ] as const)('%s: praise is positive, complaint negative', (language, praise, complaint) => {
    expect(sentimentOf(praise, language).label).toBe('positive');
    expect(sentimentOf(complaint, language).label).toBe('negative');
  });
});
