import { SESv2Client, SendBulkEmailCommand, SendEmailCommand, type BulkEmailEntry } from '@aws-sdk/client-sesv2';
import type { DeliveryConfig } from '../../core/config';
import { awsClientConfig, classifyAwsError, type AwsClientDeps } from './aws';
import {
  emailHtml,
  emailText,
  RegionUnavailable,
  Throttled,
  UNSUBSCRIBE_PLACEHOLDER,
  type OutgoingMessage,
  type Provider,
  type SendOutcome,
} from './types';

// E-mail through Amazon SES v2, one recipient per message, self-managed one-click unsubscribe
// headers (RFC 2369 / 8058), the configuration set for event publishing, and a tag naming the round.
// Regions in order; each needs its verified identity and configuration set.
//
// Two APIs (HERALD_SES_API):
//   bulk (default)  SendBulkEmail, POST /v2/email/outbound-bulk-emails: up to 50 entries a call, each
//                   one recipient. The round's words go once, as an inline template (TemplateContent:
//                   data plane only, no template to create); each entry carries the recipient's
//                   unsubscribe token as ReplacementTemplateData and their List-Unsubscribe headers
//                   as ReplacementHeaders. Every BulkEmailEntryResults status is read.
//   single          SendEmail, POST /v2/email/outbound-emails: one request per recipient.
// SES templates are Handlebars: a request whose words contain braces that Handlebars would read
// goes through SendEmail instead.

const RULES = {
  throttling: ['TooManyRequestsException', 'ThrottlingException', 'LimitExceededException'],
  permanent: ['MessageRejected', 'BadRequestException', 'InvalidParameterValue'],
  regional: [
    'AccountSuspendedException',
    'SendingPausedException',
    'MailFromDomainNotVerifiedException',
    'NotFoundException',
    'AccessDeniedException',
  ],
};

/** Entries in one SendBulkEmail call. */
export const SES_BULK_MAX_ENTRIES = 50;
/** The template variable that carries each recipient's unsubscribe token. */
export const SES_TOKEN_VARIABLE = 'unsubscribeToken';

/** Per-entry statuses: what each means for that one delivery. */
const ENTRY_RETRY = new Set([
  'ACCOUNT_THROTTLED',
  'TRANSIENT_FAILURE',
  'ACCOUNT_DAILY_QUOTA_EXCEEDED',
  'ACCOUNT_SENDING_PAUSED',
  'CONFIGURATION_SET_SENDING_PAUSED',
  'ACCOUNT_SUSPENDED',
  'MAIL_FROM_DOMAIN_NOT_VERIFIED',
  'CONFIGURATION_SET_NOT_FOUND',
  'INVALID_SENDING_POOL_NAME',
  'TEMPLATE_NOT_FOUND',
]);
/** Statuses that say the whole region cannot send now (suspended, paused, not set up there): try another. */
const ENTRY_REGIONAL = new Set([
  'ACCOUNT_SENDING_PAUSED',
  'CONFIGURATION_SET_SENDING_PAUSED',
  'ACCOUNT_SUSPENDED',
  'MAIL_FROM_DOMAIN_NOT_VERIFIED',
  'CONFIGURATION_SET_NOT_FOUND',
  'INVALID_SENDING_POOL_NAME',
  'TEMPLATE_NOT_FOUND',
  'ACCOUNT_DAILY_QUOTA_EXCEEDED',
]);

const tagValue = (s: string) => s.replace(/[^A-Za-z0-9_\-.@]/g, '_').slice(0, 256);

/**
 * The round's words as an SES (Handlebars) template, the unsubscribe placeholder becoming
 * {{{unsubscribeToken}}}; undefined when the words hold braces Handlebars would read.
 */
export function sesTemplate(email: {
  subject: string;
  text: string;
  html: string;
}): { Subject: string; Text: string; Html: string } | undefined {
  const parts = [email.subject, email.text, email.html];
  for (const p of parts) {
    if (p.includes('{{') || p.includes('}}')) return undefined;
    // A brace next to the placeholder would run into the variable's own braces.
    if (p.includes(`{${UNSUBSCRIBE_PLACEHOLDER}`) || p.includes(`${UNSUBSCRIBE_PLACEHOLDER}}`)) return undefined;
  }
  const variable = `{{{${SES_TOKEN_VARIABLE}}}}`;
  return {
    Subject: email.subject,
    Text: email.text.split(UNSUBSCRIBE_PLACEHOLDER).join(variable),
    Html: email.html.split(UNSUBSCRIBE_PLACEHOLDER).join(variable),
  };
}

const unsubscribeHeaders = (url: string | undefined) =>
  url
    ? [
        { Name: 'List-Unsubscribe', Value: `<${url}>` },
        { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
      ]
    : [];

export function createSesProvider(config: DeliveryConfig, deps: AwsClientDeps): Provider {
  const clients = new Map(config.ses.regions.map((r) => [r.name, new SESv2Client(awsClientConfig(r, deps))]));
  const bulk = (config.ses.api ?? 'bulk') === 'bulk';
  return {
    name: 'ses',
    regions: config.ses.regions.map((r) => r.name),
    maxPerRequest: bulk ? SES_BULK_MAX_ENTRIES : 1,
    async send(region, messages) {
      const client = clients.get(region)!;
      const template = bulk ? sesTemplate(messages[0]!.email!) : undefined;
      if (template) return sendBulk(client, region, messages, template);
      return Promise.all(messages.map((m) => sendOne(client, region, m)));
    },
    async close() {
      for (const c of clients.values()) c.destroy();
    },
  };

  /** One SendBulkEmail call; every message in it shares the round's words (same channel and locale). */
  async function sendBulk(
    client: SESv2Client,
    region: string,
    messages: OutgoingMessage[],
    template: { Subject: string; Text: string; Html: string },
  ): Promise<SendOutcome[]> {
    if (messages.length > SES_BULK_MAX_ENTRIES)
      throw new Error(`ses: ${messages.length} entries in one SendBulkEmail (at most ${SES_BULK_MAX_ENTRIES})`);
    const entries: BulkEmailEntry[] = messages.map((m) => ({
      Destination: { ToAddresses: [m.address] },
      ReplacementEmailContent: {
        ReplacementTemplate: {
          ReplacementTemplateData: `{"${SES_TOKEN_VARIABLE}":${JSON.stringify(m.email!.unsubscribeToken ?? '')}}`,
        },
      },
      ...(m.email!.unsubscribeUrl ? { ReplacementHeaders: unsubscribeHeaders(m.email!.unsubscribeUrl) } : {}),
    }));
    let results: { Status?: string; Error?: string; MessageId?: string }[];
    try {
      const out = await client.send(
        new SendBulkEmailCommand({
          FromEmailAddress: config.emailFrom,
          DefaultContent: { Template: { TemplateContent: template, TemplateData: `{"${SES_TOKEN_VARIABLE}":""}` } },
          BulkEmailEntries: entries,
          ...(config.ses.configurationSet ? { ConfigurationSetName: config.ses.configurationSet } : {}),
          DefaultEmailTags: [{ Name: 'herald-round', Value: tagValue(messages[0]!.roundId) }],
        }),
      );
      results = out.BulkEmailEntryResults ?? [];
    } catch (err) {
      const outcome = classifyAwsError(err, RULES, 'SES', region);
      return messages.map(() => outcome);
    }
    const outcomes = messages.map((_, i): SendOutcome => {
      const r = results[i];
      const status = r?.Status ?? 'no result';
      const why = `SES ${region}: ${status}${r?.Error ? `: ${r.Error}` : ''}`;
      if (status === 'SUCCESS') return { kind: 'sent', ...(r?.MessageId ? { messageId: r.MessageId } : {}) };
      if (status === 'ACCOUNT_THROTTLED') return { kind: 'retry', error: why, retryAfterMs: 1000 };
      if (ENTRY_RETRY.has(status) || !r) return { kind: 'retry', error: why };
      // MESSAGE_REJECTED, INVALID_PARAMETER, FAILED: this message to this address, permanently.
      return { kind: 'failed', error: why };
    });
    // Every entry throttled: the account's sending rate is exceeded, as a 429 would say; back off.
    if (results.length > 0 && results.every((r) => r.Status === 'ACCOUNT_THROTTLED'))
      throw new Throttled(`SES ${region}: ACCOUNT_THROTTLED for every entry`, 1000);
    // The whole region refused (every entry paused, suspended or not set up): let the next region try.
    if (results.length > 0 && results.every((r) => ENTRY_REGIONAL.has(r.Status ?? ''))) {
      throw new RegionUnavailable(`SES ${region}: ${results[0]!.Status}${results[0]!.Error ? `: ${results[0]!.Error}` : ''}`);
    }
    return outcomes;
  }

  async function sendOne(client: SESv2Client, region: string, m: OutgoingMessage): Promise<SendOutcome> {
    const email = m.email!;
    try {
      const out = await client.send(
        new SendEmailCommand({
          FromEmailAddress: config.emailFrom,
          Destination: { ToAddresses: [m.address] },
          Content: {
            Simple: {
              Subject: { Data: email.subject, Charset: 'UTF-8' },
              Body: { Text: { Data: emailText(email), Charset: 'UTF-8' }, Html: { Data: emailHtml(email), Charset: 'UTF-8' } },
              Headers: unsubscribeHeaders(email.unsubscribeUrl),
            },
          },
          ...(config.ses.configurationSet ? { ConfigurationSetName: config.ses.configurationSet } : {}),
          EmailTags: [{ Name: 'herald-round', Value: tagValue(m.roundId) }],
        }),
      );
      return { kind: 'sent', messageId: out.MessageId };
    } catch (err) {
      return classifyAwsError(err, RULES, 'SES', region);
    }
  }
}
