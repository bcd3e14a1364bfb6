/**
 * Prints the events arriving on a topic, decoded: `npm run tail -- messaging.inbound-message.v1`.
 * Add `--from-beginning` to read what is already there. Shows PHI (message bodies, names):
 * for local development against local data only.
 */
import { Kafka, logLevel } from 'kafkajs';
import { ALL_EVENTS, EventEnvelope } from '@careloop/contracts';
import { readInfraEnv, uniqueName } from '@careloop/testing';

async function main(): Promise<void> {
  const topic = process.argv.slice(2).find((a) => !a.startsWith('--'));
  const definition = ALL_EVENTS.find((e) => e.topic === topic);
  if (!definition) {
    console.error(`usage: npm run tail -- <topic> [--from-beginning]\ntopics:\n  ${ALL_EVENTS.map((e) => e.topic).join('\n  ')}`);
    process.exit(2);
  }
  const brokers = (process.env['KAFKA_BROKERS'] ?? readInfraEnv().KAFKA_BROKERS).split(',');
  const consumer = new Kafka({ brokers, clientId: 'tail', logLevel: logLevel.NOTHING }).consumer({ groupId: uniqueName('tail') });
  await consumer.connect();
  await consumer.subscribe({ topic: definition.topic, fromBeginning: process.argv.includes('--from-beginning') });
  console.error(`tailing ${definition.topic} (Ctrl-C to stop)`);
  await consumer.run({
    eachMessage: ({ message }) => {
      const { payload, ...meta } = EventEnvelope.decode(message.value ?? Buffer.alloc(0));
      console.log(JSON.stringify({ key: message.key?.toString(), ...meta, payload: definition.codec.decode(payload) }, null, 2));
      return Promise.resolve();
    },
  });
  const stop = () => void consumer.disconnect().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
