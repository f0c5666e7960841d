import { type Delimiters, defaultDelimiters, type Er7Message, fieldOf, partOf, type Segment } from './er7.ts';
import { type Charset, unescapeText } from './escapes.ts';
import { type Problem, problem } from './problems.ts';

/** What the header says, as far as the ACK and the checks need it. Raw values are still escaped. */
export interface MessageHeader {
  delimiters: Delimiters;
  charset: Charset;
  /** MSH-3 to MSH-6 as sent: the ACK swaps them. */
  sendingApplication: string;
  sendingFacility: string;
  receivingApplication: string;
  receivingFacility: string;
  /** MSH-9.1 and MSH-9.2, upper case (ORU, R01). */
  messageType: string;
  triggerEvent: string;
  /** How many components MSH-9 has: the ACK's MSH-9 mirrors it. */
  messageTypeParts: number;
  /** MSH-10 as sent (MSA-2 echoes it). */
  controlId: string;
  /** MSH-11.1 (P, D, T). */
  processingId: string;
  /** MSH-12.1 (2.5.1). */
  version: string;
}

const clean = (text: string, max = 20) =>
  text
    .trim()
    .toUpperCase()
    .replace(/[^A-Z0-9_.]/g, '')
    .slice(0, max);

export function readHeader(msh: Segment, delimiters: Delimiters, charset: Charset): MessageHeader {
  const type = fieldOf(msh, 9);
  const component = delimiters.component;
  return {
    delimiters,
    charset,
    sendingApplication: fieldOf(msh, 3),
    sendingFacility: fieldOf(msh, 4),
    receivingApplication: fieldOf(msh, 5),
    receivingFacility: fieldOf(msh, 6),
    messageType: clean(partOf(type, 1, component), 3),
    triggerEvent: clean(partOf(type, 2, component), 3),
    messageTypeParts: type === '' ? 0 : component === '' ? 1 : type.split(component).length,
    controlId: fieldOf(msh, 10),
    processingId: clean(partOf(fieldOf(msh, 11), 1, component), 1),
    version: clean(partOf(fieldOf(msh, 12), 1, component), 8),
  };
}

/** The header of a message that could not be read at all: the ACK then uses HL7's defaults. */
export const unknownHeader = (charset: Charset = 'utf8'): MessageHeader => ({
  delimiters: defaultDelimiters,
  charset,
  sendingApplication: '',
  sendingFacility: '',
  receivingApplication: '',
  receivingFacility: '',
  messageType: '',
  triggerEvent: '',
  messageTypeParts: 0,
  controlId: '',
  processingId: '',
  version: '',
});

/** The versions whose ORU^R01 this bridge reads: 2.3 to 2.6 (ADR 0022). */
export const supportedVersions: ReadonlySet<string> = new Set(['2.3', '2.3.1', '2.4', '2.5', '2.5.1', '2.6']);

export interface HeaderSettings {
  /** MSH-11 values taken (table 0103: P production, D debugging, T training). */
  processingIds: readonly string[];
}

/** Why a message is refused as a whole (AR): its type, event, version or processing ID. */
export function headerProblems(header: MessageHeader, settings: HeaderSettings): Problem[] {
  const problems: Problem[] = [];
  const at = (field: number) => ({ segment: 'MSH', sequence: 1, field });
  const type = `${header.messageType || '(none)'}${header.triggerEvent ? `^${header.triggerEvent}` : ''}`;
  if (header.messageType !== 'ORU')
    problems.push(problem('200', `Message type ${type} is not supported; this bridge takes ORU^R01`, at(9)));
  else if (header.triggerEvent !== 'R01')
    problems.push(problem('201', `Event ${type} is not supported; this bridge takes ORU^R01`, at(9)));
  if (!supportedVersions.has(header.version))
    problems.push(
      problem('203', `Version ${header.version || '(none)'} is not supported; send 2.3 to 2.6`, at(12)),
    );
  if (!settings.processingIds.includes(header.processingId))
    problems.push(
      problem(
        '202',
        `Processing ID ${header.processingId || '(none)'} is not taken here; send ${settings.processingIds.join(' or ')}`,
        at(11),
      ),
    );
  return problems;
}

export interface ObservationGroup {
  obx: Segment;
  /** The NTE segments right after the OBX. */
  notes: Segment[];
}

export interface OrderGroup {
  obr: Segment;
  /** The ORC before the OBR, if any. */
  orc?: Segment;
  observations: ObservationGroup[];
}

export interface PatientGroup {
  /** Absent when orders came before any PID (a structure error the mapping reports). */
  pid?: Segment;
  orders: OrderGroup[];
}

/**
 * ORU^R01's groups: PATIENT_RESULT (PID …) → ORDER_OBSERVATION ([ORC] OBR …) → OBSERVATION (OBX
 * {NTE}). Segments the mapping does not read (SFT, PD1, NK1, PV1, TQ1, CTD, FT1, CTI, DSC, Z…) are
 * skipped; OBX inside a SPECIMEN group (after SPM) describe the specimen, not a result, and are skipped
 * too; NTE after a PID or an OBR (patient and order notes) are not results' notes and are left out.
 */
export function readOruGroups(message: Er7Message): { patients: PatientGroup[]; problems: Problem[] } {
  const patients: PatientGroup[] = [];
  const problems: Problem[] = [];
  let patient: PatientGroup | undefined;
  let order: OrderGroup | undefined;
  let observation: ObservationGroup | undefined;
  let pendingOrc: Segment | undefined;
  let inSpecimen = false;
  for (const segment of message.segments) {
    switch (segment.name) {
      case 'MSH':
        break;
      case 'PID':
        patient = { pid: segment, orders: [] };
        patients.push(patient);
        order = undefined;
        observation = undefined;
        pendingOrc = undefined;
        inSpecimen = false;
        break;
      case 'ORC':
        pendingOrc = segment;
        observation = undefined;
        inSpecimen = false;
        break;
      case 'OBR':
        if (!patient) {
          patient = { orders: [] };
          patients.push(patient);
        }
        order = { obr: segment, ...(pendingOrc ? { orc: pendingOrc } : {}), observations: [] };
        patient.orders.push(order);
        pendingOrc = undefined;
        observation = undefined;
        inSpecimen = false;
        break;
      case 'OBX':
        if (inSpecimen) {
          observation = undefined;
        } else if (!order) {
          problems.push(
            problem('100', 'An OBX segment came before any OBR', {
              segment: 'OBX',
              sequence: segment.sequence,
            }),
          );
        } else {
          observation = { obx: segment, notes: [] };
          order.observations.push(observation);
        }
        break;
      case 'NTE':
        observation?.notes.push(segment);
        break;
      case 'SPM':
        inSpecimen = true;
        observation = undefined;
        break;
      default:
        observation = undefined;
    }
  }
  return { patients, problems };
}

/** A header field as text (the sending facility, the control ID as a graph key). */
export const headerText = (raw: string, header: MessageHeader) =>
  unescapeText(raw, header.delimiters, header.charset).trim();
