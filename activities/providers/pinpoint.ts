import { PinpointClient, SendMessagesCommand, type ChannelType, type MessageRequest } from '@aws-sdk/client-pinpoint';
import type { DeliveryConfig } from '../../core/config';
import { awsClientConfig, classifyAwsError, type AwsClientDeps } from './aws';
import type { OutgoingMessage, Provider, SendOutcome } from './types';

// SMS, push and voice through Pinpoint SendMessages (now AWS End User Messaging), with the
// `Addresses` map only — endpoints, segments, campaigns and journeys ended on 2026-10-30 and are
// never used. At most 100 addresses a request, all sharing one channel and locale; every
// per-address result is read: THROTTLED and TEMPORARY_FAILURE are retried, PERMANENT_FAILURE and
// OPT_OUT recorded.

const RULES = {
  throttling: ['TooManyRequestsException'],
  permanent: ['BadRequestException', 'PayloadTooLargeException'],
  regional: ['ForbiddenException', 'NotFoundException', 'MethodNotAllowedException', 'InternalServerErrorException'],
};

export const PINPOINT_MAX_ADDRESSES = 100;

/** Voice language per message locale (Amazon Polly codes). */
const VOICE_LANGUAGE: Record<string, string> = {
  en: 'en-US',
  'zh-TW': 'cmn-CN',
  zh: 'cmn-CN',
  ja: 'ja-JP',
  de: 'de-DE',
  fr: 'fr-FR',
  es: 'es-ES',
};

export function pushTarget(address: string): { channelType: ChannelType; token: string } {
  const m = /^(APNS|APNS_SANDBOX|GCM|ADM|BAIDU):(.+)$/.exec(address);
  return m ? { channelType: m[1] as ChannelType, token: m[2]! } : { channelType: 'GCM', token: address };
}

export function createPinpointProvider(config: DeliveryConfig, deps: AwsClientDeps): Provider {
  const regions = config.pinpoint.regions;
  const clients = new Map(regions.map((r) => [r.name, new PinpointClient(awsClientConfig(r, deps))]));
  const appIds = new Map(regions.map((r) => [r.name, r.applicationId]));
  return {
    name: 'pinpoint',
    regions: regions.map((r) => r.name),
    maxPerRequest: PINPOINT_MAX_ADDRESSES,
    async send(region, messages) {
      if (messages.length > PINPOINT_MAX_ADDRESSES)
        throw new Error(`pinpoint: ${messages.length} addresses in one request (at most ${PINPOINT_MAX_ADDRESSES})`);
      const first = messages[0]!;
      const addresses: MessageRequest['Addresses'] = {};
      const keyOf = new Map<string, OutgoingMessage>();
      for (const m of messages) {
        const target =
          first.channel === 'push'
            ? pushTarget(m.address)
            : { channelType: (first.channel === 'voice' ? 'VOICE' : 'SMS') as ChannelType, token: m.address };
        addresses[target.token] = { ChannelType: target.channelType };
        keyOf.set(target.token, m);
      }
      const origination = config.smsOrigination[region] ?? config.smsOrigination['*'];
      const request: MessageRequest = {
        Addresses: addresses,
        MessageConfiguration: messageConfiguration(first, origination),
        TraceId: first.roundId.slice(0, 100),
        Context: { roundId: first.roundId },
      };
      let result: Record<string, { DeliveryStatus?: string; StatusCode?: number; StatusMessage?: string; MessageId?: string }>;
      try {
        const out = await clients
          .get(region)!
          .send(new SendMessagesCommand({ ApplicationId: appIds.get(region)!, MessageRequest: request }));
        result = out.MessageResponse?.Result ?? {};
      } catch (err) {
        const outcome = classifyAwsError(err, RULES, 'Pinpoint', region);
        return messages.map(() => outcome);
      }
      return [...keyOf].map(([token]): SendOutcome => {
        const r = result[token];
        const why = `Pinpoint ${region}: ${r?.DeliveryStatus ?? 'no result'}${r?.StatusCode ? ` (${r.StatusCode})` : ''}${r?.StatusMessage ? `: ${r.StatusMessage}` : ''}`;
        switch (r?.DeliveryStatus) {
          case 'SUCCESSFUL':
            return { kind: 'sent', messageId: r.MessageId };
          case 'PERMANENT_FAILURE':
          case 'DUPLICATE':
            return { kind: 'failed', error: why };
          case 'OPT_OUT':
            return { kind: 'opted_out', error: why };
          case 'THROTTLED':
            return { kind: 'retry', error: why, retryAfterMs: 2000 };
          default:
            // TEMPORARY_FAILURE, UNKNOWN_FAILURE or no result: Pinpoint does not retry; we do.
            return { kind: 'retry', error: why };
        }
      });
    },
    async close() {
      for (const c of clients.values()) c.destroy();
    },
  };
}

function messageConfiguration(m: OutgoingMessage, origination: string | undefined): MessageRequest['MessageConfiguration'] {
  const originationField = origination
    ? origination.startsWith('+')
      ? { OriginationNumber: origination }
      : { SenderId: origination }
    : {};
  if (m.channel === 'push') {
    return {
      DefaultPushNotificationMessage: {
        Title: m.title,
        Body: m.text,
        Action: m.statusUrl ? 'URL' : 'OPEN_APP',
        ...(m.statusUrl ? { Url: m.statusUrl } : {}),
      },
    };
  }
  if (m.channel === 'voice') {
    return {
      VoiceMessage: {
        Body: m.text,
        LanguageCode: VOICE_LANGUAGE[m.locale] ?? 'en-US',
        ...(origination?.startsWith('+') ? { OriginationNumber: origination } : {}),
      },
    };
  }
  return { SMSMessage: { Body: m.text, MessageType: 'TRANSACTIONAL', ...originationField } };
}
