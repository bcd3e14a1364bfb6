import { Router, type NextFunction, type Request, type Response } from 'express';
import { newFbtraceId } from '../ids';
import type { MessengerService } from '../messenger/send-api';
import type { OutboundService } from '../messaging/outbound-service';
import { graphErrorBody, MetaError, META_ERRORS } from '../meta-errors';
import type { BusinessPhoneNumber } from '../options';
import type { RequestLogEntry } from '../request-log';
import { requireAccessToken } from './auth';
import { parseSendRequest } from './parse-payload';

export interface GraphRoutesDeps {
  readonly now: () => number;
  readonly whatsappTokens: () => readonly string[];
  readonly messengerTokens: () => readonly string[];
  readonly phoneNumber: (id: string) => BusinessPhoneNumber | undefined;
  readonly pageId: string;
  readonly outbound: OutboundService;
  readonly messenger: MessengerService;
  readonly record: (entry: RequestLogEntry) => void;
  readonly log: (line: string) => void;
}

/** `POST /{version}/{phone-number-id}/messages` and the Messenger `POST /{version}/me/messages`. */
export function graphRoutes(deps: GraphRoutesDeps): Router {
  const router = Router();

  // Registered first: `me` would otherwise be taken for a phone number id.
  router.post('/:version/me/messages', (req, res) => {
    const facts = { channel: 'messenger' as const, business: deps.pageId, body: req.body as unknown };
    respond(res, deps, facts, () => {
      requireAccessToken(req, deps.messengerTokens());
      const outcome = deps.messenger.send(req.body);
      if (outcome.kind === 'network-drop') return 'drop';
      return { kind: outcome.message ? 'message' : 'sender-action', status: 200, body: outcome.body, messageId: outcome.message?.mid };
    });
  });

  router.post('/:version/:phoneNumberId/messages', (req, res) => {
    const version = req.params['version'];
    const phoneNumberId = req.params['phoneNumberId'];
    const facts = { channel: 'whatsapp' as const, business: phoneNumberId, body: req.body as unknown };
    respond(res, deps, facts, () => {
      requireAccessToken(req, deps.whatsappTokens());
      if (deps.phoneNumber(phoneNumberId) === undefined) throw unknownObject(phoneNumberId);
      const request = parseSendRequest(req.body);
      if (request.kind === 'mark-read') {
        return { kind: 'mark-read', status: 200, body: deps.outbound.markRead(phoneNumberId, request.payload) };
      }
      const outcome = deps.outbound.send(phoneNumberId, version, request.payload);
      if (outcome.kind === 'network-drop') return 'drop';
      return { kind: 'message', status: 200, body: outcome.body, messageId: outcome.message.wamid };
    });
  });

  return router;
}

interface Handled {
  readonly kind: RequestLogEntry['kind'];
  readonly status: number;
  readonly body: unknown;
  readonly messageId?: string | undefined;
}

interface RequestFacts {
  readonly channel: RequestLogEntry['channel'];
  readonly business: string;
  readonly body: unknown;
}

function respond(res: Response, deps: GraphRoutesDeps, facts: RequestFacts, handle: () => Handled | 'drop'): void {
  const at = deps.now();
  try {
    const result = handle();
    if (result === 'drop') {
      deps.record({ ...facts, at, kind: 'message', httpStatus: 0 });
      deps.log(`${facts.channel} ${facts.business}: dropped the connection (injected)`);
      res.socket?.destroy();
      return;
    }
    deps.record({ ...facts, at, kind: result.kind, httpStatus: result.status, ...(result.messageId !== undefined ? { messageId: result.messageId } : {}) });
    res.status(result.status).json(result.body);
  } catch (error) {
    const metaError = error instanceof MetaError ? error : unexpected(error, deps);
    deps.record({ ...facts, at, kind: 'unknown', httpStatus: metaError.httpStatus, errorCode: metaError.code });
    deps.log(`${facts.channel} ${facts.business}: ${metaError.httpStatus} ${metaError.message}${metaError.details ? ` — ${metaError.details}` : ''}`);
    res.status(metaError.httpStatus).json(graphErrorBody(metaError, newFbtraceId()));
  }
}

/** Graph's answer for an object id the token cannot see (code 100, subcode 33). */
function unknownObject(id: string): MetaError {
  return new MetaError({
    ...META_ERRORS.invalidParameter,
    type: 'GraphMethodException',
    subcode: 33,
    message: `Unsupported post request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
  });
}

function unexpected(error: unknown, deps: GraphRoutesDeps): MetaError {
  deps.log(`simulator bug: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return new MetaError({ ...META_ERRORS.unknown, details: 'Unexpected simulator error' });
}

/** Malformed JSON bodies get Graph's invalid-parameter error instead of express's HTML page. */
export function jsonErrorHandler(error: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (error instanceof SyntaxError || (typeof error === 'object' && error !== null && (error as { type?: unknown }).type === 'entity.parse.failed')) {
    const metaError = new MetaError({ ...META_ERRORS.invalidParameter, message: '(#100) Invalid parameter', details: 'Request body is not valid JSON' });
    res.status(400).json(graphErrorBody(metaError, newFbtraceId()));
    return;
  }
  next(error);
}
