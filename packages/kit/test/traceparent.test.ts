import { describe, expect, it } from '@jest/globals';
import { traceparentOf } from '../src/runtime/index.ts';

describe('traceparentOf', () => {
  const valid = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

  it('keeps a well-formed W3C trace context', () => {
    expect(traceparentOf({ traceparent: valid })).toBe(valid);
  });

  it.each([
    ['absent', undefined],
    ['garbage', 'not-a-trace'],
    ['upper-case hex', valid.toUpperCase()],
    ['a short trace id', '00-0af7651916cd43dd-b7ad6b7169203331-01'],
    ['repeated headers', [valid, valid]],
  ])('drops one that is %s, so events never carry a malformed one', (_case, value) => {
    expect(traceparentOf({ traceparent: value as string | undefined })).toBeUndefined();
  });
});
