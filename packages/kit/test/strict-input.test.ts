import { describe, expect, it } from '@jest/globals';
import { type GraphQLResolveInfo, GraphQLScalarType } from 'graphql';
import { assertCleanInput, defaultInputLimits, withStrictInput } from '../src/runtime/index.ts';

const limits = { maxStringLength: 10, maxListItems: 3 };
const refusal = (value: unknown) => {
  try {
    assertCleanInput(value, 'input', limits);
    return undefined;
  } catch (error) {
    return {
      field: (error as { details?: { field?: string } }).details?.field,
      message: (error as Error).message,
    };
  }
};

describe('strict input', () => {
  it('accepts ordinary text, tabs and line breaks, dates and nested lists within the limits', () => {
    expect(
      refusal({ a: 'Zoë Ødeg', b: ['x\ty', 'x\r\nz'], c: new Date(), d: [[1, 2]], e: null }),
    ).toBeUndefined();
  });

  it.each([
    [{ name: { given: ['ok', 'nul\u0000'] } }, 'input.name.given[1]', 'control characters'],
    [{ note: 'bell\u0007' }, 'input.note', 'control characters'],
    [{ note: 'del\u007f' }, 'input.note', 'control characters'],
    [{ note: '\u202eoverride' }, 'input.note', 'control characters'],
    [{ note: 'isolate\u2066' }, 'input.note', 'control characters'],
    [{ note: 'x'.repeat(11) }, 'input.note', 'at most 10 characters'],
    [{ tags: ['a', 'b', 'c', 'd'] }, 'input.tags', 'at most 3 items'],
  ])('refuses %j naming %s', (value, field, why) => {
    expect(refusal(value)).toEqual({ field, message: expect.stringContaining(why) });
  });

  it('checks every resolver argument before the resolver runs, leaving scalars, enums and federation hooks alone', async () => {
    let ran = false;
    const scalar = new GraphQLScalarType({ name: 'Day' });
    const resolveReference = () => 'entity';
    const wrapped = withStrictInput({
      Day: scalar,
      Color: { RED: 'red' },
      Query: {
        echo: (_: unknown, { text }: { text: string }) => {
          ran = true;
          return text;
        },
      },
      Person: { __resolveReference: resolveReference },
    } as never);
    const echo = (wrapped as Record<string, Record<string, (...args: unknown[]) => unknown>>).Query?.echo;
    const info = {} as GraphQLResolveInfo;
    expect(() => echo?.({}, { text: 'a\u0000' }, {}, info)).toThrow(
      expect.objectContaining({ code: 'BAD_USER_INPUT' }),
    );
    expect(ran).toBe(false);
    expect(echo?.({}, { text: 'fine' }, {}, info)).toBe('fine');
    expect((wrapped as Record<string, unknown>).Day).toBe(scalar);
    expect((wrapped as Record<string, unknown>).Color).toEqual({ RED: 'red' });
    expect((wrapped as Record<string, Record<string, unknown>>).Person?.__resolveReference).toBe(
      resolveReference,
    );
    expect(defaultInputLimits).toEqual({ maxStringLength: 1000, maxListItems: 100 });
  });
});
