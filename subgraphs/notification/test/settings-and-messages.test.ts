import { EnvError, parseEnv } from '@hsg/kit';
import { parseSubgraphEnv } from '@hsg/kit/runtime';
import { describe, expect, it } from '@jest/globals';
import { channelFor, DeliveryError, deliveryErrorOf } from '../src/channels.ts';
import { notificationSettings } from '../src/env.ts';
import { appointmentBookedMessage, criticalResultMessage, formatAppointmentTime } from '../src/messages.ts';
import { notificationSubgraph } from '../src/subgraph.ts';

const parse = (env: Record<string, string>) => parseEnv('notification', notificationSettings, env);
const problemsOf = (env: Record<string, string>) => {
  try {
    parse(env);
    return [];
  } catch (error) {
    if (!(error instanceof EnvError)) throw error;
    return error.problems;
  }
};

describe('notification settings', () => {
  it('default to the development outbox with five attempts', () => {
    const settings = parse({});
    expect(settings.SMTP_URL).toBeUndefined();
    expect(settings.CRITICAL_RESULTS_EMAIL).toBeUndefined();
    expect(settings).toMatchObject({
      NOTIFICATION_MAX_ATTEMPTS: 5,
      NOTIFICATION_RETRY_INITIAL_MS: 30_000,
      NOTIFICATION_CLAIM_MS: 300_000,
    });
    expect(channelFor(settings).kind).toBe('OUTBOX');
    expect(parse({ SMTP_URL: '', CRITICAL_RESULTS_EMAIL: '' }).SMTP_URL).toBeUndefined();
  });

  it('take SMTP with the critical-results inbox, and report every bad variable at once', () => {
    const settings = parse({
      SMTP_URL: 'smtp://user:pass@mail.example:587',
      CRITICAL_RESULTS_EMAIL: 'lab@clinic.example',
    });
    expect(channelFor(settings).kind).toBe('SMTP');
    expect(problemsOf({ SMTP_URL: 'smtp://mail.example:587' })).toEqual([
      'CRITICAL_RESULTS_EMAIL: required with SMTP_URL (not set)',
    ]);
    const problems = problemsOf({
      SMTP_URL: 'http://mail.example',
      CRITICAL_RESULTS_EMAIL: 'nobody',
      NOTIFICATION_MAX_ATTEMPTS: '0',
    });
    expect(problems.map((problem) => problem.split(':')[0])).toEqual([
      'SMTP_URL',
      'CRITICAL_RESULTS_EMAIL',
      'NOTIFICATION_MAX_ATTEMPTS',
    ]);
    expect(problemsOf({ SMTP_TIMEOUT_MS: '600000', NOTIFICATION_CLAIM_MS: '60000' })).toEqual([
      'NOTIFICATION_CLAIM_MS: must be longer than SMTP_TIMEOUT_MS',
    ]);
  });

  it("are parsed with the kit's variables in one report, port 4108 and schema notification by default", () => {
    const env = parseSubgraphEnv(notificationSubgraph, {
      DATABASE_URL: 'postgres://app:app@127.0.0.1:55432/app',
      KAFKA_BROKERS: '127.0.0.1:59092',
      JWKS_URL: 'http://127.0.0.1:4104/.well-known/jwks.json',
    });
    expect(env).toMatchObject({
      PORT: 4108,
      namespace: 'notification',
      settings: { NOTIFICATION_MAX_ATTEMPTS: 5 },
    });
    expect(() => parseSubgraphEnv(notificationSubgraph, { SMTP_URL: 'smtp://mail.example' })).toThrow(
      /DATABASE_URL[\s\S]*CRITICAL_RESULTS_EMAIL/,
    );
  });
});

describe('notification messages', () => {
  it('say a critical result is waiting, for which MRN, without values, codes or names', () => {
    const message = criticalResultMessage({
      mrn: 'MRN-000042',
      patientId: '0190a1b2-0000-7000-8000-000000000001',
      observationId: '0190a1b2-0000-7000-8000-000000000002',
      route: { to: 'ORDERING_DOCTOR', licenseNumber: 'LIC-7' },
    });
    expect(message.subject).toBe('Critical lab result waiting for review');
    expect(message.body).toContain('A critical lab result is waiting for patient MRN MRN-000042.');
    expect(message.body).toContain('ordering doctor (license LIC-7)');
    expect(message.subject).not.toMatch(/MRN|LIC/);
  });

  it("write an appointment's time in the doctor's zone, and in UTC when the zone is unknown", () => {
    const start = '2026-03-02T09:00:00Z';
    expect(formatAppointmentTime(start, 'Europe/Berlin')).toBe('Monday, 2 March 2026 at 10:00 CET');
    expect(formatAppointmentTime(start, 'Not/AZone')).toBe('Monday, 2 March 2026 at 09:00 UTC');
    expect(formatAppointmentTime(start, null)).toBe('Monday, 2 March 2026 at 09:00 UTC');
    expect(appointmentBookedMessage({ appointmentId: 'a-1', start, timeZone: 'Europe/Berlin' })).toEqual({
      subject: 'Your appointment is booked',
      body: 'Your appointment on Monday, 2 March 2026 at 10:00 CET is booked.\nReference: a-1. For questions or changes, please contact the clinic.',
    });
  });
});

describe('delivery errors', () => {
  it('keep an SMTP reply code or an error code, permanent only for a 5xx refusal other than 503', () => {
    const refused = deliveryErrorOf(
      Object.assign(new Error('550 <ada@x.test> no such user'), { responseCode: 550 }),
    );
    expect(refused).toBeInstanceOf(DeliveryError);
    expect(refused).toMatchObject({ reason: 'SMTP_550', permanent: true });
    expect(refused.message).not.toContain('ada@x.test');
    expect(deliveryErrorOf({ responseCode: 451 })).toMatchObject({ reason: 'SMTP_451', permanent: false });
    expect(deliveryErrorOf({ responseCode: 503 })).toMatchObject({ reason: 'SMTP_503', permanent: false });
    expect(deliveryErrorOf({ code: 'ECONNECTION' })).toMatchObject({
      reason: 'ECONNECTION',
      permanent: false,
    });
    expect(deliveryErrorOf(new Error('ada@x.test'))).toMatchObject({
      reason: 'SEND_FAILED',
      permanent: false,
    });
  });
});
