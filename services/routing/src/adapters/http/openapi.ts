/** OpenAPI 3.1 description of the agent inbox and admin API, served at GET /openapi.json. */
const conversationId = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const ok = (description: string) => ({ description });
const errors = {
  '400': ok('invalid request, with the issues'),
  '401': ok('missing or invalid bearer token'),
  '403': ok('role not allowed'),
  '404': ok('not found (or not visible to the caller: another tenant or queue)'),
  '409': ok('state does not allow it (closed, no consent)'),
};

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Careloop routing — agent inbox API',
    version: '1.0.0',
    description:
      'For contact-centre agents and supervisors. Bearer JWT (HS256) with claims sub, tenant, role (agent | supervisor | admin) and queues. Agents see only their tenant and queues; every read of a conversation is audited.',
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    schemas: {
      ConversationSummary: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          status: { enum: ['bot', 'queued', 'with_agent', 'closed'] },
          queue: { type: ['string', 'null'] },
          priority: { type: 'integer' },
          agentId: { type: ['string', 'null'] },
          contactId: { type: 'string' },
          queuedAt: { type: ['string', 'null'], format: 'date-time' },
          slaDueAt: { type: ['string', 'null'], format: 'date-time' },
        },
      },
    },
  },
  security: [{ bearer: [] }],
  paths: {
    '/inbox/conversations': {
      get: {
        summary: 'List conversations (default: queued and with an agent), highest priority first',
        parameters: [
          { name: 'status', in: 'query', schema: { type: 'string' }, description: 'comma-separated statuses' },
          { name: 'queue', in: 'query', schema: { type: 'string' } },
        ],
        responses: { '200': ok('{ conversations: ConversationSummary[] }'), ...errors },
      },
    },
    '/inbox/conversations/{id}': { get: { summary: 'Conversation, contact and full history (audited)', parameters: [conversationId], responses: { '200': ok('conversation, contact, history'), ...errors } } },
    '/inbox/conversations/{id}/replies': {
      post: {
        summary: 'Reply to the patient: { text } inside the 24-hour window, or { template: { name, languageCode, parameters } }',
        parameters: [conversationId],
        responses: { '202': ok('{ commandId } — sent through gateway'), ...errors },
      },
    },
    '/inbox/conversations/{id}/assign': { post: { summary: 'Assign to self (or { agentId } as supervisor)', parameters: [conversationId], responses: { '200': ok('updated conversation'), ...errors } } },
    '/inbox/conversations/{id}/transfer': { post: { summary: 'Move to another queue: { queue }', parameters: [conversationId], responses: { '200': ok('updated conversation'), ...errors } } },
    '/inbox/conversations/{id}/notes': { post: { summary: 'Internal note, never sent to the patient: { text }', parameters: [conversationId], responses: { '201': ok('{ id }'), ...errors } } },
    '/inbox/conversations/{id}/close': { post: { summary: 'Close: the bot owns the contact again; a survey may follow', parameters: [conversationId], responses: { '200': ok('closed conversation'), ...errors } } },
    '/inbox/contacts/{id}/phones': { post: { summary: 'Record a verified phone { phoneE164 }; merges with the contact that has it', parameters: [conversationId], responses: { '201': ok('{ contactId, merged }'), ...errors } } },
    '/inbox/contacts/{id}/merge': { post: { summary: 'Merge { otherContactId } into this contact (supervisor)', parameters: [conversationId], responses: { '200': ok('merged'), ...errors } } },
    '/inbox/contacts/{id}/unmerge': { post: { summary: 'Undo a merge (supervisor)', parameters: [conversationId], responses: { '200': ok('unmerged'), ...errors } } },
    '/inbox/audit': { get: { summary: 'Audit entries for a resource, e.g. ?resource=conversation:<id> (supervisor)', responses: { '200': ok('{ entries }'), ...errors } } },
    '/inbox/events': { get: { summary: 'Server-sent events: message, queued, assigned, transferred, reply, note, closed, sla_missed (ids only)', responses: { '200': ok('text/event-stream'), ...errors } } },
    '/admin/faq': {
      get: { summary: 'FAQ content of the tenant', responses: { '200': ok('{ entries }'), ...errors } },
      put: { summary: 'Replace FAQ content (admin): [{ id, translations: { <lang>: { title, answer, keywords } } }]', responses: { '200': ok('{ entries }'), ...errors } },
    },
  },
} as const;
