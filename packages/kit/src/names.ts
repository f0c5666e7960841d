import { badUserInput } from './errors.ts';
import { cursorCodec } from './graphql/paging.ts';
import { isUuid } from './ids.ts';

/** A person's name as patients and doctors carry it. */
export interface HumanName {
  given: string[];
  family: string;
}

const MAX_PART = 100;
const MAX_GIVEN = 10;
const letter = /\p{L}/u;

/** Trimmed parts; blank given names are dropped, at least one must remain; the family name is required. */
export function validHumanName(name: HumanName, field: string): HumanName {
  const given = name.given.map((part) => part.trim()).filter((part) => part.length > 0);
  const family = name.family.trim();
  if (family.length === 0) throw badUserInput(`${field}.family must not be empty`, `${field}.family`);
  if (given.length === 0)
    throw badUserInput(`${field}.given must have at least one non-empty name`, `${field}.given`);
  if ([...given, family].some((part) => part.length > MAX_PART))
    throw badUserInput(`${field} parts must be at most ${MAX_PART} characters`, field);
  if (given.length > MAX_GIVEN)
    throw badUserInput(`${field}.given must have at most ${MAX_GIVEN} names`, `${field}.given`);
  // Zero-width characters, marks or punctuation alone are not a name anyone can be called by.
  if (!letter.test(family)) throw badUserInput(`${field}.family must contain a letter`, `${field}.family`);
  if (given.some((part) => !letter.test(part)))
    throw badUserInput(`${field}.given names must each contain a letter`, `${field}.given`);
  return { given, family };
}

/** Given names then family name, as printed on a wristband. */
export const humanNameText = (name: HumanName): string => [...name.given, name.family].join(' ');

/** The sort key keyset paging walks: family, then given names, case-folded; the id breaks ties. */
export const nameSortKey = (name: HumanName): string =>
  `${name.family}\u0001${name.given.join(' ')}`.toLowerCase();

/** Case-folded tokens a "starts with" search matches: each whole part and its space/hyphen pieces. */
export function nameSearchTokens(name: HumanName): string[] {
  const parts = [...name.given, name.family].map((part) => part.toLowerCase());
  const pieces = parts.flatMap((part) => part.split(/[\s-]+/));
  return [...new Set([...parts, ...pieces].filter((token) => token.length > 0))];
}

/** A case-folded LIKE pattern for "starts with text", its wildcards escaped. */
export const likePrefix = (text: string): string =>
  `${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Where a name-ordered page ends: the sort key and the id. */
export interface NameCursor {
  sortName: string;
  id: string;
}

export const nameCursor = cursorCodec<NameCursor>(
  (cursor) => [cursor.sortName, cursor.id],
  (parts) =>
    typeof parts[0] === 'string' && isUuid(parts[1]) ? { sortName: parts[0], id: parts[1] } : undefined,
);
