import type { DeliveryConfig } from '../../core/config';
import { postJson } from './http';
import type { OutgoingMessage, Provider } from './types';

// Chat: Slack and Microsoft Teams incoming webhooks, chosen by the webhook's host (Teams: *.office.com,
// *.logic.azure.com, *.powerplatform.com; everything else is posted in Slack's format, which
// Mattermost and Rocket.Chat accept too). A recipient can force one with a "teams+" or "slack+"
// prefix on the URL.

export type ChatFormat = 'slack' | 'teams';

export function chatTarget(address: string): { format: ChatFormat; url: string } {
  const forced = /^(slack|teams)\+(https?:\/\/.*)$/.exec(address);
  if (forced) return { format: forced[1] as ChatFormat, url: forced[2]! };
  let host = '';
  try {
    host = new URL(address).hostname;
  } catch {
    // validated on import; a bad URL fails at fetch
  }
  const teams = /(^|\.)(office\.com|office365\.com|logic\.azure\.com|powerplatform\.com|powerautomate\.com)$/.test(host);
  return { format: teams ? 'teams' : 'slack', url: address };
}

export function slackPayload(m: OutgoingMessage): unknown {
  const link = m.statusUrl ? `\n<${m.statusUrl}|Status page>` : '';
  return {
    text: `${m.title ?? ''}\n${m.text ?? ''}`.trim(),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: (m.title ?? '').slice(0, 150) || ' ', emoji: false } },
      { type: 'section', text: { type: 'mrkdwn', text: `${escapeSlack(m.text ?? '')}${link}`.slice(0, 3000) } },
    ],
    unfurl_links: false,
  };
}

export function teamsPayload(m: OutgoingMessage): unknown {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', text: m.title ?? '', weight: 'Bolder', size: 'Medium', wrap: true },
            { type: 'TextBlock', text: m.text ?? '', wrap: true },
          ],
          ...(m.statusUrl ? { actions: [{ type: 'Action.OpenUrl', title: 'Status page', url: m.statusUrl }] } : {}),
        },
      },
    ],
  };
}

const escapeSlack = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function createChatProvider(config: DeliveryConfig): Provider {
  return {
    name: 'chat',
    regions: ['direct'],
    maxPerRequest: 1,
    async send(_region, messages) {
      return Promise.all(
        messages.map((m) => {
          const target = chatTarget(m.address);
          const body = JSON.stringify(target.format === 'teams' ? teamsPayload(m) : slackPayload(m));
          return postJson(target.url, body, {}, config.httpTimeoutMs, target.format === 'teams' ? 'Teams' : 'Slack');
        }),
      );
    },
  };
}
