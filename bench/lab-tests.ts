/** The synthetic lab panel the HL7 benchmarks send: LOINC code, name, UCUM unit, reference range. */
export const labTests = [
  ['2345-7', 'Glucose', 'mg/dL', 70, 99],
  ['2823-3', 'Potassium', 'mmol/L', 3.5, 5.1],
  ['2951-2', 'Sodium', 'mmol/L', 136, 145],
  ['2160-0', 'Creatinine', 'mg/dL', 0.6, 1.3],
  ['718-7', 'Hemoglobin', 'g/dL', 12, 17.5],
  ['6690-2', 'Leukocytes', '10*3/uL', 4.5, 11],
  ['777-3', 'Platelets', '10*3/uL', 150, 400],
  ['1742-6', 'ALT', 'U/L', 7, 56],
  ['1920-8', 'AST', 'U/L', 10, 40],
  ['17861-6', 'Calcium', 'mg/dL', 8.5, 10.2],
] as const;

/** An HL7 v2 timestamp `minute` minutes after `start`, with the offset `zone` (e.g. +0100). */
export const hl7Stamp = (start: number, minute: number, zone: string) =>
  `${new Date(start + minute * 60_000).toISOString().slice(0, 16).replace(/[-T:]/g, '')}00${zone}`;
