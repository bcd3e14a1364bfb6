export { parseReportQuery } from '../../src/domain/reports';
export { REMINDER_OUTCOMES as REMINDER_OUTCOMES_FOR_TEST } from '../../src/domain/reminder-outcome';
