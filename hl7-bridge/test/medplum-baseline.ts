import { Hl7Message } from '@medplum/core';

/**
 * @medplum/core's Hl7Message as a yardstick: the parser test checks that the bridge splits segments and
 * fields as it does, and the benchmark times both (ADR 0023).
 */
export function medplumParse(text: string): Hl7Message {
  return Hl7Message.parse(text);
}

/** Every field of every segment as medplum reads it (raw, still escaped), MSH-n at index n. */
export function medplumFields(text: string): string[][] {
  return medplumParse(text).segments.map((segment) => {
    const count = segment.name === 'MSH' ? segment.fields.length + 1 : segment.fields.length;
    return Array.from({ length: count }, (_, index) =>
      index === 0 ? segment.name : (segment.getField(index)?.toString() ?? ''),
    );
  });
}

/** The raw OBX-3.1 and OBX-5 of every OBX, the way the TOOLCHAIN measurement read them. */
export function medplumObservations(text: string): Array<[string, string]> {
  return medplumParse(text)
    .getAllSegments('OBX')
    .map((obx) => [obx.getComponent(3, 1), obx.getField(5)?.toString() ?? '']);
}
