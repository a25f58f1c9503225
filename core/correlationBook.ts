import { alertId, componentKeys, scenarioMayJoin, withinWindow, type CorrelationRule } from './correlation';

// The alert router's book: the open incidents alerts may join, and what each alert last said. The
// router workflow applies deliveries to it one at a time, in the order Temporal gave them, so the
// same deliveries always make the same decisions on any number of API processes. Pure: the
// workflow does the I/O (start an incident, signal one) from the changes these functions return.
//
// Decisions, for the firing alerts of one delivery (an Alertmanager group notification, an alarm):
// an alert already in an open incident stays there (a repeat changes nothing; a re-fire after its
// resolution is flapping, and stays too); a new alert goes where its delivery's other alerts or
// its group went, else to the earliest open incident that shares a correlation key within the
// window and whose scenario it may join (operator-declared incidents also take any alert on a
// component they cover), else it opens one. A firing whose start is not after a resolution already
// seen for that alert (out-of-order delivery) is stale and changes nothing; a resolution that
// arrives first is kept for that check.

/** Alert details kept for people (the first few of a delivery); same shape as the incident contract's AlertInfo. */
export interface AlertSample {
  source: string;
  name: string;
  summary?: string;
  labels?: Record<string, string>;
  fingerprint?: string;
  startsAt?: string;
}

export interface DeliveredAlert {
  /** core/correlation.ts alertId(source, fingerprint). */
  id: string;
  state: 'firing' | 'resolved';
  startsAtMs: number | null;
  endsAtMs: number | null;
}

export interface RoutedDelivery {
  scenario: string;
  severity: string;
  components: string[];
}

/** One webhook delivery, as the API hands it to the router. */
export interface CorrelationDelivery {
  deliveryId: string;
  source: string;
  /** A digest of the sender's grouping (Alertmanager groupKey, alarm ARN, generic key). */
  identity: string;
  receivedAtMs: number;
  alerts: DeliveredAlert[];
  /** Details of the first few alerts, for the incident's timeline and its opening words. */
  sample: AlertSample[];
  /** What the firing alerts route to; null when none fires. */
  routed: RoutedDelivery | null;
  keys: string[];
  technicalDetail?: string;
}

/** An operator-declared incident, registered so matching alerts join it. */
export interface CorrelationClaim {
  incidentId: string;
  scenario: string;
  severity: string;
  components: string[];
}

export interface BookIncident {
  n: number;
  id: string;
  origin: 'alert' | 'declared';
  scenario: string;
  severity: string;
  components: string[];
  /** `by: labels` keys of the alerts it took. */
  labelKeys: string[];
  openedAtMs: number;
  lastAlertAtMs: number;
  alerts: number;
  firing: number;
  closedAtMs: number | null;
  /** The monitoring state last told to the incident. */
  told: 'none' | 'firing' | 'resolved';
  /** Alerts whose details the incident was given (the first few; after that, counts). */
  sampled: number;
}

/** [incident n (0: none), firing (1) or resolved (0), startsAt, endsAt] with times in ms. */
export type AlertMark = [number, 0 | 1, number, number];

export interface Book {
  /** When the book began. */
  epoch: number;
  /** Mixed into the ids of the incidents it opens, so they never repeat (the router's first run id). */
  seed: string;
  nextN: number;
  incidents: BookIncident[];
  marks: Record<string, AlertMark>;
  /** Delivery identity → the incident its alerts went to. */
  identities: Record<string, number>;
  counts: {
    deliveries: number;
    alerts: number;
    opened: number;
    joined: number;
    stale: number;
    resolvedFirst: number;
    /** Deliveries an incident could not take, decided again. */
    bounced: number;
  };
}

/** What one batch changed for one incident: the workflow turns each into a start or one signal. */
export interface IncidentChange {
  n: number;
  /** The delivery that opened it (start it); absent when it was open before. */
  opener?: CorrelationDelivery;
  /** The deliveries behind it, to decide again if the incident cannot take them (a set: a storm folds thousands). */
  deliveries: Set<CorrelationDelivery>;
  sample: AlertSample[];
  newAlerts: number;
  refired: number;
  resolved: number;
  /** What the alerts add to it: components it lacks, a more severe severity. */
  widen?: { components: string[]; severity: string };
}

export type Changes = Map<number, IncidentChange>;

export const MAX_MARKS = 20_000;
export const MARK_TTL_MS = 24 * 3_600_000;
const SAMPLE_PER_CHANGE = 20;
/** How many alerts an incident is given the details of; the rest reach it as counts. */
export const ALERT_DETAILS_PER_INCIDENT = 20;

export function newBook(epoch: number, seed = String(epoch)): Book {
  return {
    epoch,
    seed,
    nextN: 1,
    incidents: [],
    marks: {},
    identities: {},
    counts: { deliveries: 0, alerts: 0, opened: 0, joined: 0, stale: 0, resolvedFirst: 0, bounced: 0 },
  };
}

export const openIncident = (book: Book, n: number): BookIncident | undefined =>
  book.incidents.find((i) => i.n === n && i.closedAtMs === null);

export function incidentById(book: Book, id: string): BookIncident | undefined {
  return book.incidents.find((i) => i.id === id);
}

function changeFor(changes: Changes, n: number): IncidentChange {
  let c = changes.get(n);
  if (!c) {
    c = { n, deliveries: new Set(), sample: [], newAlerts: 0, refired: 0, resolved: 0 };
    changes.set(n, c);
  }
  return c;
}

/** Notes the delivery on the change, and the details of its alerts that are news (new, re-fired, resolved). */
function touch(change: IncidentChange, d: CorrelationDelivery, news: readonly DeliveredAlert[]) {
  change.deliveries.add(d);
  const ids = new Set(news.map((a) => a.id));
  for (const s of d.sample)
    if (change.sample.length < SAMPLE_PER_CHANGE && ids.has(alertId(d.source, s.fingerprint ?? '')) && !change.sample.includes(s))
      change.sample.push(s);
}

/** Folds a later change to the same incident into one not yet sent. */
export function mergeChange(into: IncidentChange, later: IncidentChange): void {
  into.opener ??= later.opener;
  for (const d of later.deliveries) into.deliveries.add(d);
  for (const s of later.sample) if (into.sample.length < SAMPLE_PER_CHANGE) into.sample.push(s);
  into.newAlerts += later.newAlerts;
  into.refired += later.refired;
  into.resolved += later.resolved;
  if (later.widen)
    into.widen = {
      components: [...new Set([...(into.widen?.components ?? []), ...later.widen.components])],
      severity: later.widen.severity,
    };
}

/**
 * Applies one delivery. `newIncidentId` names an incident the delivery opens. Returns what the
 * delivery did, for logs and counts: the incident its firing alerts went to, or why nothing happened.
 */
export function applyDelivery(
  book: Book,
  d: CorrelationDelivery,
  rule: CorrelationRule,
  nowMs: number,
  changes: Changes,
  newIncidentId: (n: number, d: CorrelationDelivery) => string,
): { incident: string | null; outcome: 'opened' | 'joined' | 'repeat' | 'stale' | 'resolved' | 'nothing' } {
  book.counts.deliveries += 1;
  let resolvedAny = false;
  for (const a of d.alerts) if (a.state === 'resolved') resolvedAny = applyResolution(book, a, changes, d) || resolvedAny;

  const fresh: DeliveredAlert[] = [];
  const refired: [DeliveredAlert, BookIncident][] = [];
  let home: BookIncident | undefined;
  let repeats = 0;
  let stale = 0;
  for (const a of d.alerts) {
    if (a.state !== 'firing') continue;
    const mark = Object.hasOwn(book.marks, a.id) ? book.marks[a.id] : undefined;
    const startsAt = a.startsAtMs ?? d.receivedAtMs;
    if (!mark) {
      fresh.push(a);
      continue;
    }
    const [n, firing, markStart, markEnd] = mark;
    const inc = n > 0 ? openIncident(book, n) : undefined;
    if (firing === 0 && a.startsAtMs !== null && a.startsAtMs <= markEnd) {
      stale += 1; // this episode already ended (its resolution came first, or this is an old retry)
      continue;
    }
    if (firing === 1 && inc) {
      if (startsAt > markStart) mark[2] = startsAt;
      home ??= inc;
      repeats += 1;
      continue;
    }
    if (firing === 1 && n > 0 && startsAt <= markStart) {
      stale += 1; // its incident was closed while this episode fired: already told
      continue;
    }
    if (firing === 0 && inc) {
      refired.push([a, inc]);
      home ??= inc;
      continue;
    }
    fresh.push(a); // a new episode of an alert whose incident is closed, or after a resolution seen first
  }
  book.counts.stale += stale;

  for (const [a, inc] of refired) {
    book.marks[a.id] = [inc.n, 1, a.startsAtMs ?? d.receivedAtMs, 0];
    inc.firing += 1;
    inc.lastAlertAtMs = Math.max(inc.lastAlertAtMs, nowMs);
    const c = changeFor(changes, inc.n);
    c.refired += 1;
    touch(c, d, [a]);
  }

  if (fresh.length === 0) {
    if (refired.length > 0) return { incident: refired[0]![1].id, outcome: 'joined' };
    if (repeats > 0) return { incident: home!.id, outcome: 'repeat' };
    if (stale > 0) return { incident: null, outcome: 'stale' };
    return { incident: null, outcome: resolvedAny ? 'resolved' : 'nothing' };
  }
  const routed = d.routed;
  if (!routed) return { incident: null, outcome: 'nothing' };

  const byIdentity = Object.hasOwn(book.identities, d.identity) ? openIncident(book, book.identities[d.identity]!) : undefined;
  let target = home ?? byIdentity ?? findIncident(book, d, routed, rule, nowMs);
  let outcome: 'opened' | 'joined' = 'joined';
  if (!target) {
    const n = book.nextN++;
    target = {
      n,
      id: newIncidentId(n, d),
      origin: 'alert',
      scenario: routed.scenario,
      severity: routed.severity,
      components: [...routed.components],
      labelKeys: [],
      openedAtMs: nowMs,
      lastAlertAtMs: nowMs,
      alerts: 0,
      firing: 0,
      closedAtMs: null,
      told: 'none',
      sampled: 0,
    };
    book.incidents.push(target);
    book.counts.opened += 1;
    changeFor(changes, n).opener = d;
    outcome = 'opened';
  } else {
    book.counts.joined += fresh.length;
  }
  for (const a of fresh) book.marks[a.id] = [target.n, 1, a.startsAtMs ?? d.receivedAtMs, 0];
  book.counts.alerts += fresh.length;
  target.alerts += fresh.length;
  target.firing += fresh.length;
  target.lastAlertAtMs = Math.max(target.lastAlertAtMs, nowMs);
  if (rule.by === 'labels') target.labelKeys = [...new Set([...target.labelKeys, ...d.keys])].slice(0, 50);
  book.identities[d.identity] = target.n;
  const change = changeFor(changes, target.n);
  change.newAlerts += fresh.length;
  touch(change, d, fresh);
  if (outcome === 'joined') widen(target, routed, rule, change);
  return { incident: target.id, outcome };
}

function applyResolution(book: Book, a: DeliveredAlert, changes: Changes, d: CorrelationDelivery): boolean {
  const endsAt = a.endsAtMs ?? d.receivedAtMs;
  const mark = Object.hasOwn(book.marks, a.id) ? book.marks[a.id] : undefined;
  if (!mark) {
    // Resolved before its firing arrived: remember it, so that firing (same start) opens nothing.
    book.marks[a.id] = [0, 0, a.startsAtMs ?? 0, endsAt];
    book.counts.resolvedFirst += 1;
    return false;
  }
  const [n, firing, markStart] = mark;
  if (a.startsAtMs !== null && a.startsAtMs < markStart) return false; // an earlier episode's late resolution
  mark[3] = Math.max(mark[3], endsAt);
  if (firing === 0) return false;
  mark[1] = 0;
  const inc = openIncident(book, n);
  if (!inc) return false;
  inc.firing = Math.max(0, inc.firing - 1);
  const c = changeFor(changes, inc.n);
  c.resolved += 1;
  touch(c, d, [a]);
  return true;
}

function findIncident(
  book: Book,
  d: CorrelationDelivery,
  routed: RoutedDelivery,
  rule: CorrelationRule,
  nowMs: number,
): BookIncident | undefined {
  const keys = new Set(d.keys);
  return book.incidents.find((inc) => {
    if (inc.closedAtMs !== null || !withinWindow(rule, inc, nowMs)) return false;
    if (!scenarioMayJoin(rule, routed.scenario, inc.scenario)) return false;
    const incKeys = rule.by === 'labels' ? inc.labelKeys : componentKeys(rule, inc.components);
    if (incKeys.some((k) => keys.has(k))) return true;
    return inc.origin === 'declared' && inc.components.some((c) => routed.components.includes(c));
  });
}

/** Components the alerts add and a more severe severity widen the incident; nothing is ever narrowed or lowered. */
function widen(inc: BookIncident, routed: RoutedDelivery, rule: CorrelationRule, change: IncidentChange) {
  const added = routed.components.filter((c) => !inc.components.includes(c));
  const rank = (s: string) => {
    const i = rule.severities.indexOf(s);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  const raised = rank(routed.severity) < rank(inc.severity);
  if (added.length === 0 && !raised) return;
  inc.components.push(...added);
  if (raised) inc.severity = routed.severity;
  change.widen = {
    components: [...new Set([...(change.widen?.components ?? []), ...routed.components])],
    severity: raised ? routed.severity : (change.widen?.severity ?? inc.severity),
  };
}

/** An operator-declared incident (or what an incident says of itself): alerts on its components join it from now on. */
export function applyClaim(book: Book, claim: CorrelationClaim, nowMs: number): BookIncident {
  const known = incidentById(book, claim.incidentId);
  if (known) {
    // What the incident says it is now (an operator may also have lowered its severity).
    for (const c of claim.components) if (!known.components.includes(c)) known.components.push(c);
    known.severity = claim.severity;
    return known;
  }
  const inc: BookIncident = {
    n: book.nextN++,
    id: claim.incidentId,
    origin: 'declared',
    scenario: claim.scenario,
    severity: claim.severity,
    components: [...new Set(claim.components)],
    labelKeys: [],
    openedAtMs: nowMs,
    lastAlertAtMs: nowMs,
    alerts: 0,
    firing: 0,
    closedAtMs: null,
    told: 'none',
    sampled: 0,
  };
  book.incidents.push(inc);
  return inc;
}

/** The incident was resolved (or is gone): alerts no longer join it; its alerts' episodes stay remembered. */
export function closeIncident(book: Book, id: string, nowMs: number): BookIncident | undefined {
  const inc = incidentById(book, id);
  if (!inc || inc.closedAtMs !== null) return undefined;
  inc.closedAtMs = nowMs;
  for (const [identity, n] of Object.entries(book.identities)) if (n === inc.n) delete book.identities[identity];
  return inc;
}

/**
 * An incident that could not take what was sent to it (closed meanwhile, or never started): close it
 * and forget its marks from these deliveries, so applying them again decides afresh.
 */
export function bounce(book: Book, id: string, deliveries: Iterable<CorrelationDelivery>, nowMs: number): void {
  const inc = incidentById(book, id);
  if (!inc) return;
  closeIncident(book, id, nowMs);
  // They will be applied again: count each delivery once.
  const again = [...deliveries];
  book.counts.deliveries -= again.length;
  book.counts.bounced += again.length;
  for (const d of again)
    for (const a of d.alerts) {
      const mark = Object.hasOwn(book.marks, a.id) ? book.marks[a.id] : undefined;
      if (mark && mark[0] === inc.n) delete book.marks[a.id];
    }
}

/** The monitoring state an incident should hear: firing while any of its alerts fires, resolved when all have. */
export function monitoringStateOf(inc: BookIncident): 'none' | 'firing' | 'resolved' {
  if (inc.alerts === 0) return 'none';
  return inc.firing > 0 ? 'firing' : 'resolved';
}

/** Keeps the book bounded: closed incidents and finished alerts are forgotten after MARK_TTL_MS, and marks are capped. */
export function pruneBook(book: Book, nowMs: number, ttlMs = MARK_TTL_MS, maxMarks = MAX_MARKS): void {
  const horizon = nowMs - ttlMs;
  const live = new Set(book.incidents.filter((i) => i.closedAtMs === null).map((i) => i.n));
  const entries = Object.entries(book.marks);
  const keep = entries.filter(([, m]) => live.has(m[0]) || Math.max(m[2], m[3]) >= horizon);
  if (keep.length > maxMarks) {
    // Over the cap: forget the oldest marks outside open incidents first, then the oldest of all.
    const age = ([, m]: [string, AlertMark]) => (live.has(m[0]) ? 1 : 0) * 1e15 + Math.max(m[2], m[3]);
    keep.sort((a, b) => age(b) - age(a));
    keep.length = maxMarks;
  }
  if (keep.length !== entries.length) book.marks = Object.fromEntries(keep);
  const referenced = new Set(Object.values(book.marks).map((m) => m[0]));
  book.incidents = book.incidents.filter((i) => i.closedAtMs === null || i.closedAtMs >= horizon || referenced.has(i.n));
}
