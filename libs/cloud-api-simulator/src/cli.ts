#!/usr/bin/env -S npx tsx
/**
 * careloop-sim — run the WhatsApp Cloud API simulator and talk to it from a terminal.
 *
 *   serve       start the simulator (flags or SIM_* environment variables)
 *   say         send one patient message through /_sim and print the bot's answers as they arrive
 *   chat        the same, interactively
 *   transcript  print a user's conversation
 *
 * Run with `npx tsx libs/cloud-api-simulator/src/cli.ts <command> --help`.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { templateListSchema } from './admin/admin-schemas';
import { startSimulator } from './simulator';
import type { TranscriptEntry } from './transcript';
import { renderTranscript } from './transcript';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: CliIo = { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) };

const USAGE = `Usage: careloop-sim <command> [options]

  serve        --port 4010 --webhook-url URL --app-secret S --access-token T --verify-token V
               --phone-number-id ID --display-phone "+1 555 000 0001" [--waba-id ID] --rate-limit 80
               [--pair-interval-ms 6000 --pair-burst 45 --pair-burst-window-ms 6000 | --no-pair-limit]
               [--templates templates.json] [--auto-read] [--subscribe]
               [--messenger-webhook-url URL --page-id ID] [--host 127.0.0.1] [--quiet]
               Every flag also reads SIM_<FLAG> (e.g. SIM_WEBHOOK_URL, SIM_APP_SECRET, SIM_RATE_LIMIT).
  say          --sim URL --from WA_ID [--name NAME] [--phone-number-id ID] [--wait-ms 3000] [--timeout-ms 20000]
               "text" | --list-reply ROW_ID | --button-reply BUTTON_ID | --template-button TEXT
  chat         --sim URL --from WA_ID [--name NAME]   (then type; /list ID, /button ID, /tpl TEXT, /quit)
  transcript   --sim URL --user WA_ID|BSUID [--json] [--no-statuses]`;

export async function runCli(argv: readonly string[], io: CliIo = consoleIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(rest, io);
      case 'say':
        return await say(rest, io);
      case 'chat':
        return await chat(rest, io);
      case 'transcript':
        return await transcript(rest, io);
      default:
        io.err(USAGE);
        return command === undefined || command === '--help' || command === 'help' ? 0 : 2;
    }
  } catch (error) {
    io.err(`careloop-sim ${command ?? ''}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

async function serve(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'webhook-url': { type: 'string' },
      'messenger-webhook-url': { type: 'string' },
      'app-secret': { type: 'string' },
      'access-token': { type: 'string' },
      'verify-token': { type: 'string' },
      'phone-number-id': { type: 'string', multiple: true },
      'display-phone': { type: 'string', multiple: true },
      'waba-id': { type: 'string' },
      'page-id': { type: 'string' },
      'rate-limit': { type: 'string' },
      'pair-interval-ms': { type: 'string' },
      'pair-burst': { type: 'string' },
      'pair-burst-window-ms': { type: 'string' },
      'no-pair-limit': { type: 'boolean' },
      templates: { type: 'string' },
      'auto-read': { type: 'boolean' },
      subscribe: { type: 'boolean' },
      quiet: { type: 'boolean' },
    },
  });
  type ServeFlag = keyof typeof values;
  const flag = (name: ServeFlag): string | undefined => {
    const value = values[name];
    if (typeof value === 'string') return value;
    return process.env[`SIM_${name.toUpperCase().replace(/-/g, '_')}`];
  };
  const list = (name: 'phone-number-id' | 'display-phone'): string[] => values[name] ?? (flag(name)?.split(',').map((s) => s.trim()) ?? []);
  const bool = (name: 'no-pair-limit' | 'auto-read' | 'subscribe' | 'quiet'): boolean => values[name] ?? ['1', 'true', 'yes'].includes((flag(name) ?? '').toLowerCase());

  const ids = list('phone-number-id');
  const displays = list('display-phone');
  const phoneNumbers = (ids.length > 0 ? ids : ['1000001']).map((id, i) => ({ id, displayPhoneNumber: displays[i] ?? `+1 555 000 ${String(i + 1).padStart(4, '0')}` }));
  const templatesFile = flag('templates');
  const quiet = bool('quiet');
  const pageId = flag('page-id');
  const messengerWebhookUrl = flag('messenger-webhook-url');
  const webhookUrl = flag('webhook-url');
  const wabaId = flag('waba-id');

  const sim = await startSimulator({
    host: flag('host') ?? '127.0.0.1',
    port: integer(flag('port') ?? '4010', 'port'),
    ...(webhookUrl !== undefined ? { webhookUrl } : {}),
    accessToken: flag('access-token') ?? 'sim-access-token',
    appSecret: flag('app-secret') ?? 'sim-app-secret',
    verifyToken: flag('verify-token') ?? 'sim-verify-token',
    ...(wabaId !== undefined ? { wabaId } : {}),
    phoneNumbers,
    throughputPerSecond: integer(flag('rate-limit') ?? '80', 'rate-limit'),
    pairRateLimit: bool('no-pair-limit')
      ? false
      : {
          ...optionalInteger(flag('pair-interval-ms'), 'intervalMs'),
          ...optionalInteger(flag('pair-burst'), 'burst'),
          ...optionalInteger(flag('pair-burst-window-ms'), 'burstWindowMs'),
        },
    templates: templatesFile !== undefined ? templateListSchema.parse(JSON.parse(readFileSync(templatesFile, 'utf8'))) : [],
    autoRead: bool('auto-read'),
    ...(pageId !== undefined || messengerWebhookUrl !== undefined
      ? { messenger: { pageId: pageId ?? '551234000000001', ...(messengerWebhookUrl !== undefined ? { webhookUrl: messengerWebhookUrl } : {}) } }
      : {}),
    log: quiet ? () => undefined : (line) => io.out(`${new Date().toISOString()} ${line}`),
  });

  const config = sim.config;
  io.out(`WhatsApp Cloud API simulator listening on ${sim.url}`);
  for (const phone of config.phoneNumbers) io.out(`  send:     POST ${sim.url}/v21.0/${phone.id}/messages  (Bearer ${config.accessToken}; ${phone.displayPhoneNumber})`);
  io.out(`  messenger: POST ${sim.url}/v21.0/me/messages  (page ${config.messengerPageId})`);
  io.out(`  webhooks: ${sim.webhookUrl ?? '(none yet: PUT /_sim/webhook {"url": ...})'}  signed with the app secret, verify token "${config.verifyToken}"`);
  io.out(`  admin:    ${sim.url}/_sim/{patients/:user/messages, transcripts/:user, failures, stats, webhook, templates}`);

  if (bool('subscribe') && sim.webhookUrl !== undefined) void subscribeWhenReady(() => sim.subscribeWebhook(), io);

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await sim.close();
  return 0;
}

/** The webhook endpoint may start after the simulator: retry the handshake for a minute. */
async function subscribeWhenReady(subscribe: () => Promise<{ ok: boolean; statusCode?: number; error?: string }>, io: CliIo): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const result = await subscribe();
    if (result.ok) {
      io.out('webhook verified (hub.challenge echoed)');
      return;
    }
    if (Date.now() > deadline) {
      io.err(`webhook verification failed: ${result.error ?? `HTTP ${String(result.statusCode)}`}`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

const conversationOptions = {
  sim: { type: 'string' },
  from: { type: 'string' },
  name: { type: 'string' },
  'phone-number-id': { type: 'string' },
  'wait-ms': { type: 'string' },
  'timeout-ms': { type: 'string' },
} as const;

async function say(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { ...conversationOptions, 'list-reply': { type: 'string' }, 'button-reply': { type: 'string' }, 'template-button': { type: 'string' } },
  });
  const session = conversation(values);
  const message =
    values['list-reply'] !== undefined
      ? { type: 'list_reply', replyId: values['list-reply'] }
      : values['button-reply'] !== undefined
        ? { type: 'button_reply', replyId: values['button-reply'] }
        : values['template-button'] !== undefined
          ? { type: 'template_button', replyId: values['template-button'] }
          : { type: 'text', text: positionals.join(' ') };
  if (message.type === 'text' && message.text === '') throw new Error('nothing to say: pass the text, or --list-reply/--button-reply/--template-button');
  return session.say(message, io);
}

async function chat(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: [...args], options: conversationOptions });
  const session = conversation(values);
  io.out(`Chatting as ${session.from} with ${session.sim}. /list ID, /button ID, /tpl TEXT, /quit`);
  const lines = createInterface({ input: process.stdin, terminal: false });
  for await (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    if (line === '/quit') break;
    const [verb, ...restWords] = line.split(' ');
    const arg = restWords.join(' ');
    const message =
      verb === '/list' ? { type: 'list_reply', replyId: arg } : verb === '/button' ? { type: 'button_reply', replyId: arg } : verb === '/tpl' ? { type: 'template_button', replyId: arg } : { type: 'text', text: line };
    await session.say(message, io);
  }
  lines.close();
  return 0;
}

async function transcript(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: [...args], options: { sim: { type: 'string' }, user: { type: 'string' }, json: { type: 'boolean' }, 'no-statuses': { type: 'boolean' } } });
  const user = values.user ?? '';
  if (user === '') throw new Error('--user is required');
  const entries = await fetchTranscript(simUrl(values.sim), user, 0);
  io.out(values.json === true ? JSON.stringify(entries, null, 2) : renderTranscript(entries, { statuses: values['no-statuses'] !== true }));
  return 0;
}

interface ConversationFlags {
  readonly sim?: string | undefined;
  readonly from?: string | undefined;
  readonly name?: string | undefined;
  readonly 'phone-number-id'?: string | undefined;
  readonly 'wait-ms'?: string | undefined;
  readonly 'timeout-ms'?: string | undefined;
}

function conversation(values: ConversationFlags): { sim: string; from: string; say: (message: Record<string, unknown>, io: CliIo) => Promise<number> } {
  const sim = simUrl(values.sim);
  const from = values.from ?? process.env['SIM_FROM'] ?? '';
  if (from === '') throw new Error('--from is required (the patient wa_id or business-scoped user id)');
  const idleMs = integer(values['wait-ms'] ?? '3000', 'wait-ms');
  const timeoutMs = integer(values['timeout-ms'] ?? '20000', 'timeout-ms');
  const extra = { ...(values.name !== undefined ? { name: values.name } : {}), ...(values['phone-number-id'] !== undefined ? { phoneNumberId: values['phone-number-id'] } : {}) };

  return {
    sim,
    from,
    async say(message, io) {
      const response = await fetch(`${sim}/_sim/patients/${encodeURIComponent(from)}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...extra, ...message }),
      });
      const body = (await response.json()) as { error?: string; transcriptSeq?: number; webhook?: { outcome: string; attempts: number; lastStatus: number | null; lastError: string | null } };
      if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
      const hook = body.webhook;
      if (hook !== undefined && hook.outcome !== 'delivered') {
        io.err(`webhook not accepted after ${hook.attempts} attempt(s): ${hook.lastError ?? `HTTP ${String(hook.lastStatus)}`}`);
      }
      return printAnswers(sim, from, body.transcriptSeq ?? 0, idleMs, timeoutMs, io);
    },
  };
}

/** Polls the transcript and prints what the bot sends, until it has been quiet for `idleMs`. */
async function printAnswers(sim: string, user: string, afterSeq: number, idleMs: number, timeoutMs: number, io: CliIo): Promise<number> {
  const started = Date.now();
  let seq = afterSeq;
  let lastActivity = started;
  let answered = false;
  while (Date.now() - started < timeoutMs && (!answered || Date.now() - lastActivity < idleMs)) {
    const entries = await fetchTranscript(sim, user, seq);
    for (const entry of entries) {
      seq = Math.max(seq, entry.seq);
      if (entry.kind === 'outbound' || (entry.kind === 'status' && entry.status === 'failed')) {
        io.out(renderTranscript([entry]));
        answered = true;
        lastActivity = Date.now();
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (!answered) io.out(`(no answer within ${timeoutMs / 1000} s)`);
  return 0;
}

async function fetchTranscript(sim: string, user: string, afterSeq: number): Promise<TranscriptEntry[]> {
  const response = await fetch(`${sim}/_sim/transcripts/${encodeURIComponent(user)}?afterSeq=${afterSeq}`);
  if (!response.ok) throw new Error(`transcript: HTTP ${response.status}`);
  return ((await response.json()) as { entries: TranscriptEntry[] }).entries;
}

function simUrl(flag: string | undefined): string {
  return (flag ?? process.env['SIM_URL'] ?? 'http://127.0.0.1:4010').replace(/\/$/, '');
}

function integer(value: string, name: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`--${name} must be a non-negative integer, got "${value}"`);
  return parsed;
}

function optionalInteger<K extends string>(value: string | undefined, key: K): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: integer(value, key) } as Partial<Record<K, number>>);
}

if (require.main === module) {
  void runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
