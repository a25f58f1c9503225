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
  /** The scenario phase this message is for: initial, update, holding, etaMissed, resolved; announce, reminder, … */
  phase: string;
  page: { name: string; url: string };
  scenario: { id: string; name: string };
  incident?: {
    id: string;
    /** The operator's title in this locale, else the plan's words (scenario and components). */
    title: string;
    status: string;
    statusLabel: string;
    severity: { id: string; name: string };
    /** The customer-facing impact as it stands, in this locale; absent when not written in it or when this message's own words say it. */
    impact?: string;
    /**
     * This message's words (or the impact) are the plan's own sentence for an alert-opened incident, which
     * only names the functions: an SMS or chat line, whose status line names them already, leaves it out.
     */
    alertWordsOnly?: boolean;
    startedAt: string;
    /** Resolved incidents: when, and how long it lasted ("1 hour 20 minutes"). */
    resolvedAt?: string;
    duration?: string;
    /** A post-incident review to follow, when the operator gave its link on resolve. */
    reviewUrl?: string;
    owner?: string;
    /** Internal only: alert names, hosts, runbooks. Never rendered for external audiences. */
    technicalDetail?: string;
  };
  maintenance?: {
    id: string;
    /** The operator's title in this locale, else the plan's words. */
    title: string;
    /** The phase's status word: Scheduled, Rescheduled, In progress, Extended, Completed, Cancelled. */
    statusLabel: string;
    scheduledFor: string;
    scheduledUntil: string;
    previousScheduledFor?: string;
    previousScheduledUntil?: string;
    /** For reminders: how long until the window starts, e.g. "24 hours". */
    startsIn?: string;
    /** What the work means for customers, as announced, in this locale; absent when not written in it or when this message's own words say it. */
    description?: string;
  };
  components: MessageComponent[];
  /** The affected business functions joined for a sentence, e.g. "card payments and checkout". */
  businessFunctions: string;
  workarounds: string[];
  /** The operator's words for this update in this locale, when there are any (otherwise templates use the plan's wording). */
  message?: string;
  /** Whether an operator wrote this update (in any language), rather than Herald on its own (a timer, monitoring). */
  operatorUpdate: boolean;
  eta?: string;
  nextUpdateAt?: string;
  /** The business functions this update newly affects (a widening), joined for a sentence. */
  newlyAffected?: string;
  /** The same, one function per item (short messages name the first and count the others). */
  newlyAffectedFunctions?: string[];
  /** Internal only: the external message that waits for approval, for whom, and when it goes out by itself. */
  awaitingApproval?: { seq: number; audiences: string; sendsAt: string };
  /** The incident's or maintenance's page in the reader's locale. */
  statusUrl: string;
  /** E-mail to external audiences: the recipient's one-click unsubscribe and preferences links. */
  unsubscribeUrl?: string;
  preferencesUrl?: string;
}

/** One rendered message: what every channel is built from. */
export interface RenderedMessage {
  subject: string;
  text: string;
  short: string;
}
