import { createHash } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ownerOnlyDir } from '../../core/dataDir';
import nodemailer from 'nodemailer';
import { emailHtml, emailText, type Provider, type OutgoingMessage, type SendOutcome } from './types';
import { chatTarget, slackPayload, teamsPayload } from './chat';

// The embedded default: every message becomes a file under $HERALD_DATA_DIR/outbox/ — a complete
// RFC 5322 .eml for e-mail (open it in any mail client), a .json for everything else — named by
// round, recipient and channel, so a repeated send rewrites the same file instead of adding one.

const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });

/** A file-name-safe form; when characters had to be replaced, a short hash keeps names distinct. */
const safe = (s: string) => {
  const clean = s.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120);
  return clean === s ? clean : `${clean}~${createHash('sha256').update(s).digest('hex').slice(0, 6)}`;
};

export function outboxFileName(m: Pick<OutgoingMessage, 'roundId' | 'recipientId' | 'channel'>): string {
  return `${safe(m.roundId)}--${safe(m.recipientId)}--${m.channel}.${m.channel === 'email' ? 'eml' : 'json'}`;
}

export function createOutboxProvider(dir: string, from: string): Provider {
  let made = false;
  return {
    name: 'outbox',
    regions: ['local'],
    maxPerRequest: 1,
    async send(_region, messages) {
      if (!made) {
        ownerOnlyDir(dir);
        made = true;
      }
      return Promise.all(
        messages.map(async (m): Promise<SendOutcome> => {
          const file = outboxFileName(m);
          const data = m.channel === 'email' ? await eml(m, from) : JSON.stringify(jsonFor(m), null, 2) + '\n';
          const tmp = join(dir, `.${file}.${process.pid}.tmp`);
          writeFileSync(tmp, data, { mode: 0o600 });
          renameSync(tmp, join(dir, file));
          return { kind: 'sent', messageId: file };
        }),
      );
    },
  };
}

async function eml(m: OutgoingMessage, from: string): Promise<Buffer> {
  const email = m.email!;
  const info = await composer.sendMail({
    from,
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
  return info.message as Buffer;
}

function jsonFor(m: OutgoingMessage): unknown {
  const base = {
    roundId: m.roundId,
    recipientId: m.recipientId,
    channel: m.channel,
    to: m.address,
    locale: m.locale,
    idempotencyKey: m.idempotencyKey,
    writtenAt: new Date().toISOString(),
  };
  switch (m.channel) {
    case 'webhook':
      return { ...base, body: JSON.parse(m.json ?? '{}') };
    case 'chat': {
      const t = chatTarget(m.address);
      return { ...base, format: t.format, body: t.format === 'teams' ? teamsPayload(m) : slackPayload(m) };
    }
    case 'push':
      return { ...base, title: m.title, body: m.text, url: m.statusUrl };
    default:
      return { ...base, body: m.text };
  }
}
