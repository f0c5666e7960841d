import type { LabResultsSink, RecordLabResultsInput } from '../src/bridge.ts';

/** An ACK read back independently of the bridge's parser: split by its own MSH-1 and MSH-2. */
export interface ReadAck {
  /** MSH-1 + MSH-2 as sent. */
  delimiters: string;
  /** MSH fields by HL7 number (msh[3] is MSH-3). */
  msh: string[];
  code: string;
  controlId: string;
  text: string;
  /** ERR-3.1 and ERR-2 (ERL) of each ERR; ERR-1 (ELD) when present. */
  errors: Array<{ code: string; location: string; eld: string; rule: string; message: string }>;
}

export function readAck(ack: string): ReadAck {
  const field = ack.charAt(3);
  const component = ack.charAt(4);
  const segments = ack.split('\r').map((line) => line.split(field));
  const header = segments[0] ?? [];
  const msh = ['MSH', field, ...header.slice(1)];
  const msa = segments.find((segment) => segment[0] === 'MSA') ?? [];
  return {
    delimiters: `${field}${header[1] ?? ''}`,
    msh,
    code: msa[1] ?? '',
    controlId: msa[2] ?? '',
    text: msa[3] ?? '',
    errors: segments
      .filter((segment) => segment[0] === 'ERR')
      .map((segment) => ({
        eld: segment[1] ?? '',
        location: segment[2] ?? '',
        code: (segment[3] ?? '').split(component)[0] ?? '',
        rule: segment[5] ?? '',
        message: segment[8] ?? '',
      })),
  };
}

/** A message from lines, with CR segment endings (HL7's own). */
export const message = (...lines: string[]) => lines.join('\r');

/** A small valid ORU^R01 v2.5.1: two results for MRN-T-0100. */
export const baseLines = (): string[] => [
  'MSH|^~\\&|LIS|SYNTH LAB|HSG|CLINIC|20260201080000+0100||ORU^R01^ORU_R01|BASE-0001|P|2.5.1',
  'PID|1||MRN-T-0100^^^HSG^MR||Base^Bea||19910101|F',
  'OBR|1|PLC-0100|FIL-0100|24323-8^Comprehensive metabolic panel^LN|||20260201070000+0100',
  'OBX|1|NM|2345-7^Glucose^LN||95|mg/dL^^UCUM|70-99|N|||F|||20260201071000+0100',
  'OBX|2|ST|5778-6^Color of Urine^LN||Yellow||||||F',
];

export const baseMessage = () => message(...baseLines());

/** A message with one field of one line replaced (HL7 numbering; for MSH, MSH-n). */
export function withField(lines: string[], lineIndex: number, field: number, value: string): string[] {
  return lines.map((line, index) => {
    if (index !== lineIndex) return line;
    const parts = line.split('|');
    const position = line.startsWith('MSH') ? field - 1 : field;
    while (parts.length <= position) parts.push('');
    parts[position] = value;
    return parts.join('|');
  });
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

/** A sink whose every call waits until the test resolves (or rejects) it by hand. */
export function manualSink() {
  const pending: Array<{ input: RecordLabResultsInput } & Deferred<{ duplicate: boolean; stored: number }>> =
    [];
  const arrivals: Array<() => void> = [];
  const sink: LabResultsSink = {
    record(input) {
      const call = { input, ...deferred<{ duplicate: boolean; stored: number }>() };
      pending.push(call);
      for (const wake of arrivals.splice(0)) wake();
      return call.promise;
    },
  };
  /** Resolves once `count` calls have arrived. */
  const calls = async (count: number) => {
    while (pending.length < count) await new Promise<void>((wake) => arrivals.push(wake));
    return pending.slice(0, count);
  };
  return { sink, pending, calls };
}

/** A seeded PRNG (mulberry32): the fuzz test prints its seed so a failure can be replayed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
