import type { DeliveryConfig } from '../../core/config';
import type { Channel } from '../../core/plan/schema';
import type { AwsCredentials } from './aws';
import { createChatProvider } from './chat';
import { createOutboxProvider } from './outbox';
import { createPinpointProvider } from './pinpoint';
import { createSesProvider } from './ses';
import { createSmsV2Provider } from './smsV2';
import { createSmtpProvider } from './smtp';
import type { Provider } from './types';
import { createWebhookProvider } from './webhook';

export type { Provider } from './types';

export interface ProviderDeps {
  /** Explicit AWS credentials (tests, benches); otherwise the SDK's default chain. */
  awsCredentials?: AwsCredentials;
  /** Signs generic webhooks. */
  webhookSecret: string;
}

export type ChannelProviders = Record<Channel, Provider>;

/** One provider per channel, as configured; providers shared by channels (Pinpoint, outbox) are built once. */
export function createProviders(config: DeliveryConfig, deps: ProviderDeps): ChannelProviders & { close(): Promise<void> } {
  const aws = {
    credentials: deps.awsCredentials,
    timeoutMs: config.httpTimeoutMs,
    maxSockets: Math.max(16, config.providerConcurrency * 2),
  };
  const cache = new Map<string, Provider>();
  const once = (key: string, make: () => Provider) => cache.get(key) ?? (cache.set(key, make()), cache.get(key)!);
  const outbox = () => once('outbox', () => createOutboxProvider(config.outboxDir, config.emailFrom));
  const pinpoint = () => once('pinpoint', () => createPinpointProvider(config, aws));
  const p = config.providers;
  const providers: ChannelProviders = {
    email:
      p.email === 'ses'
        ? once('ses', () => createSesProvider(config, aws))
        : p.email === 'smtp'
          ? once('smtp', () =>
              createSmtpProvider(config, {
                timeoutMs: config.httpTimeoutMs,
                maxConnections: Math.min(config.providerConcurrency, 20),
              }),
            )
          : outbox(),
    sms:
      p.sms === 'pinpoint' ? pinpoint() : p.sms === 'sms-v2' ? once('sms-v2', () => createSmsV2Provider(config, aws)) : outbox(),
    push: p.push === 'pinpoint' ? pinpoint() : outbox(),
    voice: p.voice === 'pinpoint' ? pinpoint() : outbox(),
    chat: p.chat === 'http' ? once('chat', () => createChatProvider(config)) : outbox(),
    webhook: p.webhook === 'http' ? once('webhook', () => createWebhookProvider(config, deps.webhookSecret)) : outbox(),
  };
  return {
    ...providers,
    async close() {
      for (const provider of cache.values()) await provider.close?.();
    },
  };
}
