import { resultStatuses } from './codes.ts';
import {
  componentsOf,
  type Er7Message,
  fieldOf,
  firstRepetitionOf,
  partOf,
  repetitionsOf,
  type Segment,
} from './er7.ts';
import type { LabResultInput, ProviderInput, RecordLabResultsInput } from './lab-results.ts';
import { graphLimits } from './lab-results.ts';
import { headerText, type MessageHeader, type OrderGroup, readOruGroups } from './oru.ts';
import { type Location, type Problem, problem } from './problems.ts';
import { hl7DateTime } from './timestamps.ts';
import {
  codingOf,
  referenceRangeOf,
  resultValueOf,
  textOf,
  unitOf,
  type ValueContext,
  valueContext,
} from './values.ts';

/**
 * ORU^R01 → recordLabResults calls, as the HL7 v2-to-FHIR IG maps OBX to Observation (ADR 0022). Pure:
 * the same message always gives the same calls, so a resend is recognised by the graph as a duplicate.
 */

export interface MappingSettings {
  /** IANA zone of date/times sent without an offset (HL7_DEFAULT_TIME_ZONE). */
  defaultTimeZone: string;
  /** Results per call; the graph takes at most 100. */
  maxResultsPerCall: number;
}

/** One call, with where each of its results came from (to point an ERR at the OBX the graph refused). */
export interface MappedCall {
  input: RecordLabResultsInput;
  /** The OBX of each result, in order. */
  results: Location[];
  /** The PID the call's patient came from. */
  patient: Location;
}

export type MappingOutcome =
  | { ok: true; calls: MappedCall[]; results: number }
  | { ok: false; problems: Problem[] };

/** Enough to tell the sender what to fix; more would only repeat the same mistake. */
const MAX_PROBLEMS = 10;

function at(segment: Segment, field?: number): Location {
  return field === undefined
    ? { segment: segment.name, sequence: segment.sequence }
    : { segment: segment.name, sequence: segment.sequence, field };
}

/** PID-3: the repetition whose identifier type (CX-5) is MR, else the first with an ID. */
function mrnOf(pid: Segment, context: ValueContext): string | undefined {
  const ids = repetitionsOf(fieldOf(pid, 3), context.delimiters).map((repetition) => {
    const parts = componentsOf(repetition, context.delimiters);
    return { id: textOf(parts[0] ?? '', context), type: textOf(parts[4] ?? '', context).toUpperCase() };
  });
  const withId = ids.filter((entry) => entry.id !== '');
  return (withId.find((entry) => entry.type === 'MR') ?? withId[0])?.id;
}

/** XCN: ID, family, given, second names, suffix, prefix → "Dr Jane Q Example Jr". */
function providerOf(raw: string, context: ValueContext): ProviderInput | undefined {
  const first = repetitionsOf(raw, context.delimiters)[0] ?? '';
  const parts = componentsOf(first, context.delimiters).map((part) => textOf(part, context));
  const identifier = parts[0] ?? '';
  if (identifier === '') return undefined;
  const [family, given, middle, suffix, prefix] = [parts[1], parts[2], parts[3], parts[4], parts[5]];
  const name = [prefix, given, middle, family, suffix]
    .filter((part) => part !== undefined && part !== '')
    .join(' ');
  const bounded = name.length > graphLimits.maxKeyLength ? name.slice(0, graphLimits.maxKeyLength) : name;
  return { identifier, ...(bounded !== '' ? { name: bounded } : {}) };
}

interface OrderFacts {
  placerOrder?: string;
  fillerOrder?: string;
  orderingProvider?: ProviderInput;
  /** OBR-7: each result's effective time unless its OBX-14 says otherwise. */
  effective?: string;
  /** OBR-22: when the results were reported. */
  issued?: string;
}

function orderFactsOf(order: OrderGroup, context: ValueContext, problems: Problem[]): OrderFacts {
  const { obr, orc } = order;
  const entity = (segment: Segment | undefined, field: number) =>
    segment ? textOf(partOf(fieldOf(segment, field), 1, context.delimiters.component), context) : '';
  const placerOrder = entity(obr, 2) || entity(orc, 2);
  const fillerOrder = entity(obr, 3) || entity(orc, 3);
  const orderingProvider = providerOf(fieldOf(obr, 16), context);
  const time = (field: number) => {
    const text = textOf(partOf(fieldOf(obr, field), 1, context.delimiters.component), context);
    if (text === '') return undefined;
    const instant = hl7DateTime(text, context.timeZone);
    if (!instant) problems.push(problem('102', `OBR-${field} is not an HL7 date/time`, at(obr, field)));
    return instant;
  };
  const effective = time(7);
  const issued = time(22);
  return {
    ...(placerOrder ? { placerOrder } : {}),
    ...(fillerOrder ? { fillerOrder } : {}),
    ...(orderingProvider ? { orderingProvider } : {}),
    ...(effective ? { effective } : {}),
    ...(issued ? { issued } : {}),
  };
}

function resultOf(
  obx: Segment,
  notes: Segment[],
  order: OrderFacts,
  context: ValueContext,
  problems: Problem[],
): LabResultInput | undefined {
  const before = problems.length;
  const fields = obx.fields;
  const { coding } = codingOf(firstRepetitionOf(fieldOf(obx, 3), context.delimiters), context);
  if (!coding) problems.push(problem('101', 'OBX-3 (observation identifier) is required', at(obx, 3)));
  const rawStatus = fieldOf(obx, 11);
  const status = resultStatuses[rawStatus] ?? resultStatuses[textOf(rawStatus, context).toUpperCase()];
  const statusText = status ? rawStatus : textOf(rawStatus, context);
  if (statusText === '') problems.push(problem('101', 'OBX-11 (result status) is required', at(obx, 11)));
  else if (!status)
    problems.push(problem('103', 'OBX-11 is not a result status of HL7 table 0085', at(obx, 11)));
  const rawUnit = fieldOf(obx, 6);
  const unit = unitOf(rawUnit, context);
  const value = resultValueOf(fields, obx.sequence, unit, context);
  if (!value.ok) problems.push(value.problem);
  const range = referenceRangeOf(fieldOf(obx, 7), rawUnit, context, at(obx, 7));
  if (!range.ok) problems.push(range.problem);
  const interpretation: string[] = [];
  for (const repetition of repetitionsOf(fieldOf(obx, 8), context.delimiters)) {
    const code = textOf(partOf(repetition, 1, context.delimiters.component), context);
    if (code !== '') interpretation.push(code);
  }
  const observed = textOf(partOf(fieldOf(obx, 14), 1, context.delimiters.component), context);
  let effective = order.effective;
  if (observed !== '') {
    effective = hl7DateTime(observed, context.timeZone);
    if (!effective) problems.push(problem('102', 'OBX-14 is not an HL7 date/time', at(obx, 14)));
  }
  let note = '';
  if (notes.length > 0) {
    note = notes
      .flatMap((nte) =>
        repetitionsOf(fieldOf(nte, 3), context.delimiters).map((line) => textOf(line, context)),
      )
      .join('\n')
      .trim();
    if (note.length > graphLimits.maxTextLength)
      problems.push(
        problem('102', `The NTE notes are longer than ${graphLimits.maxTextLength} characters`, at(obx)),
      );
  }
  if (problems.length > before || !coding || !status || !value.ok || !range.ok) return undefined;
  // Assigned one by one rather than spread: this runs for every result of every message.
  const result: LabResultInput = { code: coding, status };
  if (effective) result.effective = effective;
  if (order.issued) result.issued = order.issued;
  const found = value.value;
  if (found.valueQuantity) result.valueQuantity = found.valueQuantity;
  else if (found.valueString !== undefined) result.valueString = found.valueString;
  else if (found.valueCoding) result.valueCoding = found.valueCoding;
  else if (found.valueRange) result.valueRange = found.valueRange;
  else if (found.valueRatio) result.valueRatio = found.valueRatio;
  else if (found.valueDateTime) result.valueDateTime = found.valueDateTime;
  if (interpretation.length > 0) result.interpretation = interpretation;
  if (range.value) result.referenceRange = [range.value];
  if (note !== '') result.note = note;
  if (order.placerOrder) result.placerOrder = order.placerOrder;
  if (order.fillerOrder) result.fillerOrder = order.fillerOrder;
  if (order.orderingProvider) result.orderingProvider = order.orderingProvider;
  return result;
}

interface PendingResult {
  result: LabResultInput;
  location: Location;
  order: OrderFacts;
}

/**
 * The message's results as recordLabResults calls: one patient per call, at most maxResultsPerCall
 * results each. The first call's message ID is MSH-10, the next ones MSH-10#2, MSH-10#3 …; each call's
 * source names the order of its first result. A message whose orders have no OBX gives no call.
 */
export function mapOruR01(
  message: Er7Message,
  header: MessageHeader,
  settings: MappingSettings,
): MappingOutcome {
  const problems: Problem[] = [];
  const msh = message.segments[0] as Segment;
  const facilityParts = componentsOf(header.sendingFacility, header.delimiters);
  const sendingFacility =
    headerText(facilityParts[0] ?? '', header) || headerText(facilityParts[1] ?? '', header);
  if (sendingFacility === '')
    problems.push(problem('101', 'MSH-4 (sending facility) is required', at(msh, 4)));
  const messageId = headerText(header.controlId, header);
  if (messageId === '') problems.push(problem('101', 'MSH-10 (message control ID) is required', at(msh, 10)));
  const context = valueContext(header.delimiters, header.charset, sendingFacility, settings.defaultTimeZone);
  const groups = readOruGroups(message);
  problems.push(...groups.problems);
  if (!message.segments.some((segment) => segment.name === 'OBR'))
    problems.push(
      problem('100', 'An ORU^R01 needs at least one OBR segment', { segment: 'OBR', sequence: 1 }),
    );
  const patients: Array<{ mrn: string; location: Location; results: PendingResult[] }> = [];
  for (const group of groups.patients) {
    let mrn: string | undefined;
    let location: Location = { segment: 'PID', sequence: 1 };
    if (!group.pid) {
      problems.push(problem('100', 'The PID segment is missing before the OBR', location));
    } else {
      location = at(group.pid);
      mrn = mrnOf(group.pid, context);
      if (!mrn)
        problems.push(problem('101', 'PID-3 (patient identifier list) has no identifier', at(group.pid, 3)));
    }
    const results: PendingResult[] = [];
    for (const order of group.orders) {
      const facts = orderFactsOf(order, context, problems);
      for (const { obx, notes } of order.observations) {
        const result = resultOf(obx, notes, facts, context, problems);
        if (result) results.push({ result, location: at(obx), order: facts });
      }
    }
    if (mrn !== undefined) patients.push({ mrn, location, results });
  }
  if (problems.length > 0) return { ok: false, problems: problems.slice(0, MAX_PROBLEMS) };
  const calls: MappedCall[] = [];
  let total = 0;
  for (const patient of patients) {
    for (let start = 0; start < patient.results.length; start += settings.maxResultsPerCall) {
      const chunk = patient.results.slice(start, start + settings.maxResultsPerCall);
      const first = (chunk[0] as PendingResult).order;
      calls.push({
        input: {
          patientMrn: patient.mrn,
          source: {
            sendingFacility,
            messageId: calls.length === 0 ? messageId : `${messageId}#${calls.length + 1}`,
            ...(first.placerOrder ? { placerOrder: first.placerOrder } : {}),
            ...(first.fillerOrder ? { fillerOrder: first.fillerOrder } : {}),
          },
          results: chunk.map((entry) => entry.result),
        },
        results: chunk.map((entry) => entry.location),
        patient: patient.location,
      });
      total += chunk.length;
    }
  }
  return { ok: true, calls, results: total };
}
