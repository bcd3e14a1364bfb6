import { Router, type Request, type Response } from 'express';
import type { z } from 'zod';
import type { InboundResult, SimulatedPatient } from '../patient/patient';
import type { CloudApiSimulator } from '../simulator';
import { renderTranscript } from '../transcript';
import type { WebhookDelivery } from '../webhooks/webhook-sender';
import {
  failureSpecSchema,
  messengerMessageSchema,
  patientMessageSchema,
  templateDefinitionSchema,
  webhookConfigSchema,
  type PatientMessageRequest,
} from './admin-schemas';

/**
 * `/_sim/...`: drive the simulator from another process (the CLI, a demo script, a test written
 * in another language). Not part of Meta's API; bind the simulator to loopback.
 */
export function adminRoutes(sim: CloudApiSimulator): Router {
  const router = Router();

  router.get('/_sim/health', (_req, res) => {
    res.json({ ok: true });
  });

  router.get('/_sim/config', (_req, res) => {
    res.json({ ...sim.config, webhookUrl: sim.webhookUrl ?? null });
  });

  router.post('/_sim/patients/:user/messages', async (req, res) => {
    const body = parse(patientMessageSchema, req, res);
    if (body === undefined) return;
    const user = req.params['user'];
    try {
      const patient = patientFor(sim, user, body);
      if (body.type === 'read') {
        patient.read(body.messageId);
        res.json({ ok: true });
        return;
      }
      const result = await send(patient, body);
      const entry = sim.transcript(patient.key).find((e) => e.kind === 'inbound' && e.messageId === result.messageId);
      res.json({ messageId: result.messageId, user: patient.key, transcriptSeq: entry?.seq ?? null, webhook: summary(result.delivery) });
    } catch (error) {
      res.status(409).json({ error: error instanceof Error ? error.message : String(error) });
    }
  });

  router.post('/_sim/messenger/users/:psid/messages', async (req, res) => {
    const body = parse(messengerMessageSchema, req, res);
    if (body === undefined) return;
    const user = sim.messengerUser({ psid: req.params['psid'], ...(body.name !== undefined ? { name: body.name } : {}) });
    const result = body.type === 'text' ? await user.sendText(body.text) : await user.sendQuickReply(body.payload, body.title);
    res.json({ mid: result.mid, webhook: summary(result.delivery) });
  });

  router.get('/_sim/transcripts/:user', (req, res) => {
    const afterSeq = Number(req.query['afterSeq'] ?? 0);
    const business = typeof req.query['business'] === 'string' ? req.query['business'] : undefined;
    const entries = sim.transcript(req.params['user'], { afterSeq: Number.isFinite(afterSeq) ? afterSeq : 0, ...(business !== undefined ? { business } : {}) });
    const text = renderTranscript(entries, { statuses: req.query['statuses'] !== 'false' });
    if (req.query['format'] === 'text') {
      res.type('text/plain; charset=utf-8').send(`${text}\n`);
      return;
    }
    res.json({ user: req.params['user'], entries, text });
  });

  router.get('/_sim/messages', (req, res) => {
    const to = typeof req.query['to'] === 'string' ? req.query['to'] : undefined;
    res.json(
      sim.sentMessages(to !== undefined ? { to } : {}).map((m) => ({
        wamid: m.wamid,
        phoneNumberId: m.phoneNumberId,
        to: m.input,
        type: m.payload.type,
        status: m.status,
        failure: m.failure ?? null,
        acceptedAt: m.acceptedAt,
        payload: m.payload,
      })),
    );
  });

  router.post('/_sim/failures', (req, res) => {
    const body = parse(failureSpecSchema, req, res);
    if (body === undefined) return;
    const handle = sim.injectFailure({
      ...(body.match !== undefined ? { match: body.match } : {}),
      times: body.times === 'always' ? Number.POSITIVE_INFINITY : (body.times ?? 1),
      response: body.response,
    });
    res.status(201).json({ id: handle.id });
  });

  router.get('/_sim/failures', (_req, res) => {
    res.json(sim.pendingFailures().map((f) => ({ id: f.id, spec: f.spec, remaining: Number.isFinite(f.remaining) ? f.remaining : 'always' })));
  });

  router.delete('/_sim/failures', (_req, res) => {
    sim.clearFailures();
    res.status(204).end();
  });

  router.get('/_sim/stats', (_req, res) => {
    res.json(sim.stats());
  });

  router.put('/_sim/webhook', (req, res) => {
    const body = parse(webhookConfigSchema, req, res);
    if (body === undefined) return;
    if (body.url !== undefined) sim.setWebhookUrl(body.url ?? undefined);
    if (body.messengerUrl !== undefined) sim.setMessengerWebhookUrl(body.messengerUrl ?? undefined);
    res.json({ webhookUrl: sim.webhookUrl ?? null });
  });

  router.post('/_sim/webhook/subscribe', async (_req, res) => {
    try {
      const result = await sim.subscribeWebhook();
      res.status(result.ok ? 200 : 502).json(result);
    } catch (error) {
      res.status(409).json({ error: error instanceof Error ? error.message : String(error) });
    }
  });

  router.get('/_sim/templates', (_req, res) => {
    res.json(sim.templates());
  });

  router.post('/_sim/templates', (req, res) => {
    const body = parse(templateDefinitionSchema, req, res);
    if (body === undefined) return;
    sim.registerTemplate(body);
    res.status(201).json(body);
  });

  return router;
}

function parse<S extends z.ZodType>(schema: S, req: Request, res: Response): z.infer<S> | undefined {
  const result = schema.safeParse(req.body);
  if (result.success) return result.data;
  res.status(400).json({ error: result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ') });
  return undefined;
}

/** Digits are a wa_id; anything else is a business-scoped user id. */
function patientFor(sim: CloudApiSimulator, user: string, body: PatientMessageRequest): SimulatedPatient {
  const existing = sim.findPatient(user, body.phoneNumberId);
  if (existing !== undefined) return existing;
  const isPhone = /^\+?\d{5,15}$/.test(user);
  return sim.patient({
    ...(isPhone ? { waId: user.replace(/^\+/, '') } : { bsuid: user }),
    profileName: body.profileName ?? body.name ?? (isPhone ? user : 'WhatsApp user'),
    ...(body.username !== undefined ? { username: body.username } : {}),
    ...(body.phoneNumberId !== undefined ? { phoneNumberId: body.phoneNumberId } : {}),
  });
}

function send(patient: SimulatedPatient, body: Exclude<PatientMessageRequest, { type: 'read' }>): Promise<InboundResult> {
  const target = 'to' in body && body.to !== undefined ? { to: body.to } : {};
  switch (body.type) {
    case 'text':
      return patient.sendText(body.text, body.replyTo !== undefined ? { replyTo: body.replyTo } : {});
    case 'list_reply':
      return patient.replyList(body.replyId, target);
    case 'button_reply':
      return patient.replyButton(body.replyId, target);
    case 'template_button':
      return patient.pressTemplateButton(body.replyId, target);
    case 'image':
      return patient.sendImage({
        ...(body.caption !== undefined ? { caption: body.caption } : {}),
        ...(body.mimeType !== undefined ? { mimeType: body.mimeType } : {}),
      });
    case 'location':
      return patient.sendLocation({
        latitude: body.latitude,
        longitude: body.longitude,
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.address !== undefined ? { address: body.address } : {}),
      });
    case 'reaction':
      return patient.react(body.messageId, body.emoji);
  }
}

function summary(delivery: WebhookDelivery): { outcome: string; attempts: number; lastStatus: number | null; lastError: string | null } {
  const last = delivery.attempts[delivery.attempts.length - 1];
  return { outcome: delivery.outcome, attempts: delivery.attempts.length, lastStatus: last?.statusCode ?? null, lastError: last?.error ?? null };
}
