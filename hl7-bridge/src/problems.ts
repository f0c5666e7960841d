/**
 * What can be wrong with a message, in HL7's own terms: a table 0357 code and where (ERR-2, ERL).
 * Messages name fields and types, never the values (they are patient data).
 */

/** HL7 table 0357, message error condition codes (v2.5). */
export const errorCodes = {
  '0': 'Message accepted',
  '100': 'Segment sequence error',
  '101': 'Required field missing',
  '102': 'Data type error',
  '103': 'Table value not found',
  '200': 'Unsupported message type',
  '201': 'Unsupported event code',
  '202': 'Unsupported processing id',
  '203': 'Unsupported version id',
  '204': 'Unknown key identifier',
  '205': 'Duplicate key identifier',
  '206': 'Application record locked',
  '207': 'Application internal error',
} as const;

export type ErrorCode = keyof typeof errorCodes;

/** ERL: segment ID, its sequence among segments of that ID (1-based), field, repetition, component. */
export interface Location {
  segment: string;
  sequence: number;
  field?: number;
  repetition?: number;
  component?: number;
}

export interface Problem {
  code: ErrorCode;
  /** For the sender, in ERR-8 (and MSA-3): what is wrong, without the value itself. */
  message: string;
  location?: Location;
  /** An application error code for ERR-5, e.g. the graph's rule (UNKNOWN_PATIENT). */
  rule?: string;
}

export const problem = (code: ErrorCode, message: string, location?: Location, rule?: string): Problem => ({
  code,
  message,
  ...(location ? { location } : {}),
  ...(rule ? { rule } : {}),
});

/** `OBX-5` or `OBX[2]-5.1`: how a message names a place (for texts). */
export function describeLocation(location: Location): string {
  const sequence = location.sequence > 1 ? `[${location.sequence}]` : '';
  const field = location.field === undefined ? '' : `-${location.field}`;
  const component = location.component === undefined ? '' : `.${location.component}`;
  return `${location.segment}${sequence}${field}${component}`;
}
