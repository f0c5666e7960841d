import nodemailer, { type NodemailerError } from 'nodemailer';
import type { ChannelKind } from './model.ts';

/** One message as the sender hands it to a channel. */
export interface OutgoingMail {
  notificationId: string;
  /** The address; null only for a channel that needs none (the development outbox). */
  to: string | null;
  subject: string;
  text: string;
}

/**
 * Why a delivery failed, as a short code that is safe to store and log (an SMTP reply code, a connection
 * error's code: never an address or a server's reply text, which can echo one), and whether trying again
 * could help.
 */
export class DeliveryError extends Error {
  readonly reason: string;
  readonly permanent: boolean;
  constructor(reason: string, permanent: boolean) {
    super(`delivery failed: ${reason}`);
    this.reason = reason;
    this.permanent = permanent;
  }
}

/** How notifications leave: SMTP, or (no SMTP_URL) nowhere: the store keeps them as the development outbox. */
export interface NotificationChannel {
  readonly kind: ChannelKind;
  /** Whether `deliver` needs `to` (the outbox does not). */
  readonly needsAddress: boolean;
  /** Resolves once the message is accepted; throws a DeliveryError otherwise. */
  deliver(mail: OutgoingMail): Promise<void>;
  close(): Promise<void>;
}

/**
 * The development outbox: "delivering" is recording that the message would have gone; the notification
 * row itself (subject, body, status SENT, channel OUTBOX) is what a developer reads, on the graph.
 */
export function outboxChannel(): NotificationChannel {
  return {
    kind: 'OUTBOX',
    needsAddress: false,
    deliver: async () => {},
    close: async () => {},
  };
}

export interface SmtpChannelOptions {
  /** smtp://user:pass@host:587 (STARTTLS when offered) or smtps://… (implicit TLS). */
  url: string;
  from: string;
  /** Connect, greeting and idle-socket timeout, and the ceiling of one whole send. */
  timeoutMs: number;
}

/** A reply code that retrying the same message would get again: 5yz, except 503 (bad sequence). */
const permanentReply = (code: number) => code >= 500 && code < 600 && code !== 503;

export function deliveryErrorOf(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const failure = (error ?? {}) as NodemailerError;
  if (typeof failure.responseCode === 'number')
    return new DeliveryError(
      `SMTP_${failure.responseCode}`,
      failure.permanent ?? permanentReply(failure.responseCode),
    );
  const code =
    typeof failure.code === 'string' && /^[A-Z_]{2,40}$/.test(failure.code) ? failure.code : 'SEND_FAILED';
  return new DeliveryError(code, false);
}

/**
 * SMTP through nodemailer, one connection per message. Each message carries a Message-ID made from the
 * notification's id, so if a sender dies between the server's acceptance and its mark (the one window
 * where a message can go twice), the second copy is recognisably the same message.
 */
export function smtpChannel({ url, from, timeoutMs }: SmtpChannelOptions): NotificationChannel {
  const transport = nodemailer.createTransport({
    url,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // nodemailer's own logging would print addresses: off.
    logger: false,
    debug: false,
  });
  return {
    kind: 'SMTP',
    needsAddress: true,
    async deliver(mail) {
      if (mail.to === null) throw new DeliveryError('NO_ADDRESS', true);
      try {
        await transport.sendMail({
          from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          messageId: `<${mail.notificationId}@notification.hsg.invalid>`,
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw deliveryErrorOf(error);
      }
    },
    async close() {
      transport.close();
    },
  };
}

/** SMTP when SMTP_URL is set, else the development outbox. */
export function channelFor(settings: {
  SMTP_URL?: string | undefined;
  SMTP_FROM: string;
  SMTP_TIMEOUT_MS: number;
}): NotificationChannel {
  return settings.SMTP_URL
    ? smtpChannel({ url: settings.SMTP_URL, from: settings.SMTP_FROM, timeoutMs: settings.SMTP_TIMEOUT_MS })
    : outboxChannel();
}
