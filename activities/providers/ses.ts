import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { DeliveryConfig } from '../../core/config';
import { awsClientConfig, classifyAwsError, type AwsClientDeps } from './aws';
import type { OutgoingMessage, Provider, SendOutcome } from './types';

// E-mail through Amazon SES v2 SendEmail: one recipient per message, self-managed one-click
// unsubscribe headers (RFC 2369 / 8058), the configuration set for event publishing, and a tag
// naming the round. Regions in order; each needs its verified identity and configuration set.

const RULES = {
  throttling: ['TooManyRequestsException', 'ThrottlingException', 'LimitExceededException'],
  permanent: ['MessageRejected', 'BadRequestException', 'InvalidParameterValue'],
  regional: ['AccountSuspendedException', 'SendingPausedException', 'MailFromDomainNotVerifiedException', 'NotFoundException', 'AccessDeniedException'],
};

const tagValue = (s: string) => s.replace(/[^A-Za-z0-9_\-.@]/g, '_').slice(0, 256);

export function createSesProvider(config: DeliveryConfig, deps: AwsClientDeps): Provider {
  const clients = new Map(config.ses.regions.map((r) => [r.name, new SESv2Client(awsClientConfig(r, deps))]));
  return {
    name: 'ses',
    regions: config.ses.regions.map((r) => r.name),
    maxPerRequest: 1,
    async send(region, messages) {
      const client = clients.get(region)!;
      return Promise.all(messages.map((m) => sendOne(client, region, m)));
    },
    async close() {
      for (const c of clients.values()) c.destroy();
    },
  };

  async function sendOne(client: SESv2Client, region: string, m: OutgoingMessage): Promise<SendOutcome> {
    const email = m.email!;
    const headers = email.unsubscribeUrl
      ? [
          { Name: 'List-Unsubscribe', Value: `<${email.unsubscribeUrl}>` },
          { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
        ]
      : [];
    try {
      const out = await client.send(
        new SendEmailCommand({
          FromEmailAddress: config.emailFrom,
          Destination: { ToAddresses: [m.address] },
          Content: {
            Simple: {
              Subject: { Data: email.subject, Charset: 'UTF-8' },
              Body: { Text: { Data: email.text, Charset: 'UTF-8' }, Html: { Data: email.html, Charset: 'UTF-8' } },
              Headers: headers,
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
