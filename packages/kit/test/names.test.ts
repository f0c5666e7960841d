import { badUserInput, nameCursor, nameSearchTokens, validHumanName } from '@hsg/kit';
import { cursorCodec, validPageSize } from '@hsg/kit/graphql';
import { describe, expect, it } from '@jest/globals';

describe('human names', () => {
  it('searches by each whole part and its space/hyphen pieces, case-folded', () => {
    expect(nameSearchTokens({ given: ['Anne-Marie'], family: 'de la Cruz' })).toEqual([
      'anne-marie',
      'de la cruz',
      'anne',
      'marie',
      'de',
      'la',
      'cruz',
    ]);
  });

  it('keeps a name made only of separators searchable as itself (never an empty token list)', () => {
    expect(nameSearchTokens({ given: ['-'], family: '-' })).toEqual(['-']);
  });

  it('trims, drops blank given names and names the field it refuses', () => {
    expect(validHumanName({ given: [' Ada ', ' '], family: ' Lovelace ' }, 'input.name')).toEqual({
      given: ['Ada'],
      family: 'Lovelace',
    });
    expect(() => validHumanName({ given: [' '], family: 'X' }, 'input.name')).toThrow(
      badUserInput('input.name.given must have at least one non-empty name', 'input.name.given'),
    );
  });
});

describe('paging', () => {
  it('round-trips a name cursor and refuses one it did not issue', () => {
    const cursor = { sortName: 'lovelace\u0001ada', id: '0190a3d6-7c2e-7000-8000-000000000001' };
    expect(nameCursor.decode(nameCursor.encode(cursor))).toEqual(cursor);
    for (const forged of ['garbage', Buffer.from('["x","not-a-uuid"]').toString('base64url')])
      expect(() => nameCursor.decode(forged)).toThrow('after is not a cursor returned by this API');
  });

  it('a codec decides what a cursor may contain', () => {
    const numbers = cursorCodec<number>(
      (n) => [n],
      ([n]) => (typeof n === 'number' ? n : undefined),
    );
    expect(numbers.decode(numbers.encode(7))).toBe(7);
  });

  it('accepts page sizes 1..100 only', () => {
    expect(validPageSize(100)).toBe(100);
    for (const first of [0, 101, 1.5])
      expect(() => validPageSize(first)).toThrow('first must be between 1 and 100');
  });
});
