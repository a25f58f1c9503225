import type { Channel, ComponentStatus } from './plan/schema';

// The variables every message template may use. Values are already localized and formatted
// (times as text in the page's time zone), so templates only arrange words.

export interface MessageComponent {
  id: string;
  name: string;
  /** What customers can no longer do, in their words. */
  businessFunction: string;
  workaround?: string;
  status: ComponentStatus;
  statusLabel: string;
}

export interface MessageContext {
  locale: string;
  audienceKind: 'external' | 'internal';
  channel: Channel;
  page: { name: string; url: string };
  scenario: { id: string; name: string };
  incident?: {
    id: string;
    title: string;
    status: string;
    statusLabel: string;
    severity: { id: string; name: string };
    /** Customer-facing impact text written by the operator or taken from the plan. */
    impact: string;
    startedAt: string;
    owner?: string;
    /** Internal only: alert names, hosts, runbooks. Never rendered for external audiences. */
    technicalDetail?: string;
  };
  maintenance?: {
    id: string;
    title: string;
    scheduledFor: string;
    scheduledUntil: string;
    previousScheduledFor?: string;
    previousScheduledUntil?: string;
    /** For reminders: how long until the window starts, e.g. "24 hours". */
    startsIn?: string;
  };
  components: MessageComponent[];
  /** The affected business functions joined for a sentence, e.g. "card payments and checkout". */
  businessFunctions: string;
  workarounds: string[];
  /** The operator's words for this update, when there are any. */
  message?: string;
  eta?: string;
  nextUpdateAt?: string;
  statusUrl: string;
  unsubscribeUrl?: string;
}

/** One rendered message: what every channel is built from. */
export interface RenderedMessage {
  subject: string;
  text: string;
  short: string;
}
