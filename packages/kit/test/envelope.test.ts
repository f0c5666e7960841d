import { createEvent, decodeEnvelope, defineEvent } from '@hsg/kit/events';
import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';

const registered = defineEvent({
  type: 'patient.registered',
  topic: 'patient.events',
  data: z.object({ patientId: z.string(), active: z.boolean() }),
});

describe('CloudEvents envelope', () => {
  it('builds a CloudEvents 1.0 envelope with trace context, keyed by the aggregate id', () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const event = createEvent(registered, {
      source: 'urn:hsg:patient',
      subject: 'p-1',
      data: { patientId: 'p-1', active: true },
      traceparent,
      time: new Date('2026-11-22T10:00:00Z'),
    });
    expect(event).toEqual({
      specversion: '1.0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      source: 'urn:hsg:patient',
      type: 'patient.registered',
      subject: 'p-1',
      time: '2026-11-22T10:00:00.000Z',
      datacontenttype: 'application/json',
      traceparent,
      data: { patientId: 'p-1', active: true },
    });
    expect(decodeEnvelope(JSON.stringify(event))).toEqual({ kind: 'event', event });
  });

  it('refuses to produce data that breaks the event schema', () => {
    expect(() =>
      createEvent(registered, { source: 's', subject: 'p-1', data: { patientId: 'p-1' } as never }),
    ).toThrow();
  });

  it('names what is wrong with a malformed envelope without echoing its values', () => {
    expect(decodeEnvelope('{"specversion":"0.3","id":"x","secretName":"Ada"}')).toEqual({
      kind: 'malformed',
      reason: expect.not.stringContaining('Ada'),
    });
    expect(decodeEnvelope('not json')).toEqual({ kind: 'malformed', reason: 'value is not JSON' });
  });
});
