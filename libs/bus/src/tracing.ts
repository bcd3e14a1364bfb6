import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type SpanOptions,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import type { IHeaders } from 'kafkajs';

// One proxy tracer for the process: it follows whichever provider is registered.
const busTracer = trace.getTracer('@careloop/bus');
const tracer = () => busTracer;

type MutableHeaders = Record<string, string>;

const headerSetter: TextMapSetter<MutableHeaders> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

const headerGetter: TextMapGetter<IHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined ? undefined : first.toString();
  },
};

/** Per topic: the producer span's name and the options that do not change from event to event. */
const publishSpanShapes = new Map<string, { name: string; keyed: SpanOptions; unkeyed: SpanOptions }>();
function publishSpanShape(topic: string): { name: string; keyed: SpanOptions; unkeyed: SpanOptions } {
  let shape = publishSpanShapes.get(topic);
  if (!shape) {
    const options = (keyed: boolean): SpanOptions => ({
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'send',
        'messaging.destination.name': topic,
        'messaging.destination.partition.key_present': keyed,
      },
    });
    shape = { name: `send ${topic}`, keyed: options(true), unkeyed: options(false) };
    publishSpanShapes.set(topic, shape);
  }
  return shape;
}

/** Starts a producer span and returns the headers carrying its W3C context (none without a context to carry). */
export function startPublishSpan(topic: string, eventId: string, eventType: string, keyPresent = true): { span: Span; headers: MutableHeaders | undefined } {
  // The name and constant attributes are built once per topic, and the per-event ones added only
  // to a recording span: with tracing off, an event costs the no-op span and the returned pair.
  const shape = publishSpanShape(topic);
  const span = tracer().startSpan(shape.name, keyPresent ? shape.keyed : shape.unkeyed);
  if (span.isRecording()) span.setAttributes({ 'messaging.message.id': eventId, 'careloop.event.type': eventType });
  // Without a valid span context (no tracer provider and no traced parent) and without baggage
  // there is nothing to propagate; skipping inject saves a context and a headers object per event.
  if (!trace.isSpanContextValid(span.spanContext()) && propagation.getActiveBaggage() === undefined) return { span, headers: undefined };
  const headers: MutableHeaders = {};
  propagation.inject(trace.setSpan(context.active(), span), headers, headerSetter);
  return { span, headers };
}

/** Runs `work` inside a consumer span whose parent is the producer's span from the record headers. */
export async function withProcessSpan<R>(
  topic: string,
  group: string,
  headers: IHeaders,
  attributes: Record<string, string | number>,
  work: (span: Span) => Promise<R>,
): Promise<R> {
  const parent: Context = propagation.extract(ROOT_CONTEXT, headers, headerGetter);
  const span = tracer().startSpan(
    `process ${topic}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
        'messaging.destination.name': topic,
        'messaging.consumer.group.name': group,
        ...attributes,
      },
    },
    parent,
  );
  try {
    const result = await context.with(trace.setSpan(parent, span), () => work(span));
    span.setStatus({ code: SpanStatusCode.OK });
    return result;
  } catch (error) {
    span.recordException(error instanceof Error ? error : new Error(String(error)));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
    throw error;
  } finally {
    span.end();
  }
}

export function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined) {
    span.recordException(error instanceof Error ? error : new Error(typeof error === 'string' ? error : 'non-error thrown'));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
  }
  span.end();
}
