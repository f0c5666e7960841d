import { defineEvent, eventsFrom } from '@hsg/kit/events';
import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';

const registered = defineEvent({
  type: 'thing.registered',
  topic: 'thing.events',
  data: z.object({ thing: z.object({ id: z.string(), version: z.number().int() }) }),
});
const event = eventsFrom('urn:hsg:subgraph:thing');

describe('building a producer’s events', () => {
  it('sets source, type, subject (the partition key), topic and the cause’s trace context', () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const built = event(registered, 't-1', { thing: { id: 't-1', version: 1 } }, { traceparent });
    expect(built.definition).toBe(registered);
    expect(built.event).toMatchObject({
      specversion: '1.0',
      source: 'urn:hsg:subgraph:thing',
      type: 'thing.registered',
      subject: 't-1',
      traceparent,
      data: { thing: { id: 't-1', version: 1 } },
    });
  });

  it('carries no trace context when the cause has none, and a fresh id each time', () => {
    const first = event(registered, 't-1', { thing: { id: 't-1', version: 1 } });
    const second = event(registered, 't-1', { thing: { id: 't-1', version: 1 } }, {});
    expect(first.event).not.toHaveProperty('traceparent');
    expect(second.event).not.toHaveProperty('traceparent');
    expect(first.event.id).not.toBe(second.event.id);
  });

  it('refuses data that breaks the event’s schema, at the producer', () => {
    expect(() => event(registered, 't-1', { thing: { id: 't-1', version: 1.5 } } as never)).toThrow();
  });
});
