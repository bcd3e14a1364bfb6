/**
 * npm run analytics:generate -- --appointments N --seed S [--tenant T] [--shuffle]
 * Publishes a synthetic PHI-free history (appointments, reminders, surveys) with a known truth to
 * the local Kafka (KAFKA_BROKERS or the local infrastructure), and prints that truth.
 */
import { KafkaEventBus } from '@careloop/bus';
import { Topics } from '@careloop/contracts';
import { infraEnv } from '@careloop/testing';
import { generateHistory, shuffled, truthOf } from '../src/generator/synthetic-history';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? String(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const appointments = Number(arg('appointments', '800'));
  const seed = Number(arg('seed', '1'));
  const tenantId = arg('tenant', 'demo');
  if (!Number.isInteger(appointments) || appointments <= 0) throw new Error('--appointments must be a positive integer');
  const { cells, events } = generateHistory({ appointments, seed, tenantId, start: new Date(arg('start', '2026-03-02T00:00:00Z')), days: Number(arg('days', '28')) });
  const ordered = process.argv.includes('--shuffle') ? shuffled(events, seed) : events;
  const bus = new KafkaEventBus({ brokers: (process.env['KAFKA_BROKERS'] ?? infraEnv().KAFKA_BROKERS).split(','), service: 'analytics-generator' });
  await bus.connect();
  const started = Date.now();
  await Promise.all(
    ordered.map((e) => {
      const options = { key: e.key, tenantId, id: e.id };
      switch (e.topic) {
        case 'appointment':
          return bus.publish(Topics.appointmentChanged, e.payload, { ...options, facilityId: e.payload.appointment?.facilityId ?? '' });
        case 'reminder':
          return bus.publish(Topics.reminderChanged, e.payload, options);
        case 'survey':
          return bus.publish(Topics.surveyChanged, e.payload, options);
      }
    }),
  );
  await bus.close();
  const truth = truthOf(cells);
  process.stdout.write(
    `${JSON.stringify({ tenantId, seed, events: ordered.length, publishedInMs: Date.now() - started, truth: { ...truth, noShowRate: truth.noShows / truth.appointments, csat: truth.satisfied / truth.responses } }, null, 2)}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
