import { isLocalSystem, isUcum, systemOf, ucumSystem, valueTypes } from './codes.ts';
import { componentsOf, type Delimiters, firstRepetitionOf, isHl7Null, partOf, repetitionsOf } from './er7.ts';
import { type Charset, unescapeText } from './escapes.ts';
import {
  type CodingInput,
  graphLimits,
  type LabResultInput,
  type QuantityInput,
  type ReferenceRangeInput,
} from './lab-results.ts';
import { type Location, type Problem, problem } from './problems.ts';
import { hl7DateTime } from './timestamps.ts';

/** What reading a message's values needs besides the value itself. */
export interface ValueContext {
  delimiters: Delimiters;
  charset: Charset;
  /** MSH-4: the namespace of local coding systems. */
  sendingFacility: string;
  /** IANA zone of date/times sent without an offset. */
  timeZone: string;
  /** All of the above in one string: what a remembered reading depends on. */
  key: string;
}

export function valueContext(
  delimiters: Delimiters,
  charset: Charset,
  sendingFacility: string,
  timeZone: string,
): ValueContext {
  const key = `${delimiters.field}${delimiters.encoding}\u0000${charset}\u0000${timeZone}\u0000${sendingFacility}`;
  // The same string object as last time when nothing changed: remembered readings compare it by identity.
  if (key !== lastKey) lastKey = key;
  return { delimiters, charset, sendingFacility, timeZone, key: lastKey };
}

let lastKey = '';

/**
 * Readings remembered by raw value (and the context they were read in): a lab sends the same codes, units
 * and reference ranges in message after message, and reading them is most of the mapping's time. One
 * entry per raw value, bounded (cleared when full); what is remembered is frozen, since results of
 * different messages share it.
 */
class Remembered<T> {
  private readonly entries = new Map<string, { context: string; extra: string; value: T }>();
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  get(
    raw: string,
    extra: string,
    context: ValueContext,
    read: (raw: string, extra: string, context: ValueContext) => T,
    keep?: (value: T) => boolean,
  ): T {
    const entry = this.entries.get(raw);
    if (entry !== undefined && entry.context === context.key && entry.extra === extra) return entry.value;
    const value = read(raw, extra, context);
    if (keep && !keep(value)) return value;
    if (this.entries.size >= this.limit) this.entries.clear();
    this.entries.set(raw, { context: context.key, extra, value: deepFreeze(value) });
    return value;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

const codings = new Remembered<{ coding?: CodingInput; text: string }>(2048);
const units = new Remembered<Omit<QuantityInput, 'value'>>(1024);
const ranges = new Remembered<Read<ReferenceRangeInput | undefined>>(2048);

/** A value field of LabResultInput: at most one is set. */
export type ResultValue = Pick<
  LabResultInput,
  'valueQuantity' | 'valueString' | 'valueCoding' | 'valueRange' | 'valueRatio' | 'valueDateTime'
>;

export type Read<T> = { ok: true; value: T } | { ok: false; problem: Problem };

const ok = <T>(value: T): Read<T> => ({ ok: true, value });
const fail = <T>(code: Problem['code'], message: string, location: Location): Read<T> => ({
  ok: false,
  problem: problem(code, message, location),
});

/** An HL7 NM (optional sign, digits, optional decimal point; spaces around), or undefined. */
export function numberOf(text: string): number | undefined {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) === 0x20) start++;
  while (end > start && text.charCodeAt(end - 1) === 0x20) end--;
  let position = start;
  const sign = text.charCodeAt(position);
  if (sign === 0x2b || sign === 0x2d) position++;
  let digits = 0;
  let point = false;
  for (; position < end; position++) {
    const code = text.charCodeAt(position);
    if (code >= 0x30 && code <= 0x39) digits++;
    else if (code === 0x2e && !point) point = true;
    else return undefined;
  }
  if (digits === 0) return undefined;
  const value = Number(start === 0 && end === text.length ? text : text.slice(start, end));
  return Number.isFinite(value) ? value : undefined;
}

/** A component as text: unescaped and trimmed; HL7's explicit null `""` is empty. */
export function textOf(raw: string, context: ValueContext): string {
  if (raw === '' || isHl7Null(raw)) return '';
  return unescapeText(raw, context.delimiters, context.charset).trim();
}

/** Cut to the graph's bound for a display text (a code's display is a label, not the result). */
const label = (text: string) =>
  text.length > graphLimits.maxKeyLength ? text.slice(0, graphLimits.maxKeyLength) : text;

/**
 * A CWE/CE as a coding: the identifier (components 1-3), else the alternate (4-6); undefined when neither
 * is sent. The graph keeps one coding, so when the identifier is local and the alternate is a standard
 * one (a local code with its LOINC), the standard one is kept: that is the one readers look for.
 */
export function codingOf(raw: string, context: ValueContext): { coding?: CodingInput; text: string } {
  return codings.get(raw, '', context, readCoding);
}

function readCoding(
  raw: string,
  _extra: string,
  context: ValueContext,
): { coding?: CodingInput; text: string } {
  const separator = context.delimiters.component;
  const at = (n: number) => textOf(partOf(raw, n, separator), context);
  const primary = at(1);
  let base = 1;
  let system = primary === '' ? undefined : systemOf(at(3), context.sendingFacility);
  if (primary === '' || system === undefined || isLocalSystem(system)) {
    const alternate = at(4);
    const alternateSystem = alternate === '' ? undefined : systemOf(at(6), context.sendingFacility);
    if (primary === '' || (alternateSystem !== undefined && !isLocalSystem(alternateSystem))) {
      if (alternate === '') return { text: at(2) };
      base = 4;
      system = alternateSystem;
    }
  }
  const coding: CodingInput = { code: base === 1 ? primary : at(4) };
  if (system) coding.system = system;
  const display = at(base + 1);
  if (display !== '') coding.display = label(display);
  return { coding, text: at(2) };
}

/** OBX-6 (CWE/CE) as the unit parts of a quantity: UCUM code and system when its coding system says so. */
export function unitOf(raw: string, context: ValueContext): Omit<QuantityInput, 'value'> {
  if (raw === '') return noUnit;
  return units.get(raw, '', context, readUnit);
}

const noUnit: Omit<QuantityInput, 'value'> = Object.freeze({});

function readUnit(raw: string, _extra: string, context: ValueContext): Omit<QuantityInput, 'value'> {
  const first = firstRepetitionOf(raw, context.delimiters);
  const separator = context.delimiters.component;
  const at = (n: number) => textOf(partOf(first, n, separator), context);
  const code = at(1);
  const unit = at(2) || code;
  if (code !== '' && isUcum(at(3))) return { unit: label(unit), system: ucumSystem, code };
  const alternate = at(4);
  if (alternate !== '' && isUcum(at(6)))
    return { unit: label(unit || at(5) || alternate), system: ucumSystem, code: alternate };
  return unit === '' ? {} : { unit: label(unit) };
}

/** A quantity in a unit, built key by key (this runs for every value and reference range). */
export function quantityOf(
  value: number,
  unit: Omit<QuantityInput, 'value'>,
  comparator?: string,
): QuantityInput {
  const quantity: QuantityInput = { value };
  if (unit.unit !== undefined) quantity.unit = unit.unit;
  if (unit.system !== undefined) quantity.system = unit.system;
  if (unit.code !== undefined) quantity.code = unit.code;
  if (comparator !== undefined) quantity.comparator = comparator;
  return quantity;
}

/** The repetitions of OBX-5 that hold something. */
function valuesOf(raw: string, delimiters: Delimiters): string[] {
  if (raw === '' || isHl7Null(raw)) return [];
  if (delimiters.repetition === '' || raw.indexOf(delimiters.repetition) < 0) return [raw];
  return raw.split(delimiters.repetition).filter((repetition) => repetition !== '' && !isHl7Null(repetition));
}

/** A table value as sent if it is one already (the usual case), else trimmed and in upper case. */
function tableValue<T>(raw: string, table: Record<string, T>): { key: string; value: T | undefined } {
  const direct = table[raw];
  if (direct !== undefined) return { key: raw, value: direct };
  const key = raw.trim().toUpperCase();
  return { key, value: table[key] };
}

const comparators = new Set(['<', '>', '<=', '>=']);
const separatorLike = new Set(['-', '+', ':', '/', '.']);

/**
 * SN (structured numeric): `[comparator]^number[^separator^number]`. `>^10` is a quantity with a
 * comparator, `^1^-^5` a range, `^1^:^128` (or `/`) a ratio, `^2^+` the text "2+". A sender that left out
 * the leading empty comparator (`1^-^5`) is read the same way.
 */
function structuredNumeric(
  raw: string,
  unit: Omit<QuantityInput, 'value'>,
  context: ValueContext,
  at: Location,
) {
  let parts = componentsOf(raw, context.delimiters).map((part) => textOf(part, context));
  if (
    parts[0] !== undefined &&
    numberOf(parts[0]) !== undefined &&
    (parts.length === 1 || separatorLike.has(parts[1] ?? ''))
  )
    parts = ['', ...parts];
  const [comparator = '', first = '', separator = '', second = ''] = parts;
  const notSn = () => fail<ResultValue>('102', 'OBX-5 is not a structured numeric (SN) value', at);
  if (first === '' && second === '' && separator === '' && comparator === '') return ok<ResultValue>({});
  const low = numberOf(first);
  if (low === undefined) return notSn();
  if (parts.length > 4) return notSn();
  if (separator === '' && second === '') {
    if (comparator === '' || comparator === '=')
      return ok<ResultValue>({ valueQuantity: quantityOf(low, unit) });
    if (comparators.has(comparator))
      return ok<ResultValue>({ valueQuantity: quantityOf(low, unit, comparator) });
    if (comparator === '<>') return ok<ResultValue>({ valueString: `<>${first}` });
    return notSn();
  }
  if (separator === '+' && second === '' && comparator === '')
    return ok<ResultValue>({ valueString: `${first}+` });
  const high = numberOf(second);
  if (high === undefined) return notSn();
  if (separator === '-' && comparator === '')
    return ok<ResultValue>({ valueRange: { low: quantityOf(low, unit), high: quantityOf(high, unit) } });
  if ((separator === ':' || separator === '/') && (comparator === '' || comparators.has(comparator)))
    return ok<ResultValue>({
      valueRatio: {
        numerator: { value: low, ...(comparator === '' ? {} : { comparator }) },
        denominator: { value: high },
      },
    });
  if (separator === '.' && comparator === '') return ok<ResultValue>({ valueString: `${first}.${second}` });
  return notSn();
}

/** A text longer than the graph keeps is refused here, where the sender can be told which field it is. */
function boundedText(text: string, at: Location, what: string): Read<string> {
  return text.length > graphLimits.maxTextLength
    ? fail('102', `${what} is longer than ${graphLimits.maxTextLength} characters`, at)
    : ok(text);
}

/** OBX-5 by its type (OBX-2): one value field of the result, or none when OBX-5 is empty. */
export function resultValueOf(
  obxFields: readonly string[],
  sequence: number,
  unit: Omit<QuantityInput, 'value'>,
  context: ValueContext,
): Read<ResultValue> {
  const raw = obxFields[5] ?? '';
  const values = valuesOf(raw, context.delimiters);
  if (values.length === 0) return ok({});
  const { key: type, value: kind } = tableValue(obxFields[2] ?? '', valueTypes);
  const at: Location = { segment: 'OBX', sequence, field: 5 };
  if (type === '')
    return fail('101', 'OBX-2 (value type) is required when OBX-5 has a value', { ...at, field: 2 });
  if (kind === undefined)
    return fail('102', `OBX-2 value type ${type.slice(0, 5)} is not supported by this bridge`, {
      ...at,
      field: 2,
    });
  if (kind === 'text') {
    // Every repetition is a line, empty ones too (a blank line in a report).
    const text = repetitionsOf(raw, context.delimiters)
      .map((value) => (isHl7Null(value) ? '' : unescapeText(value, context.delimiters, context.charset)))
      .join('\n')
      .trim();
    if (text === '') return ok({});
    const bounded = boundedText(text, at, 'OBX-5');
    return bounded.ok ? ok({ valueString: bounded.value }) : bounded;
  }
  if (values.length > 1) return fail('102', `OBX-5 repeats; a ${type} result takes one value`, at);
  const value = values[0] as string;
  switch (kind) {
    case 'quantity': {
      const number = numberOf(textOf(value, context));
      if (number === undefined) return fail('102', 'OBX-5 is not a number (NM)', at);
      return ok({ valueQuantity: quantityOf(number, unit) });
    }
    case 'structured':
      return structuredNumeric(value, unit, context, at);
    case 'coded': {
      const { coding, text } = codingOf(value, context);
      if (coding) return ok({ valueCoding: coding });
      return text === '' ? ok({}) : ok({ valueString: text });
    }
    case 'datetime': {
      const text = textOf(partOf(value, 1, context.delimiters.component), context);
      if (text === '') return ok({});
      const instant = hl7DateTime(text, context.timeZone);
      return instant
        ? ok({ valueDateTime: instant })
        : fail('102', `OBX-5 is not an HL7 date/time (${type})`, at);
    }
    case 'time': {
      const text = textOf(value, context);
      return text === '' ? ok({}) : ok({ valueString: text });
    }
    case 'code': {
      const code = textOf(value, context);
      return code === '' ? ok({}) : ok({ valueCoding: { code } });
    }
  }
}

const rangePattern = /^([+-]?\d*\.?\d+)\s*-\s*([+-]?\d*\.?\d+)$/;
const boundPattern = /^(<=|>=|<|>)\s*([+-]?\d*\.?\d+)$/;

/**
 * OBX-7 as a reference range: `3.5-5.1` gives low and high, `<5` (`<=5`) a high and `>10` (`>=10`) a
 * low, each in OBX-6's unit, the text kept for the bound forms (it says whether the bound is inclusive);
 * anything else is kept as text.
 */
export function referenceRangeOf(
  raw: string,
  rawUnit: string,
  context: ValueContext,
  at: Location,
): Read<ReferenceRangeInput | undefined> {
  if (raw === '') return ok(undefined);
  const read = ranges.get(raw, rawUnit, context, readRange);
  if (read.ok && read.value?.text !== undefined && read.value.text.length > graphLimits.maxTextLength)
    return fail('102', `OBX-7 is longer than ${graphLimits.maxTextLength} characters`, at);
  return read;
}

function readRange(
  raw: string,
  rawUnit: string,
  context: ValueContext,
): Read<ReferenceRangeInput | undefined> {
  const unit = unitOf(rawUnit, context);
  const text = textOf(firstRepetitionOf(raw, context.delimiters), context);
  if (text === '') return ok(undefined);
  const range = rangePattern.exec(text);
  if (range) {
    const [low, high] = [numberOf(range[1] ?? ''), numberOf(range[2] ?? '')];
    if (low !== undefined && high !== undefined)
      return ok({ low: quantityOf(low, unit), high: quantityOf(high, unit) });
  }
  const bound = boundPattern.exec(text);
  if (bound) {
    const value = numberOf(bound[2] ?? '');
    if (value !== undefined) {
      const side = (bound[1] ?? '').startsWith('<') ? 'high' : 'low';
      return ok({ [side]: quantityOf(value, unit), text });
    }
  }
  return ok({ text });
}
