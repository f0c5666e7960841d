/**
 * Sends HL7 v2 messages over MLLP and prints each ACK:
 *   node hl7-bridge/src/send.ts [--host 127.0.0.1] [--port 2575] [--mrn MRN] [--new-id] [file.hl7 ...]
 * Without files it sends samples/oru-r01-panels.hl7. Files may end their segments in CR, LF or CR LF
 * (they are sent with CR). --mrn puts that MRN into every PID-3 (the samples carry the first demo
 * patient's); --new-id gives each message a fresh MSH-10, so a sample is stored again instead of being
 * answered as a duplicate. Exit code: 0 when every ACK is AA, 1 otherwise, 2 when the bridge is not there.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fieldOf, parseEr7 } from './er7.ts';
import { unescapeText } from './escapes.ts';
import { connectMllp } from './mllp-client.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: process.env.HL7_MLLP_PORT ?? '2575' },
    mrn: { type: 'string' },
    'new-id': { type: 'boolean', default: false },
    timeout: { type: 'string', default: '30000' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
const print = (line: string) => process.stdout.write(`${line}\n`);

if (values.help) {
  print(
    'node hl7-bridge/src/send.ts [--host h] [--port p] [--mrn MRN] [--new-id] [--timeout ms] [file.hl7 ...]',
  );
  process.exit(0);
}

const sample = fileURLToPath(new URL('../samples/oru-r01-panels.hl7', import.meta.url));
const files = positionals.length > 0 ? positionals : [sample];

/** The file as one message: CR segment endings, the MRN and control ID replaced when asked. */
function prepare(text: string, stamp: string): string {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\r|\n/)
    .filter((line) => line.trim() !== '');
  const separator = lines[0]?.charAt(3) || '|';
  const component = lines[0]?.charAt(4) || '^';
  return lines
    .map((line) => {
      const fields = line.split(separator);
      if (values['new-id'] && fields[0] === 'MSH' && fields[9] !== undefined)
        fields[9] = `${fields[9]}-${stamp}`.slice(-199);
      if (values.mrn && fields[0] === 'PID' && fields[3] !== undefined) {
        const parts = (fields[3].split(lines[0]?.charAt(5) || '~')[0] ?? '').split(component);
        parts[0] = values.mrn;
        fields[3] = parts.join(component);
      }
      return fields.join(separator);
    })
    .join('\r');
}

/** One line per ACK: its code and text, then one line per ERR. */
function describe(ack: string): { code: string; lines: string[] } {
  const parsed = parseEr7(ack);
  if (!parsed.ok) return { code: '?', lines: ['  (the answer is not an HL7 ACK)'] };
  const d = parsed.message.delimiters;
  const text = (raw: string) => unescapeText(raw, d);
  const msa = parsed.message.segments.find((segment) => segment.name === 'MSA');
  const code = msa ? fieldOf(msa, 1) : '?';
  const lines = [`${code} ${msa ? text(fieldOf(msa, 3)) : ''}`.trimEnd()];
  for (const err of parsed.message.segments.filter((segment) => segment.name === 'ERR')) {
    const where = fieldOf(err, 2).split(d.component).filter(Boolean).join(d.component);
    const condition = fieldOf(err, 3).split(d.component)[0] ?? '';
    lines.push(`  ERR ${condition}${where ? ` at ${where}` : ''}: ${text(fieldOf(err, 8))}`);
  }
  return { code, lines };
}

let client: Awaited<ReturnType<typeof connectMllp>>;
try {
  client = await connectMllp({
    host: values.host,
    port: Number(values.port),
    timeoutMs: Number(values.timeout),
  });
} catch (error) {
  process.stderr.write(
    `Cannot reach the bridge at ${values.host}:${values.port}: ${(error as Error).message}\n`,
  );
  process.exit(2);
}
let allAccepted = true;
const stamp = Date.now().toString(36).toUpperCase();
try {
  for (const file of files) {
    const { code, lines } = describe(await client.send(prepare(readFileSync(file, 'utf8'), stamp)));
    if (code !== 'AA') allAccepted = false;
    print(`${file}: ${lines[0]}`);
    for (const line of lines.slice(1)) print(line);
  }
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  allAccepted = false;
} finally {
  await client.close();
}
process.exit(allAccepted ? 0 : 1);
