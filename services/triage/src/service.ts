import { Topics, type EventDefinition } from '@careloop/contracts';
import { on } from '@careloop/bus';
import { defineService } from '@careloop/service-kit';
import { SkillResponder } from '@careloop/skill-kit';
import { triageSettings } from './config';
import { DEFAULT_EMERGENCY_CONTACTS, EmergencyNumbers } from './domain/emergency-numbers';
import { Catalog } from './i18n/catalog';
import { defaultProtocolDir } from './protocols/protocol-files';
import { ProtocolLibrary } from './protocols/protocol-library';
import { AssessmentStore } from './adapters/assessment-store';
import { triageGrpcService } from './adapters/grpc/triage-grpc';
import { TriageMetrics } from './adapters/triage-metrics';
import { AssessMessage } from './use-cases/assess-message';
import { HandleTriageTurn } from './use-cases/handle-triage-turn';

export const TRIAGE_TOPICS = [Topics.triageTurn, Topics.triageOutcome, Topics.outboundCommand, Topics.skillOutcome] as readonly EventDefinition<unknown>[];

/** triage's composition root. */
export const triageService = defineService({
  name: 'triage',
  needs: { kafka: true, mongo: true, phi: true, grpc: true },
  ports: { ops: 9084, grpc: 50054 },
  settings: triageSettings,
  topics: TRIAGE_TOPICS,
  start: async (ctx) => {
    const { config, logger, bus, mongo, cipher, grpc, processedEvents } = ctx;
    if (!bus || !mongo || !cipher || !grpc || !processedEvents) throw new Error('triage needs Kafka, MongoDB, PHI keys and gRPC');

    // Protocols, red flags and catalogues are validated here: a broken file stops the start.
    const library = ProtocolLibrary.load(config.TRIAGE_PROTOCOL_DIR ?? defaultProtocolDir());
    const catalog = Catalog.load();
    const numbers = new EmergencyNumbers({ ...DEFAULT_EMERGENCY_CONTACTS, ...config.TRIAGE_EMERGENCY_NUMBERS }, config.TRIAGE_FACILITIES, config.TRIAGE_DEFAULT_COUNTRY);
    const store = new AssessmentStore(mongo, cipher);
    await store.init();
    const assess = new AssessMessage(library, numbers);
    const metrics = new TriageMetrics(ctx.metrics);

    grpc.add(triageGrpcService({ assess, store, library, logger }));

    const handleTurn = new HandleTriageTurn({ bus, responder: new SkillResponder(bus, 'triage'), store, library, assess, numbers, catalog, metrics });
    const turns = bus.consumer({
      group: 'triage.turns',
      processed: processedEvents,
      partitionsConcurrently: config.TURN_CONCURRENCY,
      handlers: [on(Topics.triageTurn, (event) => handleTurn.execute(event))],
    });
    await turns.start();
    logger.info({ protocols: library.protocols.length, redFlagVersion: library.screen.version }, 'triage protocols loaded');
  },
});
