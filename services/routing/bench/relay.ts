/**
 * The baseline of `npm run bench:routing`: the least a service can do between
 * the same two topics. A kafkajs consumer group on messaging.inbound-message.v1
 * decodes each record's envelope and payload, publishes one text
 * OutboundMessageCommand to messaging.outbound-command.v1 through
 * KafkaEventBus (same envelope, batching and acks as routing), caused by the
 * inbound event, waits for the broker's ack, and commits. No database, no
 * dedupe, no state.
 *
 *   KAFKA_BROKERS=... RELAY_GROUP=... node --require tsx/cjs services/routing/bench/relay.ts
 */
import { Channel, EventEnvelope, InboundMessage, OutboundMessageCommand, Topics } from '@careloop/contracts';
import { KafkaEventBus, nameBasedId } from '@careloop/bus';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

async function main(): Promise<void> {
  const brokers = required('KAFKA_BROKERS').split(',');
  const group = required('RELAY_GROUP');
  const concurrency = Number(process.env['RELAY_CONCURRENCY'] ?? '12');

  const bus = new KafkaEventBus({ brokers, service: 'relay' });
  await bus.connect();
  // The bus's own Kafka client, and the settings the bus gives its consumers.
  const consumer = bus.kafkaClient.consumer({
    groupId: group,
    allowAutoTopicCreation: false,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 },
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [Topics.inboundMessage.topic], fromBeginning: false });
  await consumer.run({
    autoCommit: true,
    autoCommitInterval: 1_000,
    partitionsConsumedConcurrently: concurrency,
    eachMessage: async ({ message }) => {
      if (!message.value) return;
      const envelope = EventEnvelope.decode(message.value);
      if (envelope.type !== Topics.inboundMessage.type) return;
      const inbound = InboundMessage.decode(envelope.payload);
      const from = inbound.from;
      if (!from?.channelUserId) return;
      const commandId = nameBasedId(envelope.tenantId, 'relay', envelope.id, '0');
      const command = OutboundMessageCommand.fromPartial({
        commandId,
        ...(inbound.to ? { from: inbound.to } : {}),
        to: { channel: from.channel, channelUserId: from.channelUserId },
        requestedBy: 'relay',
        content: { $case: 'text', value: { body: 'Recibido', previewUrl: false } },
      });
      await bus.publish(Topics.outboundCommand, command, {
        key: `${from.channel === Channel.CHANNEL_MESSENGER ? 'messenger' : 'whatsapp'}:${from.channelUserId}`,
        tenantId: envelope.tenantId,
        facilityId: envelope.facilityId,
        id: commandId,
        causationId: envelope.id,
      });
    },
  });

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    consumer
      .disconnect()
      .then(() => bus.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`relay failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
  process.exit(1);
});
