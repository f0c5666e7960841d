import type { AddressInfo } from 'node:net';
import { silentLogger } from '@hsg/kit';
import { type EventBackend, waitFor } from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SMTPServer } from 'smtp-server';
import { smtpChannel } from '../src/channels.ts';
import { createNotificationSender, type NotificationSender } from '../src/sender.ts';
import { createSqlNotificationOutbox } from '../src/store-sql.ts';
import { type Harness, startHarness } from './harness.ts';

const CRITICAL_INBOX = 'critical-results@clinic.test';
const MAX_ATTEMPTS = 3;

interface ReceivedMail {
  to: string[];
  subject: string | undefined;
  messageId: string | undefined;
  raw: string;
}

/** A real SMTP server on port 0: accepts, defers (451) or refuses (550) by the recipient's domain. */
async function startMailServer() {
  const received: ReceivedMail[] = [];
  const recipientsTried: string[] = [];
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      if (auth.username === 'mailer' && auth.password === 's3cret') callback(null, { user: 'mailer' });
      else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      recipientsTried.push(address.address);
      if (address.address.endsWith('@deferred.test'))
        return callback(Object.assign(new Error('Try again later'), { responseCode: 451 }));
      if (address.address.endsWith('@refused.test'))
        return callback(Object.assign(new Error('No such mailbox'), { responseCode: 550 }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'im').exec(raw)?.[1]?.trim();
        received.push({
          to: session.envelope.rcptTo.map((address) => address.address),
          subject: header('Subject'),
          messageId: header('Message-ID'),
          raw,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    received,
    recipientsTried,
    url: `smtp://mailer:s3cret@127.0.0.1:${port}`,
    mailsTo: (address: string) => received.filter((mail) => mail.to.includes(address)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The SMTP channel against a real SMTP server, through the subgraph's sender loop. */
export function describeSmtpDelivery(makeBackend: () => EventBackend): void {
  const backend = makeBackend();
  let h: Harness;
  let mail: Awaited<ReturnType<typeof startMailServer>>;
  const restarted: NotificationSender[] = [];

  beforeAll(async () => {
    mail = await startMailServer();
    h = await startHarness(backend, {
      captureLogs: true,
      settings: {
        SMTP_URL: mail.url,
        SMTP_FROM: 'Clinic <no-reply@clinic.test>',
        CRITICAL_RESULTS_EMAIL: CRITICAL_INBOX,
        NOTIFICATION_MAX_ATTEMPTS: MAX_ATTEMPTS,
        SMTP_TIMEOUT_MS: 30_000,
      },
    });
  }, 180_000);

  afterAll(async () => {
    for (const sender of restarted) await sender.stop();
    await h?.stop();
    await mail?.close();
    await backend.dispose();
  }, 60_000);

  describe(`SMTP delivery on ${backend.name}`, () => {
    it("mails a patient's notification to their address with its subject, and marks it SENT by SMTP", async () => {
      const parties = await h.parties({ email: 'ada@patients.test' });
      const row = await h.notificationOf((await h.feed.book(h.feed.newId(), parties)).id);
      expect(await h.settled(row.id)).toMatchObject({
        status: 'SENT',
        channel: 'SMTP',
        attempts: 1,
        last_error: null,
      });
      const [received, ...more] = mail.mailsTo('ada@patients.test');
      expect(more).toEqual([]);
      expect(received).toMatchObject({
        to: ['ada@patients.test'],
        subject: 'Your appointment is booked',
        messageId: `<${row.id}@notification.hsg.invalid>`,
      });
      expect(received?.raw).toContain('no-reply@clinic.test');
    });

    it('mails a critical result to the critical-results inbox, naming the doctor only in the notification', async () => {
      const parties = await h.parties();
      const row = await h.notificationOf((await h.feed.record(h.feed.newId(), parties.patientId)).id);
      expect(row).toMatchObject({ recipient_kind: 'CLINIC' });
      expect(await h.settled(row.id)).toMatchObject({ status: 'SENT', channel: 'SMTP' });
      const received = mail.received.find(
        (candidate) => candidate.messageId === `<${row.id}@notification.hsg.invalid>`,
      );
      expect(received).toMatchObject({
        to: [CRITICAL_INBOX],
        subject: 'Critical lab result waiting for review',
      });
      expect(received?.raw).toContain(parties.mrn);
    });

    it(`retries a server that defers, then marks it FAILED after ${MAX_ATTEMPTS} attempts`, async () => {
      const parties = await h.parties({ email: 'ada@deferred.test' });
      const row = await h.notificationOf((await h.feed.book(h.feed.newId(), parties)).id);
      expect(await h.settled(row.id)).toMatchObject({
        status: 'FAILED',
        channel: 'SMTP',
        attempts: MAX_ATTEMPTS,
        last_error: 'SMTP_451',
        sent_at: null,
      });
      expect(mail.recipientsTried.filter((address) => address === 'ada@deferred.test')).toHaveLength(
        MAX_ATTEMPTS,
      );
      expect(mail.mailsTo('ada@deferred.test')).toEqual([]);
    });

    it('marks a message the server refuses for good, or a patient without an address, FAILED at once', async () => {
      const refused = await h.parties({ email: 'ada@refused.test' });
      const silent = await h.parties({ email: null });
      const first = await h.notificationOf((await h.feed.book(h.feed.newId(), refused)).id);
      const second = await h.notificationOf((await h.feed.book(h.feed.newId(), silent)).id);
      expect(await h.settled(first.id)).toMatchObject({
        status: 'FAILED',
        attempts: 1,
        last_error: 'SMTP_550',
      });
      expect(await h.settled(second.id)).toMatchObject({
        status: 'FAILED',
        attempts: 1,
        last_error: 'NO_ADDRESS',
      });
    });

    it('sends nothing twice when the sender restarts after marking, and delivers once what a dead sender had claimed', async () => {
      const parties = await h.parties({ email: 'grace@patients.test' });
      const sent = await h.notificationOf((await h.feed.book(h.feed.newId(), parties)).id);
      expect((await h.settled(sent.id)).status).toBe('SENT');
      await h.service.workers.sender.stop();

      // A sender that claimed a notification and died before delivering it: the claim runs out.
      const claimedBeforeDeath = await h.notificationOf((await h.feed.book(h.feed.newId(), parties)).id);
      const outbox = createSqlNotificationOutbox(h.database);
      const now = new Date();
      const claimed = await outbox.claimDue(now, new Date(now.getTime() + 200), 100);
      expect(claimed.map((notification) => notification.id)).toContain(claimedBeforeDeath.id);

      const sender = createNotificationSender({
        database: h.database,
        outbox,
        channel: smtpChannel({ url: mail.url, from: 'Clinic <no-reply@clinic.test>', timeoutMs: 30_000 }),
        logger: silentLogger(),
        criticalResultsEmail: CRITICAL_INBOX,
        maxAttempts: MAX_ATTEMPTS,
        retry: { initialMs: 20, maxMs: 200 },
        claimMs: 60_000,
        pollIntervalMs: 100,
      });
      restarted.push(sender);
      await sender.start();
      expect((await h.settled(claimedBeforeDeath.id)).status).toBe('SENT');
      expect(await h.settled(claimedBeforeDeath.id)).toMatchObject({ attempts: 2 });
      const later = await h.notificationOf((await h.feed.book(h.feed.newId(), parties)).id);
      expect((await h.settled(later.id)).status).toBe('SENT');
      expect(await sender.runOnce()).toBe(0); // nothing is due: every one was marked

      const byMessageId = (id: string) =>
        mail.received.filter((received) => received.messageId === `<${id}@notification.hsg.invalid>`);
      expect(byMessageId(sent.id)).toHaveLength(1);
      expect(byMessageId(claimedBeforeDeath.id)).toHaveLength(1);
      expect(byMessageId(later.id)).toHaveLength(1);
    }, 120_000);

    it('logs ids and kinds, never addresses, MRNs or message text', async () => {
      await waitFor(() => h.logs.some((line) => line.includes('"notification sent"')), 30_000);
      const text = h.logs.join('\n');
      expect(text).toContain('"notification created"');
      expect(text).toContain('"notification failed"');
      for (const secret of [
        '@patients.test',
        '@deferred.test',
        '@refused.test',
        CRITICAL_INBOX,
        'MRN-',
        'Your appointment',
        'Critical lab result',
      ])
        expect(text).not.toContain(secret);
    });
  });
}
