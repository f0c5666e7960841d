import { randomUUID } from 'node:crypto';
import { z } from 'zod';

const traceparentPattern = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** A W3C trace context an envelope may carry (consumers reject envelopes with any other). */
export const isTraceparent = (value: unknown): value is string =>
  typeof value === 'string' && traceparentPattern.test(value);

/** CloudEvents 1.0 (structured JSON mode) plus the W3C trace context extension. */
export const cloudEventSchema = z.object({
  specversion: z.literal('1.0'),
  id: z.string().min(1),
  source: z.string().min(1),
  type: z.string().min(1),
  subject: z.string().min(1),
  time: z.iso.datetime({ offset: true }),
  datacontenttype: z.literal('application/json'),
  traceparent: z.string().regex(traceparentPattern).optional(),
  data: z.unknown(),
});

export type CloudEvent<Data = unknown, Type extends string = string> = Omit<
  z.infer<typeof cloudEventSchema>,
  'data' | 'type'
> & { type: Type; data: Data };

/**
 * One event type's contract: its name, the topic it travels on (the owning domain's), and the schema of
 * its data. Producer and consumers import the same definition, so they cannot drift apart.
 */
export interface EventDefinition<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly topic: string;
  readonly data: z.ZodType<Data>;
}

export function defineEvent<Type extends string, Schema extends z.ZodType>(definition: {
  type: Type;
  topic: string;
  data: Schema;
}): EventDefinition<Type, z.output<Schema>> {
  return definition as EventDefinition<Type, z.output<Schema>>;
}

export type EventData<D> = D extends EventDefinition<string, infer Data> ? Data : never;

export interface NewEvent<Data> {
  source: string;
  /** The aggregate's id: also the partition key, so one aggregate's events stay in order. */
  subject: string;
  data: Data;
  traceparent?: string | undefined;
  id?: string;
  time?: Date;
}

/** Builds a validated envelope; invalid data is a programming error and throws here, at the producer. */
export function createEvent<Type extends string, Data>(
  definition: EventDefinition<Type, Data>,
  event: NewEvent<Data>,
): CloudEvent<Data, Type> {
  return {
    specversion: '1.0',
    id: event.id ?? randomUUID(),
    source: event.source,
    type: definition.type,
    subject: event.subject,
    time: (event.time ?? new Date()).toISOString(),
    datacontenttype: 'application/json',
    ...(event.traceparent ? { traceparent: event.traceparent } : {}),
    data: definition.data.parse(event.data),
  };
}

export const cloudEventContentType = 'application/cloudevents+json; charset=utf-8';

export type DecodeResult = { kind: 'event'; event: CloudEvent } | { kind: 'malformed'; reason: string };

/** Parses a record's value as a CloudEvent envelope (not yet its data, which depends on the type). */
export function decodeEnvelope(value: string): DecodeResult {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return { kind: 'malformed', reason: 'value is not JSON' };
  }
  const parsed = cloudEventSchema.safeParse(json);
  if (!parsed.success) return { kind: 'malformed', reason: `not a CloudEvent: ${summarize(parsed.error)}` };
  return { kind: 'event', event: parsed.data as CloudEvent };
}

/** Field paths and messages only: zod messages do not echo values, so no payload data leaks into logs. */
export function summarize(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}
