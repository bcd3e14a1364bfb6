/**
 * Red-flag screening cost, one command, no infrastructure needed:
 *
 *   npm run bench:triage [-- --seconds 5 --grpc-calls 5000 --concurrency 16]
 *
 * 1. Assess in-process: the corpus messages (six languages, short and long, with typos) and a
 *    long "buried flag" message, one call at a time on one core: latency p50/p99/max, calls/s.
 * 2. Assess over gRPC: the real TriageService adapter on a local grpc-js server, a grpc-js
 *    client with N calls in flight: latency p50/p99 and calls/s (client and server share the machine).
 * 3. A routing-like turn with and without screening: decode a SkillTurn envelope, pick the reply,
 *    build and encode the OutboundMessageCommand and its envelope — then the same plus screening.
 *    The difference of their p99 is what screening adds to a turn (target: under 5 ms).
 * See services/triage/bench/README.md.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import * as grpc from '@grpc/grpc-js';
import { Channel, DispatchReason, EventEnvelope, OutboundMessageCommand, SkillTurn, triage } from '@careloop/contracts';
import { createLogger } from '@careloop/observability';
import { GrpcServer, Readiness } from '@careloop/service-kit';
import { buttonsMessage } from '@careloop/skill-kit';
import { BenchArgs, formatNumber as fmt, percentiles } from '@careloop/testing';
import { triageGrpcService } from '../src/adapters/grpc/triage-grpc';
import type { AssessmentStore } from '../src/adapters/assessment-store';
import { EmergencyNumbers } from '../src/domain/emergency-numbers';
import { parseCorpus, type CorpusCase } from '../src/evaluation/corpus';
import { Catalog } from '../src/i18n/catalog';
import { defaultProtocolDir } from '../src/protocols/protocol-files';
import { ProtocolLibrary } from '../src/protocols/protocol-library';
import { AssessMessage } from '../src/use-cases/assess-message';

const args = new BenchArgs(process.argv.slice(2));
const SECONDS = args.positive('seconds', 5);
const GRPC_CALLS = args.positive('grpc-calls', 5000);
const CONCURRENCY = args.positive('concurrency', 16);

const library = ProtocolLibrary.load(defaultProtocolDir(__dirname));
const assess = new AssessMessage(library, new EmergencyNumbers({}, {}, 'ES'));
const catalog = Catalog.load();

const corpusDir = join(__dirname, '..', 'test', 'corpus');
const corpus: CorpusCase[] = readdirSync(corpusDir)
  .filter((f) => f.endsWith('.tsv'))
  .flatMap((f) => parseCorpus(readFileSync(join(corpusDir, f), 'utf8'), f));
// A long message (≈1,000 characters) with the flag at the very end.
const buried: CorpusCase = {
  line: 0,
  language: 'en',
  expected: 'emergency',
  emergency: true,
  text: `${'Hello, I would like to know the visiting hours of the cardiology ward and whether there is a parking discount for relatives who come every day, and also whether I can bring food for my father. '.repeat(5)}By the way my father now has chest pain and is sweating.`,
};
const messages = [...corpus, buried];

const ms = (ns: bigint) => Number(ns) / 1e6;
const row = (name: string, values: number[], seconds: number) => {
  const p = percentiles(values);
  return `${name.padEnd(44)} ${fmt(p.count).padStart(9)} ${p.p50.toFixed(3).padStart(8)} ${p.p99.toFixed(3).padStart(8)} ${p.max.toFixed(3).padStart(8)} ${fmt(p.count / seconds).padStart(10)}`;
};
const header = `${'measurement'.padEnd(44)} ${'calls'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'calls/s'.padStart(10)}`;

/**
 * Runs `fn` over the messages round-robin for `seconds`, one at a time: per-call wall time and
 * per-call CPU time (user + system of this process, in ms) — on a shared machine the wall time's
 * tail is mostly time the process was not running at all, the CPU time is what the call cost.
 */
function timed(seconds: number, fn: (c: CorpusCase) => unknown): { values: number[]; cpu: number[]; elapsed: number } {
  const values: number[] = [];
  const cpu: number[] = [];
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  let i = 0;
  for (;;) {
    const c = messages[i++ % messages.length]!;
    const u0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    fn(c);
    const t1 = process.hrtime.bigint();
    const u = process.cpuUsage(u0);
    values.push(ms(t1 - t0));
    cpu.push((u.user + u.system) / 1000);
    if (t1 >= end) return { values, cpu, elapsed: Number(t1 - start) / 1e9 };
  }
}

/** The encoded SkillTurn envelope routing would publish for a message. */
function turnBytes(c: CorpusCase): Uint8Array {
  const turn = SkillTurn.fromPartial({
    turnId: 'turn-1',
    contactId: 'contact-1',
    conversationId: 'conversation-1',
    language: c.language,
    endpoint: { channel: Channel.CHANNEL_WHATSAPP, endpointId: '1000001', displayAddress: '34910000001', accountId: '1' },
    recipient: { channel: Channel.CHANNEL_WHATSAPP, channelUserId: '34600000000' },
    message: { messageId: 'wamid.1', content: { $case: 'text', value: { body: c.text } } },
    reason: DispatchReason.DISPATCH_REASON_OWNER,
    facilityId: 'madrid-central',
  });
  return EventEnvelope.encode({ id: 'e1', type: 'careloop.conversation.v1.SkillTurn', tenantId: 't', facilityId: 'f', occurredAt: new Date(), causationId: '', correlationId: '', producer: 'routing', payload: Buffer.from(SkillTurn.encode(turn).finish()) }).finish();
}
const encodedTurns = new Map(messages.map((c) => [c, turnBytes(c)]));

/** What a turn costs without I/O: decode, answer, encode — optionally screening first. */
function routingLikeTurn(c: CorpusCase, screen: boolean): number {
  const envelope = EventEnvelope.decode(encodedTurns.get(c)!);
  const turn = SkillTurn.decode(envelope.payload);
  const body = turn.message?.content?.$case === 'text' ? turn.message.content.value.body : '';
  const language = c.language;
  const flagged = screen ? assess.execute(body, language, turn.facilityId).emergency : false;
  const content = flagged
    ? { $case: 'text' as const, value: { body: catalog.t(language, 'emergency.call', { number: '112' }), previewUrl: false } }
    : buttonsMessage({ body: catalog.t(language, 'question.use_buttons'), buttons: [{ id: 'triage:a:x:q:yes', title: catalog.t(language, 'question.reply.yes') }] });
  const command = OutboundMessageCommand.fromPartial({ commandId: 'c1', from: turn.endpoint, to: { channel: Channel.CHANNEL_WHATSAPP, channelUserId: turn.recipient?.channelUserId ?? '' }, requestedBy: 'triage', content });
  return EventEnvelope.encode({ ...envelope, id: 'e2', payload: Buffer.from(OutboundMessageCommand.encode(command).finish()) }).finish().length;
}

async function overGrpc(): Promise<{ values: number[]; elapsed: number }> {
  const server = new GrpcServer(new Readiness());
  // GetAssessment is not measured: it never reaches the store here.
  server.add(triageGrpcService({ assess, store: {} as AssessmentStore, library, logger: createLogger({ service: 'triage-bench', level: 'silent' }) }));
  const port = await server.listen(0, '127.0.0.1');
  const client = new triage.TriageServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const once = (c: CorpusCase) =>
    new Promise<number>((resolve, reject) => {
      const t0 = process.hrtime.bigint();
      client.assess({ text: c.text, language: c.language, facilityId: '' }, (error) => (error ? reject(error) : resolve(ms(process.hrtime.bigint() - t0))));
    });
  for (let i = 0; i < 500; i++) await once(messages[i % messages.length]!); // warm-up
  const values: number[] = [];
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < GRPC_CALLS) {
        const c = messages[next++ % messages.length]!;
        values.push(await once(c));
      }
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  client.close();
  await server.shutdown(1_000);
  return { values, elapsed };
}

async function main(): Promise<void> {
  const emergencies = messages.filter((c) => assess.execute(c.text, c.language).emergency).length;
  process.stdout.write(`triage benchmark: ${messages.length} messages (${emergencies} flagged), red flags ${library.screen.version}, node ${process.version}\n`);
  // Warm-up: JIT and the lexicons' token memo (steady state of a running service).
  timed(1, (c) => assess.execute(c.text, c.language));

  const inProcess = timed(SECONDS, (c) => assess.execute(c.text, c.language));
  const longOnly = (() => {
    const values: number[] = [];
    const start = process.hrtime.bigint();
    for (let i = 0; i < 2000; i++) {
      const t0 = process.hrtime.bigint();
      assess.execute(buried.text, 'en');
      values.push(ms(process.hrtime.bigint() - t0));
    }
    return { values, elapsed: Number(process.hrtime.bigint() - start) / 1e9 };
  })();
  const cold = (() => {
    // Without the memo: every token matched afresh (first sight of each word).
    const values: number[] = [];
    const start = process.hrtime.bigint();
    for (const c of messages) {
      const fresh = ProtocolLibrary.load(defaultProtocolDir(__dirname));
      const t0 = process.hrtime.bigint();
      fresh.screen.screen(c.text, c.language);
      values.push(ms(process.hrtime.bigint() - t0));
    }
    return { values, elapsed: Number(process.hrtime.bigint() - start) / 1e9 };
  })();
  const grpcRun = await overGrpc();
  const without = timed(SECONDS, (c) => routingLikeTurn(c, false));
  const withScreening = timed(SECONDS, (c) => routingLikeTurn(c, true));

  const lines = [
    header,
    row('Assess in-process (corpus + long message)', inProcess.values, inProcess.elapsed),
    row('Assess in-process, ~1,000-char buried flag', longOnly.values, longOnly.elapsed),
    row('Assess in-process, cold (no token memo)', cold.values, cold.elapsed),
    row(`Assess over gRPC (${CONCURRENCY} in flight)`, grpcRun.values, grpcRun.elapsed),
    row('Assess in-process, CPU time per call', inProcess.cpu, inProcess.elapsed),
    row('routing-like turn without screening', without.values, without.elapsed),
    row('routing-like turn with screening', withScreening.values, withScreening.elapsed),
    row('  same, CPU time per turn, without', without.cpu, without.elapsed),
    row('  same, CPU time per turn, with', withScreening.cpu, withScreening.elapsed),
  ];
  const added = percentiles(withScreening.values).p99 - percentiles(without.values).p99;
  const addedCpu = percentiles(withScreening.cpu).p99 - percentiles(without.cpu).p99;
  const ratio = percentiles(withScreening.values).p50 / percentiles(without.values).p50;
  lines.push(`screening adds ${added.toFixed(3)} ms wall / ${addedCpu.toFixed(3)} ms CPU to a turn's p99 (median turn ×${ratio.toFixed(1)}); target < 5 ms: ${added < 5 ? 'met' : 'NOT met'} (wall), ${addedCpu < 5 ? 'met' : 'NOT met'} (CPU)`);
  lines.push(`load average during the run: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`triage benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
