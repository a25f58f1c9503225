import type { MessageContext, RenderedMessage } from './messages';
import type { Channel, Plan } from './plan/schema';
import type { TemplateRenderer } from './render';
import { fitShort, fitSms, gsmSafe, stripElastic } from './sms';
import { unsubscribeLink } from './store/unsubscribe';

// One message as a channel carries it: the rendered parts, finished for the channel (SMS and push
// within the plan's limits). Delivery and `herald messages check` both build messages here, so the
// check reads exactly what customers receive.

const CJK = /^(zh|ja|ko)\b/;
const DEFAULT_OPT_OUT: Record<string, string> = { en: 'Reply STOP to opt out', 'zh-TW': '回覆 STOP 取消訂閱' };

/** The plan's SMS budget for a locale, in segments (the deprecated character limit read as segments). */
export function smsSegmentBudget(plan: Plan, locale: string): number {
  const set = plan.limits.smsSegments[locale];
  if (set !== undefined) return set;
  const chars = plan.limits.smsLength;
  if (chars !== undefined)
    return CJK.test(locale) ? (chars <= 70 ? 1 : Math.ceil(chars / 67)) : chars <= 160 ? 1 : Math.ceil(chars / 153);
  return CJK.test(locale) ? 3 : 2;
}

/** The line that ends every SMS: how to stop them. */
export function smsOptOut(plan: Plan, locale: string): string {
  const lines = plan.sms.optOut;
  return lines?.[locale] ?? lines?.[plan.page.defaultLocale] ?? DEFAULT_OPT_OUT[locale] ?? DEFAULT_OPT_OUT.en!;
}

/** The recipient's preferences page: beside the unsubscribe route, with the same signed token. */
export function preferencesLink(unsubscribeBase: string, token: string): string {
  return unsubscribeLink(new URL('preferences', unsubscribeBase).href, token);
}

export function renderChannelMessage(
  plan: Plan,
  renderer: TemplateRenderer,
  ctx: MessageContext,
  templateId: string,
): { rendered: RenderedMessage; content: RenderedMessage } {
  const rendered = renderer.render(ctx, templateId);
  return { rendered, content: finishForChannel(plan, ctx.channel, ctx.locale, rendered) };
}

/**
 * SMS: GSM-7 whenever the words allow, the opt-out line at the end, within the locale's segments
 * (the template's elastic stretches shortened first). Push: within the plan's length. Other
 * channels carry subject and text as rendered.
 */
export function finishForChannel(plan: Plan, channel: Channel, locale: string, rendered: RenderedMessage): RenderedMessage {
  const subject = stripElastic(rendered.subject);
  const text = stripElastic(rendered.text);
  let short = rendered.short;
  if (channel === 'sms') short = fitSms(`${short} ${smsOptOut(plan, locale)}`, locale, smsSegmentBudget(plan, locale));
  else if (channel === 'push') short = fitShort(short, locale, (s) => [...s].length <= plan.limits.pushLength);
  else short = stripElastic(short);
  return { subject, text, short: channel === 'sms' ? short : gsmSafeIfLatin(short, locale) };
}

/** Push and chat previews: no typographic ellipsis where plain dots do. */
function gsmSafeIfLatin(text: string, locale: string): string {
  return CJK.test(locale) ? text : gsmSafe(text);
}
