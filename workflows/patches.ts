// Every patch id the workflows pass to patched() or deprecatePatch(), with what it changes, the
// recorded histories in test/replay/ that pin each side of it, and when it may move on.
//
// A patch lives in three steps (samples-typescript patching-api): born as `patched(ID)` with a
// history recorded before and after; moved to `deprecatePatch(ID)` once no open run can still take
// the old path (the "before" histories are then deleted, the "after" ones keep replaying); removed
// with its entry here once no open run carries the marker. A continued-as-new run is a new run: it
// records the markers afresh, so "no open run started before X" counts runs, not workflow ids. List
// them with e.g. `temporal workflow list --query "WorkflowType='incident' AND ExecutionStatus='Running'
// AND StartTime < '2026-11-29T00:00:00Z'"`. test/unit/patches.test.ts keeps this list, the code and
// the histories in step.

/** Incident page changes signal the running statusPage workflow directly instead of through the sendPageChange activity. */
export const PAGE_CHANGE_BY_SIGNAL = 'page-change-by-signal';
/** Notify rounds prepare, plan their pages and report through local activities. */
export const NOTIFY_LOCAL_PREPARE = 'notify-local-prepare';
/** Rounds to small audiences run inside the lifecycle's workflow task (local activity runRoundInline) before any notify child. */
export const INLINE_SMALL_ROUNDS = 'inline-small-rounds';
/** Status page publishes as a local activity (superseded by PUBLISH_BY_ACTIVITY; only runs that started in between take it). */
export const PUBLISH_LOCAL = 'publish-local';
/** Status page publishes as an ordinary activity again. */
export const PUBLISH_BY_ACTIVITY = 'publish-by-activity';
/** Incidents tell the alert router when they are declared, widened, change severity or close. */
export const INCIDENT_REPORTS_TO_ROUTER = 'incident-reports-to-router';
/** External messages that need approval leave in phase order, one waiting at a time with later ones folded into it; reject; monitoring waits too. */
export const ORDERED_APPROVALS = 'ordered-approvals';
/** A subscriber several audiences of one message reach hears it once, from the audience with the highest precedence. */
export const ONE_MESSAGE_PER_PERSON = 'one-message-per-person';
/** Widening an incident posts an update naming the newly affected functions to everyone already told, staff included. */
export const WIDENING_TELLS = 'widening-tells';
/** The incident and maintenance main loops keep their timer across wake-ups that leave the next deadline where it was. */
export const KEEP_LOOP_TIMER = 'keep-loop-timer';
/** An approval or rejection reaches the wait of the message it decides, and that message's rounds are planned when it is decided. */
export const APPROVAL_DECIDED_ONCE = 'approval-decided-once';

export interface PatchEntry {
  id: string;
  /** Workflow types whose code calls patched(id). */
  workflows: string[];
  /** The commit that introduced it (its date: runs started before it take the old path). */
  since: string;
  changes: string;
  /** Histories (test/replay/<name>.json) recorded before the patch: they replay the old path. */
  replayedWithout: string[];
  /** Histories that carry the patch marker: they replay the new path. */
  replayedWith: string[];
  /** When patched(id) may become deprecatePatch(id). */
  deprecateWhen: string;
}

export const PATCH_REGISTRY: readonly PatchEntry[] = [
  {
    id: PAGE_CHANGE_BY_SIGNAL,
    workflows: ['incident'],
    since: 'f3fe07e (2026-11-28)',
    changes:
      'workflows/rounds.ts publishToPage: with the page id, signal statusPage-<page> with getExternalWorkflowHandle and fall back to the sendPageChange activity only when it is not running; before: always the activity.',
    replayedWithout: ['replay-incident-main', 'replay-incident-holding'],
    replayedWith: ['replay-incident-widened', 'replay-incident-inline'],
    deprecateWhen: 'when no incident run that started before f3fe07e was deployed is open.',
  },
  {
    id: NOTIFY_LOCAL_PREPARE,
    workflows: ['notify'],
    since: '39a2f3e (2026-11-28)',
    changes:
      'workflows/notify.ts: prepareRound, planAudiencePage and finishRound run as local activities (same functions and retries); before: ordinary activities.',
    replayedWithout: ['replay-notify-activities'],
    replayedWith: ['replay-notify-local'],
    deprecateWhen:
      'when no notify run that started before 39a2f3e was deployed is open (rounds are short and continue as new per page: usually a day after the deploy).',
  },
  {
    id: INLINE_SMALL_ROUNDS,
    workflows: ['incident', 'maintenance'],
    since: '149c710 (2026-11-28)',
    changes:
      'workflows/rounds.ts startRound: one bounded runRoundInline local activity first; a notify child only when the audience is too large or the attempt did not finish; before: always a notify child.',
    replayedWithout: ['replay-incident-main', 'replay-incident-holding', 'replay-incident-widened', 'replay-maintenance-main'],
    replayedWith: ['replay-incident-inline'],
    deprecateWhen:
      'when no incident or maintenance run that started before 149c710 was deployed is open (maintenance windows are scheduled weeks ahead: check both types).',
  },
  {
    id: PUBLISH_LOCAL,
    workflows: ['statusPage'],
    since: '149c710 (2026-11-28)',
    changes:
      'workflows/statusPage.ts: publishPage as a local activity, taken only by runs that recorded it and not PUBLISH_BY_ACTIVITY; new runs never evaluate it (PUBLISH_BY_ACTIVITY is checked first).',
    replayedWithout: ['replay-statuspage-activity'],
    replayedWith: ['replay-statuspage-local'],
    deprecateWhen:
      'never deprecated on its own: once no statusPage run that started before df248b7 was deployed is open, drop it together with the move of PUBLISH_BY_ACTIVITY to deprecatePatch (page workflows continue as new every few days).',
  },
  {
    id: PUBLISH_BY_ACTIVITY,
    workflows: ['statusPage'],
    since: 'df248b7 (2026-11-28)',
    changes: 'workflows/statusPage.ts: publishPage as an ordinary activity again, whatever PUBLISH_LOCAL says.',
    replayedWithout: ['replay-statuspage-activity', 'replay-statuspage-local'],
    replayedWith: ['replay-statuspage-by-activity'],
    deprecateWhen:
      'when no statusPage run that started before df248b7 was deployed is open; then PUBLISH_LOCAL goes and the replayedWithout histories are deleted.',
  },
  {
    id: INCIDENT_REPORTS_TO_ROUTER,
    workflows: ['incident'],
    since: 'issue 14 (2026-12-03)',
    changes:
      'workflows/incident/correlation.ts routerReports: a declared incident signals its alert router (incidentChanged) when it starts, and every incident when its components or severity change or it resolves; before: no signal.',
    replayedWithout: ['replay-incident-main', 'replay-incident-holding', 'replay-incident-widened', 'replay-incident-inline'],
    replayedWith: ['replay-incident-correlated'],
    deprecateWhen: 'when no incident run that started before it was deployed is open.',
  },
  {
    id: ORDERED_APPROVALS,
    workflows: ['incident'],
    since: 'issue 13 (2026-12-03)',
    changes:
      "workflows/incident/publication.ts publishInOrder + incident/approvals.ts: for audiences that need approval one message waits at a time and every later publication folds into it (released approved with the words that stand, timed out with the plan's wording of the phase reached, or rejected); each wait times out from its own request; monitoring publications wait too; rounds start in publication order; page updates name the affected functions; the reject update. Before: publishGatedChain (kept verbatim), gated publications chained one after another, monitoring bypassing approval.",
    replayedWithout: ['replay-incident-main', 'replay-incident-holding', 'replay-incident-widened', 'replay-incident-inline'],
    replayedWith: ['replay-incident-approvals'],
    deprecateWhen:
      'when no incident run that started before it was deployed is open; then publishGatedChain, addPageUpdate and the old branches of approve/pendingSeqs/isPending/awaiting go with it.',
  },
  {
    id: ONE_MESSAGE_PER_PERSON,
    workflows: ['incident', 'maintenance'],
    since: 'issue 13 (2026-12-03)',
    changes:
      'workflows/rounds.ts startRound: a round names the audiences of the same message that outrank it (plan precedence, then scenario order; same kind) in NotifyRequest.outrankedBy, and the audience query leaves out their members who have an address on their channels. Before: every audience reached everyone it matched.',
    replayedWithout: [
      'replay-incident-main',
      'replay-incident-holding',
      'replay-incident-widened',
      'replay-incident-inline',
      'replay-maintenance-main',
    ],
    replayedWith: ['replay-incident-approvals'],
    deprecateWhen:
      'when no incident or maintenance run that started before it was deployed is open (maintenance windows are scheduled weeks ahead).',
  },
  {
    id: WIDENING_TELLS,
    workflows: ['incident'],
    since: 'issue 13 (2026-12-03)',
    changes:
      'workflows/incident/state.ts changeImpact: added components publish an update (phase update, newlyAffected) to everyone told before and the page, and the first notice to the newly affected leaves the page to it; postUpdate marks its update newlyAffected. Before: an impact change only sent the page, and the first notice to the newly affected added its own page entry.',
    replayedWithout: ['replay-incident-main', 'replay-incident-widened'],
    replayedWith: ['replay-incident-approvals'],
    deprecateWhen: 'when no incident run that started before it was deployed is open.',
  },
  {
    id: KEEP_LOOP_TIMER,
    workflows: ['incident', 'maintenance'],
    since: 'replay fix (2026-12-04)',
    changes:
      'workflows/lifecycle.ts LoopTimer: the main loop keeps one timer, in its own cancellation scope, across wake-ups and cancels it only when the next deadline moves, so a wake-up that changes no deadline (an inline round finishing, whose local activity can resolve one activation earlier on replay) emits no command; incident/state.ts nextTimerAt gives the deadline. Before: every wait was condition(changed, timeout), a new timer per wake-up, cancelled when woken.',
    replayedWithout: [
      'replay-incident-main',
      'replay-incident-holding',
      'replay-incident-widened',
      'replay-incident-inline',
      'replay-incident-approvals',
      'replay-maintenance-main',
    ],
    replayedWith: ['replay-incident-reminder', 'replay-maintenance-timer'],
    deprecateWhen:
      'when no incident or maintenance run that started before it was deployed is open (maintenance windows are scheduled weeks ahead); then LoopTimer keeps only its new path.',
  },
  {
    id: APPROVAL_DECIDED_ONCE,
    workflows: ['incident'],
    since: 'approvals race (2026-12-04)',
    changes:
      "workflows/incident/publication.ts waitForDecision: decisions are kept per waiting message (by its first seq), so an approval taken in the same workflow task as a new message that starts to wait is not wiped by that wait (the approved update then waited for its timeout, and the next approval woke both waits: the resolution went to customers twice); the approved message's gated rounds are planned when it is decided, before the page shows its words, so a resolution taken meanwhile is its own message and not also the update's. Before: one shared decision slot cleared by every new wait; rounds planned after the page update.",
    replayedWithout: ['replay-incident-approvals', 'replay-incident-correlated', 'replay-incident-reminder'],
    replayedWith: ['replay-incident-decided-once'],
    deprecateWhen:
      'when no incident run that started before it was deployed is open; then the shared-slot branch of waitForDecision goes.',
  },
];
