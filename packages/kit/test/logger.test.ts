import { Writable } from 'node:stream';
import { createLogger } from '@hsg/kit';
import { expect, it } from '@jest/globals';

/** A logger writing into an array of lines, as a log shipper would read them. */
function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger({ service: 'patient', destination }) };
}

it('redacts patient fields and secrets at the top and one level deep', () => {
  const { lines, logger } = capture();
  logger.info(
    {
      patientId: 'p-1',
      name: { given: ['Ada'], family: 'Lovelace' },
      patient: {
        birthDate: '1815-12-10',
        mrn: 'MRN-42',
        email: 'ada@example.test',
        phone: '+1 555',
        active: true,
      },
      headers: { authorization: 'Bearer secret-token' },
      password: 'hunter2',
    },
    'patient registered',
  );
  const line = JSON.parse(lines[0] ?? '{}');
  expect(line).toMatchObject({
    level: 'info',
    service: 'patient',
    patientId: 'p-1',
    msg: 'patient registered',
  });
  expect(line.patient).toEqual({
    birthDate: '[redacted]',
    mrn: '[redacted]',
    email: '[redacted]',
    phone: '[redacted]',
    active: true,
  });
  expect(line.name).toBe('[redacted]');
  expect(line.password).toBe('[redacted]');
  expect(line.headers.authorization).toBe('[redacted]');
  expect(lines[0]).not.toMatch(/Lovelace|1815|MRN-42|ada@|hunter2|secret-token/);
});

it('redacts patient fields at any depth: nested objects, arrays, errors and SQL parameters', () => {
  const { lines, logger } = capture();
  const failed = Object.assign(new Error('insert into patients failed'), {
    code: '23505',
    params: ['MRN-0100001-7', 'Grace', 'Hopper', '1906-12-09'],
    detail: 'Key (mrn)=(MRN-0100001-7) already exists.',
  });
  const nested = {
    input: { patient: { name: { given: ['Grace'], family: 'Hopper' }, email: 'grace@example.test' } },
    batch: [
      { person: { contact: { phone: '+1 555 0100', address: { line: ['1 Navy Way'], city: 'Arlington' } } } },
    ],
    deep: { a: { b: { c: { d: { e: { birthDate: '1906-12-09' } } } } } },
    err: failed,
  };
  logger.error(nested, 'statement failed');
  logger.child({ request: { variables: { mrn: 'MRN-0100001-7' } } }).warn({ ok: true }, 'child line');
  const text = lines.join('');
  expect(text).not.toMatch(/Grace|Hopper|grace@|0100|Navy|Arlington|1906|MRN-0100001/);
  const line = JSON.parse(lines[0] ?? '{}');
  expect(line.input.patient).toEqual({ name: '[redacted]', email: '[redacted]' });
  expect(line.batch[0].person.contact).toEqual({ phone: '[redacted]', address: '[redacted]' });
  expect(line.err).toMatchObject({
    message: 'insert into patients failed',
    code: '23505',
    params: '[redacted]',
    detail: '[redacted]',
  });
  expect(JSON.parse(lines[1] ?? '{}')).toMatchObject({ ok: true, msg: 'child line' });
});

/** The top-level keys of a JSON object line in order, repeats kept (JSON.parse would merge them). */
function topLevelKeys(line: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (char === '"') {
      let end = i + 1;
      while (line[end] !== '"') end += line[end] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(line.slice(i, end + 1)) as string);
      expectKey = false;
      i = end;
    } else if (char === '{' || char === '[') {
      depth += 1;
      expectKey = depth === 1;
    } else if (char === '}' || char === ']') depth -= 1;
    else if (char === ',' && depth === 1) expectKey = true;
  }
  return keys;
}

it('never writes a key twice in a line, however children bind it', () => {
  const { lines, logger } = capture();
  const subgraph = logger.child({ service: 'patient', subgraph: 'patient' });
  subgraph.child({ subgraph: 'doctor', component: 'relay' }).info('started');
  subgraph.child({ service: 'patient' }).info('again');
  const [first = '', second = ''] = lines;
  expect(topLevelKeys(first)).toEqual([...new Set(topLevelKeys(first))]);
  expect(topLevelKeys(second)).toEqual([...new Set(topLevelKeys(second))]);
  expect(JSON.parse(first)).toMatchObject({
    service: 'patient',
    subgraph: 'patient',
    'child.subgraph': 'doctor',
    component: 'relay',
  });
  expect(topLevelKeys('{"service":"embedded","service":"doctor"}')).toEqual(['service', 'service']);
});
