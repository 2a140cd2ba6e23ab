import { createTransport } from 'nodemailer';
import type { Config } from '../config';

/**
 * Email over SMTP with nodemailer. A send ends in one of three outcomes, and the difference between the last two
 * is what makes a retry safe or not: `bounced` (the server refused the recipient for good), `failed` with
 * `retryable` (the server never took the message: refused connection, 4xx), or `failed` without it (the outcome is
 * unknown, e.g. a timeout after the message was sent, so sending again could deliver it twice).
 */
export interface EmailSettings {
  /** `smtp://user:pass@host:port` or `smtps://…`; holds the password, so it is never logged. */
  smtpUrl: string;
  /** The From address; the display name comes from the account's policy. */
  from: string;
  /** Bound on each send, from connecting to the server's final answer. */
  timeoutMs: number;
}

export function emailSettings(config: Config): EmailSettings {
  return { smtpUrl: config.SMTP_URL, from: config.EMAIL_FROM, timeoutMs: config.EMAIL_SEND_TIMEOUT_MS };
}

export interface OutgoingEmail {
  fromName: string;
  to: string;
  replyTo?: string;
  subject: string;
  text: string;
  html: string;
  headers?: Record<string, string>;
}

export type SendOutcome =
  | { status: 'sent'; messageId: string; response: string }
  | { status: 'bounced'; error: string; responseCode?: number }
  | { status: 'failed'; error: string; retryable: boolean };

interface SmtpError {
  message?: string;
  code?: string;
  command?: string;
  responseCode?: number;
  rejectedErrors?: SmtpError[];
}

/** Only a code the server sent, or a connection that never opened, proves nothing was delivered. */
export function classifySmtpError(error: unknown): SendOutcome {
  const smtp = (typeof error === 'object' && error !== null ? error : {}) as SmtpError;
  const message = smtp.message ?? String(error);
  const refusals = [smtp, ...(smtp.rejectedErrors ?? [])]
    .map((part) => part.responseCode)
    .filter((code): code is number => code !== undefined);
  const permanent = refusals.find((code) => code >= 500);
  if (smtp.code === 'EENVELOPE' && permanent !== undefined) {
    return { status: 'bounced', error: message, responseCode: permanent };
  }
  if (permanent !== undefined) return { status: 'failed', error: message, retryable: false };
  if (refusals.some((code) => code >= 400)) return { status: 'failed', error: message, retryable: true };
  const neverConnected = smtp.command === 'CONN' || smtp.code === 'EDNS';
  return { status: 'failed', error: message, retryable: neverConnected };
}

/** The syntax check SMTP itself would fail on; anything subtler is the receiving server's call. */
export function isDeliverableAddress(address: string): boolean {
  return /^[^\s@<>(),;:"[\]\\]+@[^\s@<>(),;:"[\]\\]+\.[^\s@<>(),;:"[\]\\.]{2,}$/.test(address);
}

export class Mailer {
  private readonly transport;

  constructor(private readonly settings: EmailSettings) {
    // Connecting gets half the budget, so a server that is down fails as "never connected" (safe to retry)
    // before the overall bound, whose expiry means "outcome unknown".
    const connectMs = Math.max(1, Math.floor(settings.timeoutMs / 2));
    this.transport = createTransport({
      url: settings.smtpUrl,
      connectionTimeout: connectMs,
      greetingTimeout: connectMs,
      dnsTimeout: connectMs,
      socketTimeout: settings.timeoutMs,
    });
  }

  get fromAddress(): string {
    return this.settings.from;
  }

  /** The bound on one send: an attempt older than this has finished, one way or another. */
  get timeoutMs(): number {
    return this.settings.timeoutMs;
  }

  async send(email: OutgoingEmail): Promise<SendOutcome> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<SendOutcome>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            status: 'failed',
            error: `no answer from the SMTP server within ${this.settings.timeoutMs} ms`,
            retryable: false,
          }),
        this.settings.timeoutMs,
      );
    });
    const sent = this.transport
      .sendMail({
        from: { name: email.fromName, address: this.settings.from },
        to: email.to,
        ...(email.replyTo !== undefined && { replyTo: email.replyTo }),
        subject: email.subject,
        text: email.text,
        html: email.html,
        ...(email.headers !== undefined && { headers: email.headers }),
      })
      .then(
        (info): SendOutcome => ({ status: 'sent', messageId: info.messageId, response: info.response }),
        classifySmtpError,
      );
    try {
      return await Promise.race([sent, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.transport.close();
  }
}
