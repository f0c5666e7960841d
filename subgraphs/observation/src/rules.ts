import { AppError, conflict } from '@hsg/kit';
import type {
  BatchResultInput,
  Coding,
  LabResultInput,
  ObservationSource,
  ObservationStatus,
  Quantity,
  RecordLabResultsInput,
  ReferenceRange,
} from './model.ts';

/**
 * The input rules of lab results, each with a stable name clients (the HL7 bridge) can branch on
 * (`extensions.rule`). Pure. The kit already refuses control characters (NUL), strings over 1,000
 * characters and lists over 100 items in every argument; these are the domain's own.
 */
export type Rule =
  | 'PATIENT_REFERENCE'
  | 'UNKNOWN_PATIENT'
  | 'NO_RESULTS'
  | 'TOO_MANY_RESULTS'
  | 'TEXT_REQUIRED'
  | 'INVALID_CODE'
  | 'INVALID_SYSTEM'
  | 'MULTIPLE_VALUES'
  | 'VALUE_NOT_FINITE'
  | 'INVALID_COMPARATOR'
  | 'COMPARATOR_NOT_ALLOWED'
  | 'INVALID_STATUS'
  | 'REASON_REQUIRED'
  | 'ORDER_IS_KEPT';

/** One lab message's results; the kit's list bound (100) is the outer limit. */
export const MAX_RESULTS = 100;
const MAX_KEY_LENGTH = 200;
const comparators = new Set(['<', '<=', '>=', '>']);
/** FHIR's `code`: no leading, trailing or doubled whitespace. */
const fhirCode = /^[^\s]+( [^\s]+)*$/u;
/** FHIR's `uri`: no whitespace at all. */
const fhirUri = /^\S+$/u;

export function ruleViolation(rule: Rule, message: string, field: string): AppError {
  return new AppError('BAD_USER_INPUT', `${message} (rule ${rule})`, { details: { rule, field } });
}

/** A required text: trimmed, non-empty (FHIR strings cannot be empty), at most `max` characters. */
function text(value: string, field: string, max = MAX_KEY_LENGTH): string {
  const trimmed = value.trim();
  if (trimmed.length === 0 || trimmed.length > max)
    throw ruleViolation('TEXT_REQUIRED', `${field} must be 1 to ${max} characters, not only spaces`, field);
  return trimmed;
}

/** An optional text: empty means absent (FHIR has no empty strings). */
const optionalText = (value: string | null | undefined, field: string, max = MAX_KEY_LENGTH) =>
  value === null || value === undefined || value.trim() === '' ? null : text(value, field, max);

function coding(value: Coding, field: string): Coding {
  const code = value.code.trim();
  if (!fhirCode.test(code) || code.length > MAX_KEY_LENGTH)
    throw ruleViolation('INVALID_CODE', `${field}.code must be a code without surrounding spaces`, field);
  const system = optionalText(value.system, `${field}.system`);
  if (system !== null && !fhirUri.test(system))
    throw ruleViolation('INVALID_SYSTEM', `${field}.system must be a URI without spaces`, `${field}.system`);
  return { system, code, display: optionalText(value.display, `${field}.display`) };
}

function quantity(value: Quantity, field: string, comparatorAllowed: boolean): Quantity {
  // GraphQL's Float refuses NaN and Infinity from variables, but an inline literal like 1e999 parses
  // to Infinity: checked here, so no document ever holds one.
  if (!Number.isFinite(value.value))
    throw ruleViolation('VALUE_NOT_FINITE', `${field}.value must be a finite number`, `${field}.value`);
  const comparator = optionalText(value.comparator, `${field}.comparator`);
  if (comparator !== null && !comparatorAllowed)
    throw ruleViolation(
      'COMPARATOR_NOT_ALLOWED',
      `${field} is a simple quantity and takes no comparator`,
      `${field}.comparator`,
    );
  if (comparator !== null && !comparators.has(comparator))
    throw ruleViolation(
      'INVALID_COMPARATOR',
      `${field}.comparator must be one of <, <=, >=, >`,
      `${field}.comparator`,
    );
  const system = optionalText(value.system, `${field}.system`);
  if (system !== null && !fhirUri.test(system))
    throw ruleViolation('INVALID_SYSTEM', `${field}.system must be a URI without spaces`, `${field}.system`);
  const code = optionalText(value.code, `${field}.code`);
  if (code !== null && !fhirCode.test(code))
    throw ruleViolation('INVALID_CODE', `${field}.code must be a code`, `${field}.code`);
  return { value: value.value, unit: optionalText(value.unit, `${field}.unit`), system, code, comparator };
}

const maybe = <T, R>(value: T | null | undefined, map: (value: T) => R): R | null =>
  value === null || value === undefined ? null : map(value);

const valueKeys = [
  'valueQuantity',
  'valueString',
  'valueCoding',
  'valueRange',
  'valueRatio',
  'valueDateTime',
] as const;

/** A result checked and normalized: every optional part null when absent. */
export type LabResult = Omit<
  Required<{ [K in keyof LabResultInput]: Exclude<LabResultInput[K], undefined> }>,
  'category' | 'interpretation' | 'referenceRange'
> & { category: Coding[]; interpretation: string[]; referenceRange: ReferenceRange[] };

export function labResult(input: LabResultInput, field: string, allowEnteredInError = true): LabResult {
  const values = valueKeys.filter((key) => input[key] !== null && input[key] !== undefined);
  if (values.length > 1)
    throw ruleViolation(
      'MULTIPLE_VALUES',
      `${field} must have at most one value (has ${values.join(', ')})`,
      field,
    );
  if (!allowEnteredInError && input.status === 'ENTERED_IN_ERROR')
    throw ruleViolation(
      'INVALID_STATUS',
      `${field}.status ENTERED_IN_ERROR is set with markObservationEnteredInError`,
      `${field}.status`,
    );
  const range = (value: { low?: Quantity | null; high?: Quantity | null }, at: string) => ({
    low: maybe(value.low, (low) => quantity(low, `${at}.low`, false)),
    high: maybe(value.high, (high) => quantity(high, `${at}.high`, false)),
  });
  return {
    code: coding(input.code, `${field}.code`),
    status: input.status,
    category: (input.category ?? []).map((item, index) => coding(item, `${field}.category[${index}]`)),
    effective: input.effective ?? null,
    issued: input.issued ?? null,
    valueQuantity: maybe(input.valueQuantity, (value) => quantity(value, `${field}.valueQuantity`, true)),
    valueString: maybe(input.valueString, (value) => text(value, `${field}.valueString`, 1000)),
    valueCoding: maybe(input.valueCoding, (value) => coding(value, `${field}.valueCoding`)),
    valueRange: maybe(input.valueRange, (value) => range(value, `${field}.valueRange`)),
    valueRatio: maybe(input.valueRatio, (value) => ({
      numerator: maybe(value.numerator, (q) => quantity(q, `${field}.valueRatio.numerator`, true)),
      denominator: maybe(value.denominator, (q) => quantity(q, `${field}.valueRatio.denominator`, true)),
    })),
    valueDateTime: input.valueDateTime ?? null,
    interpretation: (input.interpretation ?? []).map((code, index) => {
      const trimmed = code.trim();
      if (!fhirCode.test(trimmed) || trimmed.length > 20)
        throw ruleViolation(
          'INVALID_CODE',
          `${field}.interpretation[${index}] must be an interpretation code such as H, L, N`,
          `${field}.interpretation[${index}]`,
        );
      return trimmed;
    }),
    referenceRange: (input.referenceRange ?? []).map((item, index) => ({
      ...range(item, `${field}.referenceRange[${index}]`),
      text: optionalText(item.text, `${field}.referenceRange[${index}].text`, 1000),
    })),
    note: optionalText(input.note, `${field}.note`, 1000),
  };
}

/** The batch checked: exactly one patient reference, 1..MAX_RESULTS results, the source's keys. */
export function labBatch(input: RecordLabResultsInput) {
  const byId = input.patientId !== null && input.patientId !== undefined;
  const byMrn = input.patientMrn !== null && input.patientMrn !== undefined;
  if (byId === byMrn)
    throw ruleViolation(
      'PATIENT_REFERENCE',
      'give exactly one of input.patientId and input.patientMrn',
      'input',
    );
  if (input.results.length === 0)
    throw ruleViolation('NO_RESULTS', 'input.results must hold at least one result', 'input.results');
  if (input.results.length > MAX_RESULTS)
    throw ruleViolation(
      'TOO_MANY_RESULTS',
      `input.results holds at most ${MAX_RESULTS} results; split the batch`,
      'input.results',
    );
  const source = {
    sendingFacility: text(input.source.sendingFacility, 'input.source.sendingFacility'),
    messageId: text(input.source.messageId, 'input.source.messageId'),
    placerOrder: optionalText(input.source.placerOrder, 'input.source.placerOrder'),
    fillerOrder: optionalText(input.source.fillerOrder, 'input.source.fillerOrder'),
  };
  return {
    patient: byId
      ? { id: text(input.patientId as string, 'input.patientId') }
      : { mrn: text(input.patientMrn as string, 'input.patientMrn') },
    source,
    results: input.results.map((result, index) => {
      const field = `input.results[${index}]`;
      const { placerOrder, fillerOrder, orderingProvider, ...content } = result;
      return {
        ...labResult(content, field),
        source: {
          ...source,
          placerOrder: optionalText(placerOrder, `${field}.placerOrder`) ?? source.placerOrder,
          fillerOrder: optionalText(fillerOrder, `${field}.fillerOrder`) ?? source.fillerOrder,
          orderingProvider: maybe(orderingProvider, (provider) => ({
            identifier: text(provider.identifier, `${field}.orderingProvider.identifier`),
            name: optionalText(provider.name, `${field}.orderingProvider.name`, 200),
          })),
        } satisfies ObservationSource,
      };
    }),
  };
}

/** A correction keeps its observation's order: the batch-only fields are refused rather than ignored. */
export function correctionResult(input: BatchResultInput): LabResult {
  for (const key of ['placerOrder', 'fillerOrder', 'orderingProvider'] as const)
    if (input[key] !== null && input[key] !== undefined)
      throw ruleViolation(
        'ORDER_IS_KEPT',
        `input.${key} is set by the lab batch; a correction keeps it`,
        `input.${key}`,
      );
  return labResult(input, 'input', false);
}

export type LabBatch = ReturnType<typeof labBatch>;

/** A mark-in-error needs a reason: trimmed, 1 to 1,000 characters. */
export function validReason(reason: string): string {
  const trimmed = reason.trim();
  if (trimmed.length === 0) throw ruleViolation('REASON_REQUIRED', 'reason must not be empty', 'reason');
  return trimmed;
}

/** Statuses that replace the earlier result of the same order and code rather than add one. */
export const supersedes = (status: ObservationStatus): boolean =>
  status === 'CORRECTED' || status === 'AMENDED' || status === 'ENTERED_IN_ERROR';

/**
 * v3 ObservationInterpretation: these say "nothing unusual" (normal, negative, not detected, non-reactive,
 * susceptible); every other code sent (H, L, HH, LL, A, AA, POS, <, >, …) is abnormal. None sent: normal.
 */
const normalCodes = new Set(['N', 'NEG', 'ND', 'NR', 'S']);
/** Critical (panic) values: critically high/low/abnormal, and off scale. */
const criticalCodes = new Set(['HH', 'LL', 'AA', '<', '>']);

export const isAbnormal = (codes: readonly string[]): boolean => codes.some((code) => !normalCodes.has(code));
export const isCritical = (codes: readonly string[]): boolean =>
  codes.some((code) => criticalCodes.has(code));

export function messageIdReused(): AppError {
  return conflict(
    'input.source.messageId was recorded already from this sending facility with different content; a lab message id names one message (rule MESSAGE_ID_REUSED)',
    { rule: 'MESSAGE_ID_REUSED', field: 'input.source.messageId' },
  );
}
