import { Writable } from 'node:stream';
import { createLogger } from '@hsg/kit';
import { expect, it } from '@jest/globals';

it('redacts patient fields and secrets wherever they appear one level deep', () => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ service: 'patient', destination });
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
