import { createHash } from 'node:crypto';
import { z } from 'zod';

// A subscriber as Herald keeps it: one address per channel, a locale, attributes the plan's audience
// filters match (tier, region, …), internal or external, the components they follow (or all), and
// consent with its times. Validation is shared by the store, the import command and the API.

export type ConsentState = 'pending' | 'confirmed' | 'unsubscribed';

export interface Subscriber {
  id: string;
  email: string | null;
  phone: string | null;
  /** Push token, optionally prefixed with its platform: "APNS:…", "GCM:…" (default GCM). */
  push: string | null;
  webhook: string | null;
  /** A Slack or Microsoft Teams incoming-webhook URL for the subscriber's shared channel. */
  chat: string | null;
  locale: string | null;
  internal: boolean;
  /** Component ids followed, or "*" for every component. */
  components: string[] | '*';
  attributes: Record<string, string>;
  consent: { state: ConsentState; requestedAt: string | null; confirmedAt: string | null; unsubscribedAt: string | null };
  createdAt: string;
  updatedAt: string;
}

/** What a message round reads of a subscriber. */
export interface Recipient {
  id: string;
  email: string | null;
  phone: string | null;
  push: string | null;
  webhook: string | null;
  chat: string | null;
  locale: string | null;
  consent: ConsentState;
}

const E164 = /^\+[1-9]\d{6,14}$/;
const Iso = z.iso.datetime({ offset: true });
const httpUrl = z.url({ protocol: /^https?$/ });
const optionalText = <T extends z.ZodType>(t: T) => z.preprocess((v) => (v === '' || v === null ? undefined : v), t.optional());

export const SubscriberInput = z
  .strictObject({
    id: optionalText(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/, 'use letters, digits and . _ : @ - (at most 128)')),
    email: optionalText(z.email()),
    phone: optionalText(z.string().regex(E164, 'use E.164, e.g. +15555550100')),
    push: optionalText(
      z
        .string()
        .regex(
          /^((APNS|APNS_SANDBOX|GCM|ADM|BAIDU):)?[A-Za-z0-9:_.\-]{8,4096}$/,
          'a device token, optionally "APNS:" or "GCM:" first',
        ),
    ),
    webhook: optionalText(httpUrl),
    chat: optionalText(httpUrl),
    locale: optionalText(z.string().regex(/^[a-z]{2,3}(-[A-Za-z]{2,4})?$/, 'use a BCP 47 tag such as en or zh-TW')),
    internal: z
      .preprocess((v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' || v === '' ? false : v), z.boolean())
      .optional(),
    components: z
      .preprocess(
        (v) =>
          typeof v === 'string'
            ? v.trim() === '*' || v.trim() === ''
              ? '*'
              : v
                  .split(/[;|]/)
                  .map((x) => x.trim())
                  .filter(Boolean)
            : v,
        z.union([z.literal('*'), z.array(z.string().min(1)).min(1)]),
      )
      .optional(),
    attributes: z
      .record(
        z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'attribute names are letters, digits, _ and -'),
        z.string().max(256),
      )
      .optional(),
    consent: optionalText(z.enum(['pending', 'confirmed', 'unsubscribed'])),
    consentRequestedAt: optionalText(Iso),
    confirmedAt: optionalText(Iso),
    unsubscribedAt: optionalText(Iso),
  })
  .refine((s) => s.email || s.phone || s.push || s.webhook || s.chat, {
    message: 'needs at least one of email, phone, push, webhook, chat',
    path: ['email'],
  });
export type SubscriberInput = z.input<typeof SubscriberInput>;
export type ValidSubscriber = z.output<typeof SubscriberInput>;

/** A stable id for a subscriber given without one: re-importing the same address updates it. */
export function subscriberIdFor(s: Pick<ValidSubscriber, 'email' | 'phone' | 'push' | 'webhook' | 'chat'>): string {
  const key = s.email?.toLowerCase() ?? s.phone ?? s.push ?? s.webhook ?? s.chat ?? '';
  return `sub_${createHash('sha256').update(key).digest('hex').slice(0, 20)}`;
}

export interface RowProblem {
  /** 1-based row (CSV: line of the record; JSON: index + 1). */
  row: number;
  path: string;
  message: string;
}

/** Validates one input row; unknown components are refused when `knownComponents` is given. */
export function validateSubscriber(
  raw: unknown,
  row: number,
  knownComponents?: ReadonlySet<string>,
): { ok: true; value: ValidSubscriber & { id: string } } | { ok: false; problems: RowProblem[] } {
  const parsed = SubscriberInput.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((i) => ({ row, path: i.path.join('.') || '(row)', message: i.message })),
    };
  }
  const v = parsed.data;
  if (knownComponents && Array.isArray(v.components)) {
    const unknown = v.components.filter((c) => !knownComponents.has(c));
    if (unknown.length > 0)
      return {
        ok: false,
        problems: [
          {
            row,
            path: 'components',
            message: `unknown component ${unknown.map((u) => `"${u}"`).join(', ')} (the plan has ${[...knownComponents].join(', ')})`,
          },
        ],
      };
  }
  return { ok: true, value: { ...v, id: v.id ?? subscriberIdFor(v) } };
}

// ---------------------------------------------------------------------------------------------
// CSV (RFC 4180): header row; known columns map to fields, every other column is an attribute.

export const CSV_COLUMNS = [
  'id',
  'email',
  'phone',
  'push',
  'webhook',
  'chat',
  'locale',
  'internal',
  'components',
  'consent',
  'consentRequestedAt',
  'confirmedAt',
  'unsubscribedAt',
] as const;

/** Parses CSV text incrementally: feed chunks, get complete records (with the line each starts on). */
export class CsvParser {
  private field = '';
  private record: string[] = [];
  private quoted = false;
  private afterQuote = false;
  private line = 1;
  private recordLine = 1;
  private out: { line: number; fields: string[] }[] = [];

  push(chunk: string): { line: number; fields: string[] }[] {
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i]!;
      if (this.quoted) {
        if (ch === '"') {
          this.quoted = false;
          this.afterQuote = true;
        } else {
          if (ch === '\n') this.line++;
          this.field += ch;
        }
        continue;
      }
      if (ch === '"') {
        if (this.afterQuote) this.field += '"';
        this.quoted = true;
        this.afterQuote = false;
        continue;
      }
      this.afterQuote = false;
      if (ch === ',') {
        this.record.push(this.field);
        this.field = '';
      } else if (ch === '\n') {
        this.endRecord();
        this.line++;
        this.recordLine = this.line;
      } else if (ch !== '\r') this.field += ch;
    }
    return this.out.splice(0);
  }

  end(): { line: number; fields: string[] }[] {
    if (this.field !== '' || this.record.length > 0) this.endRecord();
    return this.out.splice(0);
  }

  private endRecord() {
    this.record.push(this.field);
    this.field = '';
    if (!(this.record.length === 1 && this.record[0] === '')) this.out.push({ line: this.recordLine, fields: this.record });
    this.record = [];
  }
}

/** A CSV record (with its header) as a subscriber input object. */
export function csvRecordToInput(header: string[], fields: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const attributes: Record<string, string> = {};
  header.forEach((name, i) => {
    const value = (fields[i] ?? '').trim();
    const key = name.trim();
    if ((CSV_COLUMNS as readonly string[]).includes(key)) out[key] = value;
    else if (value !== '') attributes[key.replace(/^attr(ibute)?\./, '')] = value;
  });
  if (Object.keys(attributes).length > 0) out.attributes = attributes;
  return out;
}

const csvCell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export function csvHeader(attributeNames: string[]): string {
  return [...CSV_COLUMNS, ...attributeNames.map((a) => `attr.${a}`)].map(csvCell).join(',');
}

export function subscriberToCsv(s: Subscriber, attributeNames: string[]): string {
  const cells = [
    s.id,
    s.email ?? '',
    s.phone ?? '',
    s.push ?? '',
    s.webhook ?? '',
    s.chat ?? '',
    s.locale ?? '',
    String(s.internal),
    s.components === '*' ? '*' : s.components.join(';'),
    s.consent.state,
    s.consent.requestedAt ?? '',
    s.consent.confirmedAt ?? '',
    s.consent.unsubscribedAt ?? '',
    ...attributeNames.map((a) => s.attributes[a] ?? ''),
  ];
  return cells.map(csvCell).join(',');
}
