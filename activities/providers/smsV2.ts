import { PinpointSMSVoiceV2Client, SendTextMessageCommand } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import type { DeliveryConfig } from '../../core/config';
import { awsClientConfig, classifyAwsError, type AwsClientDeps, type AwsError } from './aws';
import type { OutgoingMessage, Provider, SendOutcome } from './types';

// SMS through AWS End User Messaging SMS v2 SendTextMessage (awsJson 1.0): one recipient a call.
// Throttling arrives as a 400 ThrottlingException; a destination that opted out is a Conflict.

const RULES = {
  throttling: ['ThrottlingException', 'ServiceQuotaExceededException'],
  permanent: ['ValidationException', 'ConflictException'],
  optOut: (e: AwsError) => e.name === 'ConflictException' && /OPTED_OUT/i.test(`${e.Reason ?? ''} ${e.message}`),
  regional: ['AccessDeniedException', 'ResourceNotFoundException', 'InternalServerException'],
};

export function createSmsV2Provider(config: DeliveryConfig, deps: AwsClientDeps): Provider {
  const clients = new Map(config.smsV2.regions.map((r) => [r.name, new PinpointSMSVoiceV2Client(awsClientConfig(r, deps))]));
  return {
    name: 'sms-v2',
    regions: config.smsV2.regions.map((r) => r.name),
    maxPerRequest: 1,
    async send(region, messages) {
      return Promise.all(messages.map((m) => sendOne(region, m)));
    },
    async close() {
      for (const c of clients.values()) c.destroy();
    },
  };

  async function sendOne(region: string, m: OutgoingMessage): Promise<SendOutcome> {
    const origination = config.smsOrigination[region] ?? config.smsOrigination['*'];
    try {
      const out = await clients.get(region)!.send(
        new SendTextMessageCommand({
          DestinationPhoneNumber: m.address,
          MessageBody: m.text,
          MessageType: 'TRANSACTIONAL',
          ...(origination ? { OriginationIdentity: origination } : {}),
          ...(config.smsV2.configurationSet ? { ConfigurationSetName: config.smsV2.configurationSet } : {}),
          Context: { roundId: m.roundId.slice(0, 800) },
        }),
      );
      return { kind: 'sent', messageId: out.MessageId };
    } catch (err) {
      return classifyAwsError(err, RULES, 'SMS v2', region);
    }
  }
}
