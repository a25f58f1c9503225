import type { MessageContext, RenderedMessage } from './messages';
import type { Channel, Plan } from './plan/schema';
import type { TemplateRenderer } from './render';

// One message as a channel carries it: the rendered parts, finished for the channel (SMS and push
// within the plan's limits). Delivery and `herald messages check` both build messages here, so the
// check reads exactly what customers receive.

/** Cuts text to at most `max` characters (code points) at a word boundary, ending with "…". */
export function fitLength(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  const cut = chars.slice(0, max - 1).join('');
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,;:.]+$/, '')}…`;
}

export function renderChannelMessage(
  plan: Plan,
  renderer: TemplateRenderer,
  ctx: MessageContext,
  templateId: string,
): { rendered: RenderedMessage; content: RenderedMessage } {
  const rendered = renderer.render(ctx, templateId);
  return { rendered, content: finishForChannel(plan, ctx.channel, rendered) };
}

export function finishForChannel(plan: Plan, channel: Channel, rendered: RenderedMessage): RenderedMessage {
  const short =
    channel === 'sms'
      ? fitLength(rendered.short, plan.limits.smsLength)
      : channel === 'push'
        ? fitLength(rendered.short, plan.limits.pushLength)
        : rendered.short;
  return { subject: rendered.subject, text: rendered.text, short };
}
