import { describe, expect, it } from '@jest/globals';
import { type GraphQLResponse, retryUnavailable } from '../src/graphql.ts';

const unavailable: GraphQLResponse = {
  errors: [{ message: 'not yet', extensions: { code: 'UNAVAILABLE' } }],
};
const conflict: GraphQLResponse = { errors: [{ message: 'taken', extensions: { code: 'CONFLICT' } }] };
const ok: GraphQLResponse = { data: { bookAppointment: { id: '1' } } };

/** A sender answering with `responses` in turn (the last one from then on), counting its calls. */
function sender(...responses: GraphQLResponse[]) {
  const send = async () => {
    send.calls++;
    return responses[Math.min(send.calls, responses.length) - 1] as GraphQLResponse;
  };
  send.calls = 0;
  return send;
}

describe('retryUnavailable', () => {
  it('re-sends while UNAVAILABLE and returns the first other answer', async () => {
    const send = sender(unavailable, unavailable, ok);
    expect(await retryUnavailable(send, { delayMs: 0 })).toBe(ok);
    expect(send.calls).toBe(3);
  });

  it('returns any other error at once', async () => {
    const send = sender(conflict);
    expect(await retryUnavailable(send, { delayMs: 0 })).toBe(conflict);
    expect(send.calls).toBe(1);
  });

  it('gives up after `attempts` sends, returning the last UNAVAILABLE', async () => {
    const send = sender(unavailable);
    expect(await retryUnavailable(send, { attempts: 4, delayMs: 0 })).toBe(unavailable);
    expect(send.calls).toBe(4);
  });
});
