import type { z } from 'zod';
import { MetaError, META_ERRORS } from '../meta-errors';
import {
  markReadSchema,
  OUTBOUND_MESSAGE_TYPES,
  sendMessageSchema,
  type MarkReadPayload,
  type SendMessagePayload,
} from './send-payload';

export type ParsedRequest = { kind: 'message'; payload: SendMessagePayload } | { kind: 'mark-read'; payload: MarkReadPayload };

const SUPPORTED_INTERACTIVE = ['list', 'button'];

/**
 * Turns a JSON body into a typed request or throws the Graph-style error Meta would return.
 * Structural errors are code 100 with Graph's parameter phrasing ("The parameter X is required.",
 * "Param X must be ..."); that phrasing is modeled on Graph API responses, not copied from a spec.
 */
export function parseSendRequest(body: unknown): ParsedRequest {
  if (!isRecord(body)) throw invalidParameter('The parameter messaging_product is required.');
  if (body['messaging_product'] === undefined) throw invalidParameter('The parameter messaging_product is required.');
  if (body['messaging_product'] !== 'whatsapp') {
    throw invalidParameter(`Param messaging_product must be one of {WHATSAPP} - got ${show(body['messaging_product'])}.`);
  }
  if (body['status'] !== undefined) {
    return { kind: 'mark-read', payload: parseWith(markReadSchema, body) };
  }
  // Meta: `type` is optional and defaults to text.
  const withType = body['type'] === undefined ? { ...body, type: 'text' } : body;
  const type = withType['type'];
  if (typeof type !== 'string' || !(OUTBOUND_MESSAGE_TYPES as readonly string[]).includes(type)) {
    throw invalidParameter(`Param type must be one of {${OUTBOUND_MESSAGE_TYPES.map((t) => t.toUpperCase()).join(', ')}} - got ${show(type)}.`);
  }
  if (withType['to'] === undefined && withType['recipient'] === undefined) throw invalidParameter('The parameter to is required.');
  if (withType['recipient_type'] !== undefined && withType['recipient_type'] !== 'individual') {
    throw invalidParameter(`Param recipient_type must be one of {INDIVIDUAL} - got ${show(withType['recipient_type'])} (group messaging is not simulated).`);
  }
  if (type === 'interactive') {
    const interactive = withType['interactive'];
    const interactiveType = isRecord(interactive) ? interactive['type'] : undefined;
    if (typeof interactiveType === 'string' && !SUPPORTED_INTERACTIVE.includes(interactiveType)) {
      throw invalidParameter(`Interactive type "${interactiveType}" is not supported by the simulator (supported: list, button).`);
    }
  }
  return { kind: 'message', payload: parseWith(sendMessageSchema, withType) };
}

function parseWith<S extends z.ZodType>(schema: S, body: Record<string, unknown>): z.infer<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw invalidParameter('Invalid parameter');
  const path = graphParamPath(issue.path);
  if (valueAt(body, issue.path) === undefined) throw invalidParameter(`The parameter ${path} is required.`);
  throw invalidParameter(`Param ${path} is invalid: ${issue.message}.`);
}

function invalidParameter(message: string): MetaError {
  return new MetaError({ ...META_ERRORS.invalidParameter, message: `(#100) ${message}` });
}

/** Graph names nested parameters like `interactive['action']['sections'][0]`. */
export function graphParamPath(path: readonly PropertyKey[]): string {
  const [first, ...rest] = path;
  return String(first ?? '') + rest.map((part) => (typeof part === 'number' ? `[${part}]` : `['${String(part)}']`)).join('');
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const part of path) {
    if (Array.isArray(current) && typeof part === 'number') current = current[part];
    else if (isRecord(current) && typeof part === 'string') current = current[part];
    else return undefined;
  }
  return current;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}
