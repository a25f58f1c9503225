import nodemailer from 'nodemailer';
import type { DeliveryConfig } from '../../core/config';
import {
  emailHtml,
  emailText,
  RegionUnavailable,
  Throttled,
  type OutgoingMessage,
  type Provider,
  type SendOutcome,
} from './types';

// E-mail over SMTP (nodemailer) for self-hosting: each URL in HERALD_SMTP_URLS is a "region", tried
// in order. 5xx replies about the recipient are permanent, 4xx temporary, 421/connection failures
// take the server out for the cool-down.

type SmtpError = Error & { code?: string; responseCode?: number; response?: string };

export function createSmtpProvider(config: DeliveryConfig, o: { timeoutMs: number; maxConnections: number }): Provider {
  const hosts = config.smtp.urls.map((url) => ({ name: new URL(url).host || url, url }));
  const transports = new Map(
    hosts.map((h) => [
      h.name,
      nodemailer.createTransport(h.url, {
        pool: true,
        maxConnections: o.maxConnections,
        maxMessages: Infinity,
        connectionTimeout: o.timeoutMs,
        greetingTimeout: o.timeoutMs,
        socketTimeout: o.timeoutMs,
      } as never),
    ]),
  );
  return {
    name: 'smtp',
    regions: hosts.map((h) => h.name),
    maxPerRequest: 1,
    async send(region, messages) {
      return Promise.all(messages.map((m) => sendOne(region, m)));
    },
    async close() {
      for (const t of transports.values()) t.close();
    },
  };

  async function sendOne(region: string, m: OutgoingMessage): Promise<SendOutcome> {
    const email = m.email!;
    try {
      const info = await transports.get(region)!.sendMail({
        from: config.emailFrom,
        to: m.address,
        subject: email.subject,
        text: emailText(email),
        html: emailHtml(email),
        headers: {
          'X-Herald-Delivery': m.idempotencyKey,
          ...(email.unsubscribeUrl
            ? { 'List-Unsubscribe': `<${email.unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' }
            : {}),
        },
      });
      if (info.rejected.length > 0)
        return { kind: 'failed', error: `SMTP ${region}: rejected ${m.address}: ${info.response}`, bounce: true };
      return { kind: 'sent', messageId: info.messageId };
    } catch (err) {
      const e = err as SmtpError;
      const code = e.responseCode;
      const text = `SMTP ${region}: ${code ? `${code} ` : ''}${e.response ?? e.message}`;
      if (code === 421) throw new RegionUnavailable(text);
      if (code === 454 || code === 452) throw new Throttled(text, 5000);
      if (code !== undefined && code >= 500)
        return { kind: 'failed', error: text, bounce: code === 550 || code === 551 || code === 553 };
      if (code !== undefined && code >= 400) return { kind: 'retry', error: text };
      // A timeout or broken socket once the message may have been handed over is ambiguous.
      throw new RegionUnavailable(text, { ambiguous: e.code === 'ETIMEDOUT' || e.code === 'ESOCKET' });
    }
  }
}
