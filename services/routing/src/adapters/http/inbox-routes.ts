import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { Channel, ConversationState, TemplateComponentType, Topics, type OutboundMessageCommand } from '@careloop/contracts';
import type { EventBus } from '@careloop/bus';
import type { Logger } from '@careloop/observability';
import type { ContactDirectory } from '../contact-directory';
import type { ConversationStore } from '../conversation-store';
import type { AuditLog } from '../ledgers';
import type { FaqStore } from '../faq-store';
import type { InboxEvents } from '../inbox-events';
import type { Replier } from '../replier';
import type { AgentPresence } from '../agent-presence';
import type { AssignWaitingConversations } from '../../use-cases/assign-waiting-conversations';
import type { Conversation } from '../../domain/conversation';
import { agentAuth, agentOf, canSeeQueue, type Agent } from './agent-auth';
import { openApiDocument } from './openapi';

interface InboxDeps {
  readonly jwtSecret: string;
  readonly bus: EventBus;
  readonly contacts: ContactDirectory;
  readonly conversations: ConversationStore;
  readonly audit: AuditLog;
  readonly faq: FaqStore;
  readonly inbox: InboxEvents;
  readonly replier: Replier;
  readonly presence: AgentPresence;
  readonly assigner: AssignWaitingConversations;
  readonly logger: Logger;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const replySchema = z.union([
  z.object({ text: z.string().min(1).max(4096) }),
  z.object({ template: z.object({ name: z.string().min(1), languageCode: z.string().min(2), parameters: z.array(z.string()).default([]) }) }),
]);
const assignSchema = z.object({ agentId: z.string().min(1).optional() });
const transferSchema = z.object({ queue: z.string().min(1) });
const noteSchema = z.object({ text: z.string().min(1).max(4096) });
const presenceSchema = z.object({ online: z.boolean() });
const mergeSchema = z.object({ otherContactId: z.string().min(1) });
const phoneSchema = z.object({ phoneE164: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be E.164, e.g. +34600111222') });
const faqSchema = z.array(
  z.object({
    id: z.string().regex(/^[a-z0-9-]{1,40}$/),
    translations: z.record(z.string(), z.object({ title: z.string().min(1).max(24), answer: z.string().min(1).max(4096), keywords: z.array(z.string()) })),
  }),
);

/**
 * The agent inbox API (see GET /openapi.json): conversations of the caller's
 * tenant and queues only — anything else is a 404, never a 403 that would
 * confirm it exists. Every read of a conversation by a person is audited.
 */
export function inboxRouter(deps: InboxDeps): express.Router {
  const router = express.Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  router.use(['/inbox', '/admin'], agentAuth(deps.jwtSecret));
  router.use(express.json({ limit: '256kb' }));

  const visible = async (agent: Agent, id: string): Promise<Conversation> => {
    const conversation = await deps.conversations.get(agent.tenantId, id);
    if (!conversation || !canSeeQueue(agent, conversation.queue)) throw new HttpError(404, 'conversation not found');
    return conversation;
  };
  const summary = (c: Conversation) => ({
    id: c.id,
    status: c.status,
    queue: c.queue ?? null,
    priority: c.priority,
    agentId: c.agentId ?? null,
    contactId: c.contactId,
    facilityId: c.facilityId,
    channel: c.channel,
    openedAt: c.openedAt,
    queuedAt: c.queuedAt ?? null,
    slaDueAt: c.slaDueAt ?? null,
    firstResponseAt: c.firstResponseAt ?? null,
    ownerSkill: c.ownerSkill ?? null,
  });
  const wrap = (handler: (req: Request, res: Response, agent: Agent) => Promise<unknown>) => (req: Request, res: Response, next: NextFunction) => {
    handler(req, res, agentOf(res))
      .then((body) => {
        if (!res.headersSent) res.json(body);
      })
      .catch(next);
  };

  router.get(
    '/inbox/conversations',
    wrap(async (req, _res, agent) => {
      const status = typeof req.query['status'] === 'string' ? req.query['status'].split(',') : ['queued', 'with_agent'];
      const queue = typeof req.query['queue'] === 'string' ? [req.query['queue']] : undefined;
      const queues = agent.role === 'agent' ? (queue ?? agent.queues).filter((q) => agent.queues.includes(q)) : queue;
      const list = await deps.conversations.list(agent.tenantId, { status: status as Conversation['status'][], ...(queues ? { queues } : {}) });
      return { conversations: list.map(summary) };
    }),
  );

  router.get(
    '/inbox/conversations/:id',
    wrap(async (req, _res, agent) => {
      const conversation = await visible(agent, String(req.params['id']));
      await deps.audit.record(agent.tenantId, { actor: agent.id, role: agent.role, action: 'read_conversation', resource: `conversation:${conversation.id}` });
      const contact = await deps.contacts.get(agent.tenantId, conversation.contactId);
      const history = await deps.conversations.history.list(agent.tenantId, conversation.id, 500);
      return {
        conversation: summary(conversation),
        contact: contact ? { id: contact.id, name: contact.profileName, language: contact.language ?? null, consent: contact.consent, identities: contact.identities, patientIds: contact.patientIds } : null,
        history,
      };
    }),
  );

  router.post(
    '/inbox/conversations/:id/replies',
    wrap(async (req, res, agent) => {
      const conversation = await visible(agent, String(req.params['id']));
      if (conversation.status === 'closed') throw new HttpError(409, 'conversation is closed');
      const body = replySchema.parse(req.body);
      const contact = await deps.contacts.get(agent.tenantId, conversation.contactId);
      if (!contact) throw new HttpError(404, 'contact not found');
      const content: OutboundMessageCommand['content'] =
        'text' in body
          ? { $case: 'text', value: { body: body.text, previewUrl: false } }
          : {
              $case: 'template',
              value: { name: body.template.name, languageCode: body.template.languageCode, components: [{ type: TemplateComponentType.TEMPLATE_COMPONENT_TYPE_BODY, subType: '', index: 0, parameters: body.template.parameters.map((p) => ({ value: { $case: 'text' as const, value: p }, parameterName: '' })) }] },
            };
      const replyId = `agent-reply:${conversation.id}:${Date.now()}:${Math.random().toString(36).slice(2)}`;
      let commandId: string;
      try {
        commandId = await deps.replier.send(
          {
            tenantId: agent.tenantId,
            facilityId: conversation.facilityId,
            contactId: contact.id,
            conversationId: conversation.id,
            consent: contact.consent,
            endpoint: { channel: conversation.channel === 'messenger' ? Channel.CHANNEL_MESSENGER : Channel.CHANNEL_WHATSAPP, endpointId: conversation.endpointId, displayAddress: '', accountId: '' },
            channel: conversation.channel === 'messenger' ? Channel.CHANNEL_MESSENGER : Channel.CHANNEL_WHATSAPP,
            channelUserId: conversation.recipientId,
          },
          replyId,
          0,
          content,
          'care',
          `agent:${agent.id}`,
        );
      } catch (error) {
        if (error instanceof Error && error.name === 'ConsentRefusedError') throw new HttpError(409, 'the patient has not consented to messages (or opted out)');
        throw error;
      }
      const now = new Date();
      await deps.conversations.markFirstResponse(agent.tenantId, conversation.id, now);
      if (conversation.status === 'queued') await deps.conversations.assign(agent.tenantId, conversation.id, agent.id);
      deps.inbox.publish(agent.tenantId, { type: 'reply', conversationId: conversation.id, agentId: agent.id });
      res.status(202);
      return { commandId };
    }),
  );

  router.post(
    '/inbox/conversations/:id/assign',
    wrap(async (req, _res, agent) => {
      const conversation = await visible(agent, String(req.params['id']));
      const { agentId } = assignSchema.parse(req.body ?? {});
      if (agentId && agentId !== agent.id && agent.role === 'agent') throw new HttpError(403, 'agents assign conversations to themselves only');
      const assigned = await deps.conversations.assign(agent.tenantId, conversation.id, agentId ?? agent.id);
      if (!assigned) throw new HttpError(409, 'only queued or active conversations can be assigned');
      await publishHandover(deps, agent.tenantId, assigned, ConversationState.CONVERSATION_STATE_WITH_AGENT, 'assigned');
      deps.inbox.publish(agent.tenantId, { type: 'assigned', conversationId: assigned.id, agentId: assigned.agentId });
      return { conversation: summary(assigned) };
    }),
  );

  router.post(
    '/inbox/conversations/:id/transfer',
    wrap(async (req, _res, agent) => {
      const conversation = await visible(agent, String(req.params['id']));
      const { queue } = transferSchema.parse(req.body);
      const moved = await deps.conversations.transfer(agent.tenantId, conversation.id, queue);
      if (!moved) throw new HttpError(409, 'only queued or active conversations can be transferred');
      await publishHandover(deps, agent.tenantId, moved, ConversationState.CONVERSATION_STATE_QUEUED, 'transferred');
      deps.inbox.publish(agent.tenantId, { type: 'transferred', conversationId: moved.id, queue });
      await deps.assigner.assign(agent.tenantId, moved);
      return { conversation: summary(moved) };
    }),
  );

  router.post(
    '/inbox/conversations/:id/notes',
    wrap(async (req, res, agent) => {
      const conversation = await visible(agent, String(req.params['id']));
      const { text } = noteSchema.parse(req.body);
      const id = `note:${conversation.id}:${Date.now()}:${Math.random().toString(36).slice(2)}`;
      await deps.conversations.history.record(agent.tenantId, { id, conversationId: conversation.id, direction: 'note', content: { text }, author: `agent:${agent.id}`, at: new Date() });
      deps.inbox.publish(agent.tenantId, { type: 'note', conversationId: conversation.id });
      res.status(201);
      return { id };
    }),
  );

  router.post(
    '/inbox/conversations/:id/close',
    wrap(async (req, _res, agent) => {
      const conversation = await visible(agent, String(req.params['id']));
      const closed = await deps.conversations.close(agent.tenantId, conversation.id, new Date());
      if (!closed) throw new HttpError(409, 'conversation is already closed');
      const contact = await deps.contacts.get(agent.tenantId, closed.contactId);
      const endpointChannel = closed.channel === 'messenger' ? Channel.CHANNEL_MESSENGER : Channel.CHANNEL_WHATSAPP;
      await deps.bus.publish(
        Topics.conversationClosed,
        {
          conversationId: closed.id,
          contactId: closed.contactId,
          facilityId: closed.facilityId,
          department: closed.department ?? '',
          handledByAgent: closed.firstResponseAt !== undefined || closed.agentId !== undefined,
          closedBy: `agent:${agent.id}`,
          openedAt: closed.openedAt,
          closedAt: new Date(),
          firstResponseSeconds: closed.firstResponseAt && closed.queuedAt ? Math.round((closed.firstResponseAt.getTime() - closed.queuedAt.getTime()) / 1000) : 0,
          language: contact?.language ?? '',
          endpoint: { channel: endpointChannel, endpointId: closed.endpointId, displayAddress: '', accountId: '' },
          recipient: { channel: endpointChannel, channelUserId: closed.recipientId, phoneE164: '', businessScopedUserId: '', profileName: '', username: '' },
        },
        { key: closed.contactId, tenantId: agent.tenantId, facilityId: closed.facilityId },
      );
      await publishHandover(deps, agent.tenantId, closed, ConversationState.CONVERSATION_STATE_CLOSED, 'closed');
      deps.inbox.publish(agent.tenantId, { type: 'closed', conversationId: closed.id });
      return { conversation: summary(closed) };
    }),
  );

  router.post(
    '/inbox/contacts/:id/phones',
    wrap(async (req, res, agent) => {
      const { phoneE164 } = phoneSchema.parse(req.body);
      const contact = await deps.contacts.get(agent.tenantId, String(req.params['id']));
      if (!contact) throw new HttpError(404, 'contact not found');
      const { mergedWith } = await deps.contacts.addVerifiedPhone(agent.tenantId, contact.id, phoneE164, agent.id);
      await deps.audit.record(agent.tenantId, { actor: agent.id, role: agent.role, action: 'verify_phone', resource: `contact:${contact.id}` });
      res.status(201);
      return { contactId: mergedWith ?? contact.id, merged: mergedWith !== undefined };
    }),
  );

  router.get(
    '/inbox/contacts/:id/merge-suggestions',
    wrap(async (req, _res, agent) => {
      const contact = await deps.contacts.get(agent.tenantId, String(req.params['id']));
      if (!contact) throw new HttpError(404, 'contact not found');
      await deps.audit.record(agent.tenantId, { actor: agent.id, role: agent.role, action: 'read_merge_suggestions', resource: `contact:${contact.id}` });
      const suggestions = await deps.contacts.mergeSuggestions(agent.tenantId, contact.id);
      return { suggestions: suggestions.map((c) => ({ contactId: c.id, name: c.profileName, identities: c.identities, evidence: 'same profile name' })) };
    }),
  );

  router.post(
    '/inbox/contacts/:id/merge',
    wrap(async (req, _res, agent) => {
      if (agent.role === 'agent') throw new HttpError(403, 'merging contacts needs the supervisor role');
      const { otherContactId } = mergeSchema.parse(req.body);
      const [a, b] = await Promise.all([deps.contacts.get(agent.tenantId, String(req.params['id'])), deps.contacts.get(agent.tenantId, otherContactId)]);
      if (!a || !b) throw new HttpError(404, 'contact not found');
      await deps.contacts.merge(agent.tenantId, a.id, b.id, agent.id);
      await deps.audit.record(agent.tenantId, { actor: agent.id, role: agent.role, action: 'merge_contacts', resource: `contact:${a.id}` });
      return { contactId: a.id, merged: b.id };
    }),
  );

  router.post(
    '/inbox/contacts/:id/unmerge',
    wrap(async (req, _res, agent) => {
      if (agent.role === 'agent') throw new HttpError(403, 'unmerging contacts needs the supervisor role');
      await deps.contacts.unmerge(agent.tenantId, String(req.params['id']));
      await deps.audit.record(agent.tenantId, { actor: agent.id, role: agent.role, action: 'unmerge_contacts', resource: `contact:${String(req.params['id'])}` });
      return { contactId: String(req.params['id']) };
    }),
  );

  router.get(
    '/inbox/audit',
    wrap(async (req, _res, agent) => {
      if (agent.role === 'agent') throw new HttpError(403, 'the audit log needs the supervisor role');
      const resource = typeof req.query['resource'] === 'string' ? req.query['resource'] : '';
      if (!resource) throw new HttpError(400, 'resource query parameter is required, e.g. conversation:<id>');
      return { entries: await deps.audit.forResource(agent.tenantId, resource) };
    }),
  );

  router.post(
    '/inbox/presence',
    wrap(async (req, _res, agent) => {
      const { online } = presenceSchema.parse(req.body);
      if (online) await deps.presence.heartbeat(agent.tenantId, agent.id, agent.queues);
      else await deps.presence.offline(agent.tenantId, agent.id);
      return { agentId: agent.id, online, queues: agent.queues };
    }),
  );

  // An open event stream is the agent's presence: online while connected.
  router.get('/inbox/events', (req, res) => {
    const agent = agentOf(res);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(': connected\n\n');
    void deps.presence.heartbeat(agent.tenantId, agent.id, agent.queues).catch(() => undefined);
    const unsubscribe = deps.inbox.subscribe(agent.tenantId, (event) => {
      if (event.queue !== undefined && !canSeeQueue(agent, event.queue)) return;
      res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    });
    const keepAlive = setInterval(() => {
      res.write(': keep-alive\n\n');
      void deps.presence.heartbeat(agent.tenantId, agent.id, agent.queues).catch(() => undefined);
    }, 15_000);
    req.on('close', () => {
      clearInterval(keepAlive);
      unsubscribe();
      void deps.presence.offline(agent.tenantId, agent.id).catch(() => undefined);
    });
  });

  router.get(
    '/admin/faq',
    wrap(async (_req, _res, agent) => ({ entries: await deps.faq.get(agent.tenantId) })),
  );
  router.put(
    '/admin/faq',
    wrap(async (req, _res, agent) => {
      if (agent.role !== 'admin') throw new HttpError(403, 'editing content needs the admin role');
      const entries = faqSchema.parse(req.body);
      await deps.faq.put(agent.tenantId, entries);
      return { entries };
    }),
  );

  router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof HttpError) {
      res.status(error.status).json({ error: error.message });
      return;
    }
    if (error instanceof z.ZodError) {
      res.status(400).json({ error: 'invalid request', issues: error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`) });
      return;
    }
    if (typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number' && error.status < 500) {
      res.status(error.status).json({ error: 'unreadable request body' });
      return;
    }
    deps.logger.error({ err: { name: error instanceof Error ? error.name : 'Error' } }, 'inbox request failed');
    res.status(503).json({ error: 'temporarily unavailable' });
  });
  return router;
}

async function publishHandover(deps: InboxDeps, tenantId: string, c: Conversation, state: ConversationState, reason: string): Promise<void> {
  await deps.bus.publish(
    Topics.handoverChanged,
    { conversationId: c.id, contactId: c.contactId, state, queue: c.queue ?? '', agentId: c.agentId ?? '', priority: c.priority, reason, at: new Date() },
    { key: c.contactId, tenantId, facilityId: c.facilityId },
  );
}
