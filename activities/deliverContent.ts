import { buildMessageContext } from '../core/messageContext';
import { preferencesLink, renderChannelMessage } from '../core/messageContent';
import { describeFindings, guardExternalMessage, guardRulesForPlan } from '../core/guard';
import type { NotifyRequest } from '../core/notify';
import type { Channel, Plan } from '../core/plan/schema';
import type { RenderedMessage } from '../core/messages';
import type { TemplateRenderer } from '../core/render';
import { unsubscribeLink } from '../core/store/unsubscribe';
import { planAudience } from './audience';

// A round's content: rendered once per (locale, channel), guarded, within the plan's length limits,
// and saved with the round so every batch (on any worker, after any restart) sends the same words.
// Only the unsubscribe link differs per recipient: it is rendered as a placeholder and swapped in.

import { UNSUBSCRIBE_PLACEHOLDER } from './providers/types';

export { UNSUBSCRIBE_PLACEHOLDER };

export interface ChannelContent {
  subject: string;
  text: string;
  short: string;
  /** E-mail: the HTML part (with the unsubscribe placeholder). */
  html?: string;
  /** Webhook: the Statuspage-shaped JSON document (with the unsubscribe placeholder). */
  json?: string;
  /** The incident's or maintenance's page in this locale (push opens it, chat links it). */
  link?: string;
}

export interface RoundContent {
  kind: 'external' | 'internal';
  statusUrl: string;
  /** The unsubscribe link with the placeholder for the token. */
  unsubscribeTemplate: string;
  channels: Channel[];
  locales: string[];
  fallbackLocale: string;
  /** Keyed `${locale} ${channel}`. */
  messages: Record<string, ChannelContent>;
}

export class GuardRefused extends Error {
  override name = 'GuardRefused';
}

const STATUS_INDICATOR: Record<string, string> = { none: 'none', minor: 'minor', major: 'major', critical: 'critical' };

export function renderRoundContent(o: {
  plan: Plan;
  request: NotifyRequest;
  renderer: TemplateRenderer;
  statusUrl: string;
  unsubscribeBase: string;
  now: Date;
}): RoundContent {
  const { plan, request, renderer } = o;
  // One public address: the plan's page.url, which the page, its JSON and its feeds use too. A drill
  // links its own drill page (the request's statusUrl).
  const statusUrl = request.drill ? o.statusUrl : plan.page.url.replace(/\/+$/, '');
  const audience = planAudience(plan, request.audienceId);
  const wording = planAudience(plan, request.standsFor ?? request.audienceId);
  const kind = wording.kind;
  // Locales both the recipients' audience and the wording's templates cover.
  const locales = audience.locales.filter((l) => wording.locales.includes(l));
  if (locales.length === 0)
    locales.push(wording.locales.includes(plan.page.defaultLocale) ? plan.page.defaultLocale : wording.locales[0]!);
  const fallbackLocale = locales.includes(plan.page.defaultLocale) ? plan.page.defaultLocale : locales[0]!;
  const channels = [...new Set(request.channels)];
  const unsubscribeTemplate = unsubscribeLink(o.unsubscribeBase, UNSUBSCRIBE_PLACEHOLDER);
  const rules = guardRulesForPlan(plan, [hostOf(statusUrl), hostOf(o.unsubscribeBase)].filter(Boolean));
  const messages: Record<string, ChannelContent> = {};
  for (const locale of locales) {
    for (const channel of channels) {
      const ctx = buildMessageContext(plan, request.facts, {
        locale,
        kind,
        channel,
        phase: request.phase,
        statusUrl,
        now: o.now,
        ...(channel === 'email' && kind === 'external'
          ? { unsubscribeUrl: unsubscribeTemplate, preferencesUrl: preferencesLink(o.unsubscribeBase, UNSUBSCRIBE_PLACEHOLDER) }
          : {}),
      });
      const { rendered, content: finished } = renderChannelMessage(plan, renderer, ctx, request.templateId);
      const content: ChannelContent = { ...finished, link: ctx.statusUrl };
      if (kind === 'external') {
        const findings = guardExternalMessage({ subject: content.subject, text: content.text, short: content.short }, rules);
        if (findings.length > 0)
          throw new GuardRefused(
            `the ${locale} ${channel} message for round ${request.roundId} was not sent: ${describeFindings(findings)}`,
          );
      }
      if (channel === 'email') content.html = renderer.renderEmailHtml(ctx, rendered);
      if (channel === 'webhook')
        content.json = JSON.stringify(
          statuspageWebhook(plan, request, rendered, {
            locale,
            statusUrl,
            link: ctx.statusUrl,
            name: ctx.incident?.title ?? ctx.maintenance?.title ?? '',
            unsubscribe: unsubscribeTemplate,
            now: o.now,
          }),
        );
      messages[`${locale} ${channel}`] = content;
    }
  }
  return { kind, statusUrl, unsubscribeTemplate, channels, locales, fallbackLocale, messages };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

/** The body of Statuspage's subscriber webhook (incident form), plus Herald's own block. */
export function statuspageWebhook(
  plan: Plan,
  request: NotifyRequest,
  rendered: RenderedMessage,
  o: { locale: string; statusUrl: string; link: string; name: string; unsubscribe: string; now: Date },
) {
  const f = request.facts;
  const severity = plan.severities.find((s) => s.id === f.severity);
  const resolved = f.status === 'resolved' || f.status === 'completed' || f.status === 'cancelled';
  const impact = f.kind === 'maintenance' ? 'maintenance' : (severity?.impact ?? 'none');
  const now = o.now.toISOString();
  const pick = (t: Record<string, string> | undefined) => t?.[o.locale] ?? t?.[plan.page.defaultLocale] ?? '';
  return {
    meta: {
      unsubscribe: o.unsubscribe,
      documentation: 'https://support.atlassian.com/statuspage/docs/enable-webhook-notifications/',
      generated_at: now,
    },
    page: {
      id: plan.page.id,
      name: plan.page.name,
      url: o.statusUrl,
      status_indicator: resolved ? 'none' : (STATUS_INDICATOR[impact] ?? 'minor'),
      status_description: rendered.subject,
    },
    incident: {
      id: f.id,
      name: o.name,
      status: f.status,
      impact,
      created_at: f.startedAt ?? f.scheduledFor ?? now,
      updated_at: now,
      resolved_at: resolved ? now : null,
      ...(f.kind === 'maintenance' ? { scheduled_for: f.scheduledFor ?? null, scheduled_until: f.scheduledUntil ?? null } : {}),
      shortlink: o.link,
      incident_updates: [
        {
          id: request.roundId,
          incident_id: f.id,
          status: f.status,
          body: rendered.text,
          created_at: now,
          updated_at: now,
          display_at: now,
        },
      ],
      components: f.components.map((id) => {
        const c = plan.components.find((x) => x.id === id);
        return { id, name: pick(c?.name) || id, status: f.componentStatuses[id] ?? 'operational' };
      }),
    },
    herald: {
      round_id: request.roundId,
      phase: request.phase,
      locale: o.locale,
      subject: rendered.subject,
      short: rendered.short,
      eta: f.eta ?? null,
      next_update_at: f.nextUpdateAt ?? null,
    },
  };
}
