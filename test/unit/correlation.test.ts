import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseDocument } from 'yaml';
import {
  alertId,
  componentKeys,
  correlationRule,
  deliveryKeys,
  scenarioMayJoin,
  withinWindow,
  type CorrelationRule,
} from '../../core/correlation';
import {
  applyClaim,
  applyDelivery,
  bounce,
  closeIncident,
  mergeChange,
  monitoringStateOf,
  newBook,
  pruneBook,
  type Book,
  type Changes,
  type CorrelationDelivery,
} from '../../core/correlationBook';
import { parsePlan } from '../../core/plan/load';
import type { Plan } from '../../core/plan/schema';

// The plan's correlation section and the router's book, without Temporal: which deliveries open an
// incident, which join one, and what an out-of-order or flapping alert does.

const exampleText = readFileSync(join(__dirname, '..', '..', 'plans', 'example.yaml'), 'utf8');
function planWith(correlation: unknown): { plan?: Plan; problems: { path: string; message: string; line?: number }[] } {
  const doc = parseDocument(exampleText);
  if (correlation === undefined) doc.deleteIn(['correlation']);
  else doc.setIn(['correlation'], correlation);
  return parsePlan(doc.toString(), () => true);
}
const plan = planWith(undefined).plan!;
const rule = (over: Partial<CorrelationRule> = {}): CorrelationRule => ({ ...correlationRule(plan), ...over });

const T0 = Date.parse('2026-12-03T10:00:00Z');
let seq = 0;
function delivery(
  o: {
    component?: string | string[];
    scenario?: string;
    severity?: string;
    alerts?: { fp: string; state?: 'firing' | 'resolved'; startsAt?: number; endsAt?: number }[];
    identity?: string;
    labels?: Record<string, string>;
    r?: CorrelationRule;
  } = {},
): CorrelationDelivery {
  const components = [o.component ?? 'payments'].flat();
  const given = o.alerts ?? [{ fp: `fp-${++seq}` }];
  const alerts = given.map((a) => ({
    id: alertId('alertmanager', a.fp),
    state: a.state ?? ('firing' as const),
    startsAtMs: a.startsAt ?? T0,
    endsAtMs: a.endsAt ?? null,
  }));
  const firing = alerts.some((a) => a.state === 'firing');
  return {
    deliveryId: `d-${++seq}`,
    source: 'alertmanager',
    identity: o.identity ?? `group-${seq}`,
    receivedAtMs: T0,
    alerts,
    sample: given.slice(0, 5).map((a) => ({ source: 'alertmanager', name: 'Down', labels: o.labels ?? {}, fingerprint: a.fp })),
    routed: firing ? { scenario: o.scenario ?? 'outage', severity: o.severity ?? 'sev2', components } : null,
    keys: deliveryKeys(o.r ?? rule(), components, [o.labels ?? {}]),
  };
}
const idFor = (n: number) => `incident-alertmanager-${String(n).padStart(16, '0')}`;
function apply(book: Book, d: CorrelationDelivery, r = rule(), now = T0, changes: Changes = new Map()) {
  return applyDelivery(book, d, r, now, changes, idFor);
}
const open = (book: Book) => book.incidents.filter((i) => i.closedAtMs === null);

describe('the plan’s correlation section', () => {
  test('is optional: the default joins by component within an extending two-hour window, any scenario into any', () => {
    assert.deepEqual(plan.correlation, { by: 'component', labels: [], window: '2h', windowMode: 'extending', joins: {} });
    const r = correlationRule(plan);
    assert.equal(r.windowMs, 7_200_000);
    assert.equal(r.extending, true);
    assert.deepEqual(r.severities, ['sev1', 'sev2', 'sev3']);
    assert.equal(r.groups.payments, 'commerce');
  });

  test('herald plan check refuses what cannot work, naming the line', () => {
    const cases: [unknown, string, RegExp][] = [
      [{ by: 'labels' }, 'correlation.labels', /at least one label/],
      [{ by: 'component', labels: ['cluster'] }, 'correlation.labels', /only with by: labels/],
      [{ joins: { degradation: ['maintenance'] } }, 'correlation.joins.degradation.0', /is a maintenance/],
      [{ joins: { nope: ['outage'] } }, 'correlation.joins.nope', /unknown scenario "nope"/],
      [{ window: 'soon' }, 'correlation.window', /must be a duration/],
      [{ window: '0s' }, 'correlation.window', /joins nothing/],
      [{ by: 'severity' }, 'correlation.by', /expected one of|Invalid option/i],
      [{ groupBy: 'component' }, 'correlation', /unrecognized|groupBy/i],
    ];
    for (const [section, path, pattern] of cases) {
      const { plan: p, problems } = planWith(section);
      assert.equal(p, undefined, `refused: ${JSON.stringify(section)}`);
      const hit = problems.find((x) => x.path === path && pattern.test(x.message));
      assert.ok(hit, `${JSON.stringify(section)}: expected ${path} ~ ${pattern}, got ${JSON.stringify(problems)}`);
      assert.ok((hit.line ?? 0) > 0, 'the problem names its line');
    }
    const ok = planWith({
      by: 'labels',
      labels: ['cluster'],
      window: '30m',
      windowMode: 'fixed',
      joins: { degradation: ['outage'] },
    });
    assert.deepEqual(ok.problems, []);
  });

  test('keys: components, their groups, or label values', () => {
    assert.deepEqual(componentKeys(rule(), ['payments', 'invoicing', 'api']), ['c:payments', 'c:invoicing', 'c:api']);
    assert.deepEqual(componentKeys(rule({ by: 'group' }), ['payments', 'invoicing', 'api']), ['g:commerce', 'c:api']);
    const byLabels = rule({ by: 'labels', labels: ['cluster'] });
    const [a] = deliveryKeys(byLabels, ['api'], [{ cluster: 'eu-1', instance: 'x' }]);
    const [b] = deliveryKeys(byLabels, ['payments'], [{ cluster: 'eu-1', instance: 'y' }]);
    const [c] = deliveryKeys(byLabels, ['api'], [{ cluster: 'us-1' }]);
    assert.equal(a, b);
    assert.notEqual(a, c);
    assert.notEqual(
      deliveryKeys(byLabels, ['api'], [{}])[0],
      deliveryKeys(byLabels, ['api'], [{ cluster: '' }, { constructor: 'x' }])[1],
    );
  });

  test('scenarios: unlisted ones join anything; listed ones only what they name (and their own)', () => {
    const r = rule({ joins: { outage: ['regional-failover'] } });
    assert.ok(scenarioMayJoin(r, 'degradation', 'outage'));
    assert.ok(scenarioMayJoin(r, 'outage', 'outage'));
    assert.ok(scenarioMayJoin(r, 'outage', 'regional-failover'));
    assert.ok(!scenarioMayJoin(r, 'outage', 'degradation'));
    assert.ok(scenarioMayJoin(r, 'constructor', 'outage'), 'no prototype lookups');
  });

  test('window: extending runs from the last alert, fixed from the opening', () => {
    const inc = { openedAtMs: T0, lastAlertAtMs: T0 + 90 * 60_000 };
    const later = T0 + 150 * 60_000;
    assert.ok(withinWindow(rule(), inc, later));
    assert.ok(!withinWindow(rule({ extending: false }), inc, later));
  });
});

describe('the router’s book', () => {
  test('300 deliveries for one component open one incident; the other 299 join it', () => {
    const book = newBook(T0);
    const changes: Changes = new Map();
    const outcomes = Array.from({ length: 300 }, () => apply(book, delivery(), rule(), T0, changes).outcome);
    assert.equal(outcomes.filter((o) => o === 'opened').length, 1);
    assert.equal(outcomes.filter((o) => o === 'joined').length, 299);
    assert.equal(book.incidents.length, 1);
    assert.equal(book.incidents[0]!.alerts, 300);
    const change = changes.get(1)!;
    assert.ok(change.opener);
    assert.equal(change.newAlerts, 300);
    assert.equal(change.sample.length, 20, 'the sample for people is bounded');
  });

  test('two components are two incidents, or one when the plan groups them', () => {
    const byComponent = newBook(T0);
    for (let i = 0; i < 10; i++) apply(byComponent, delivery({ component: i % 2 ? 'payments' : 'invoicing' }));
    assert.deepEqual(byComponent.incidents.map((i) => i.components).sort(), [['invoicing'], ['payments']]);

    const r = rule({ by: 'group' });
    const byGroup = newBook(T0);
    for (let i = 0; i < 10; i++) apply(byGroup, delivery({ component: i % 2 ? 'payments' : 'invoicing', r }), r);
    assert.equal(byGroup.incidents.length, 1);
    assert.deepEqual(
      byGroup.incidents[0]!.components.sort(),
      ['invoicing', 'payments'],
      'widened to the group’s other component',
    );
    apply(byGroup, delivery({ component: 'api', r }), r);
    assert.equal(byGroup.incidents.length, 2, 'api is in no group: its own incident');
  });

  test('by labels: equal label values belong together across components', () => {
    const r = rule({ by: 'labels', labels: ['cluster'] });
    const book = newBook(T0);
    apply(book, delivery({ component: 'api', labels: { cluster: 'eu-1' }, r }), r);
    apply(book, delivery({ component: 'payments', labels: { cluster: 'eu-1' }, r }), r);
    apply(book, delivery({ component: 'api', labels: { cluster: 'us-1' }, r }), r);
    assert.equal(book.incidents.length, 2);
    assert.deepEqual(book.incidents[0]!.components, ['api', 'payments']);
  });

  test('an operator-declared incident absorbs matching alerts (any mode), and a degradation joins an outage', () => {
    for (const r of [rule(), rule({ by: 'labels', labels: ['cluster'] })]) {
      const book = newBook(T0);
      applyClaim(
        book,
        { incidentId: 'incident-card-payments-1a2b', scenario: 'outage', severity: 'sev1', components: ['payments'] },
        T0,
      );
      const changes: Changes = new Map();
      for (let i = 0; i < 50; i++)
        apply(
          book,
          delivery({ scenario: 'degradation', severity: 'sev3', labels: { cluster: 'eu-1' }, r }),
          r,
          T0 + 1000,
          changes,
        );
      apply(book, delivery({ component: 'api', labels: { cluster: 'us-1' }, r }), r, T0 + 1000, changes);
      assert.deepEqual(
        book.incidents.map((i) => [i.id, i.origin, i.alerts]),
        [
          ['incident-card-payments-1a2b', 'declared', 50],
          [idFor(2), 'alert', 1],
        ],
      );
      assert.equal(book.incidents[0]!.severity, 'sev1', 'a less severe alert does not lower it');
      assert.equal(changes.get(1)!.opener, undefined, 'nothing is opened for the declared incident');
      assert.equal(changes.get(1)!.widen, undefined, 'nothing to widen');
    }
  });

  test('joins restricts scenarios: an outage alert does not join an open degradation when the plan says so', () => {
    const r = rule({ joins: { outage: ['outage'] } });
    const book = newBook(T0);
    apply(book, delivery({ scenario: 'degradation' }), r);
    apply(book, delivery({ scenario: 'outage' }), r);
    assert.deepEqual(
      book.incidents.map((i) => i.scenario),
      ['degradation', 'outage'],
    );
  });

  test('a more severe alert or a new component widens the incident it joins, and only then', () => {
    const book = newBook(T0);
    apply(book, delivery({ identity: 'g' }));
    const changes: Changes = new Map();
    apply(book, delivery({ identity: 'g', component: ['payments', 'invoicing'], severity: 'sev1' }), rule(), T0, changes);
    assert.deepEqual(changes.get(1)!.widen, { components: ['payments', 'invoicing'], severity: 'sev1' });
    assert.deepEqual(book.incidents[0]!.components, ['payments', 'invoicing']);
    const again: Changes = new Map();
    apply(book, delivery({ identity: 'g', severity: 'sev3' }), rule(), T0, again);
    assert.equal(again.get(1)!.widen, undefined);
  });

  test('what an incident is told is news: the details of new alerts come first, repeats add nothing, changes fold together', () => {
    const book = newBook(T0);
    apply(book, delivery({ identity: 'g', alerts: [{ fp: 'a' }] }));
    const changes: Changes = new Map();
    apply(book, delivery({ identity: 'g', alerts: [{ fp: 'a' }, { fp: 'b' }] }), rule(), T0, changes);
    assert.deepEqual(
      changes.get(1)!.sample.map((x) => x.fingerprint),
      ['b'],
    );
    const later: Changes = new Map();
    apply(book, delivery({ identity: 'g', alerts: [{ fp: 'c' }] }), rule(), T0, later);
    mergeChange(changes.get(1)!, later.get(1)!);
    assert.deepEqual([changes.get(1)!.newAlerts, changes.get(1)!.sample.map((x) => x.fingerprint)], [2, ['b', 'c']]);
    const repeat: Changes = new Map();
    assert.equal(apply(book, delivery({ identity: 'g', alerts: [{ fp: 'a' }] }), rule(), T0, repeat).outcome, 'repeat');
    assert.equal(repeat.size, 0, 'a repeat changes nothing');
  });

  test('past the window a new alert opens a new incident; an alert of the same group still joins its own', () => {
    const book = newBook(T0);
    apply(book, delivery({ identity: 'g1' }));
    const late = T0 + 3 * 3_600_000;
    assert.equal(apply(book, delivery({ identity: 'g2' }), rule(), late).outcome, 'opened');
    assert.equal(apply(book, delivery({ identity: 'g1' }), rule(), late).incident, idFor(1));
  });

  test('flapping: a resolved alert that fires again stays in its incident; all resolved is monitoring', () => {
    const book = newBook(T0);
    const fp = 'flappy';
    apply(book, delivery({ identity: 'g', alerts: [{ fp }, { fp: 'steady' }] }));
    const inc = book.incidents[0]!;
    apply(book, delivery({ identity: 'g', alerts: [{ fp, state: 'resolved', endsAt: T0 + 60_000 }] }));
    assert.equal(monitoringStateOf(inc), 'firing', 'one of two alerts still fires');
    const changes: Changes = new Map();
    const r = apply(book, delivery({ identity: 'g', alerts: [{ fp, startsAt: T0 + 120_000 }] }), rule(), T0 + 120_000, changes);
    assert.deepEqual(r, { incident: inc.id, outcome: 'joined' });
    assert.equal(changes.get(1)!.refired, 1);
    assert.equal(book.incidents.length, 1);
    apply(book, delivery({ identity: 'g', alerts: [{ fp, state: 'resolved', startsAt: T0 + 120_000, endsAt: T0 + 180_000 }] }));
    assert.equal(monitoringStateOf(inc), 'firing');
    apply(book, delivery({ identity: 'g', alerts: [{ fp: 'steady', state: 'resolved', endsAt: T0 + 200_000 }] }));
    assert.equal(monitoringStateOf(inc), 'resolved', 'every alert of the incident has resolved');
  });

  test('out of order: a resolution first, then its firing opens nothing; a later episode opens one', () => {
    const book = newBook(T0);
    const fp = 'late';
    assert.equal(
      apply(book, delivery({ alerts: [{ fp, state: 'resolved', startsAt: T0, endsAt: T0 + 5000 }] })).outcome,
      'nothing',
    );
    assert.equal(apply(book, delivery({ alerts: [{ fp, startsAt: T0 }] })).outcome, 'stale');
    assert.equal(apply(book, delivery({ alerts: [{ fp, startsAt: T0 + 5000 }] })).outcome, 'stale', 'not after the resolution');
    assert.equal(book.incidents.length, 0);
    assert.equal(apply(book, delivery({ alerts: [{ fp, startsAt: T0 + 60_000 }] })).outcome, 'opened');
    assert.equal(book.counts.resolvedFirst, 1);
  });

  test('a late resolution of an earlier episode does not resolve the current one', () => {
    const book = newBook(T0);
    apply(book, delivery({ alerts: [{ fp: 'x', startsAt: T0 + 60_000 }] }));
    apply(book, delivery({ alerts: [{ fp: 'x', state: 'resolved', startsAt: T0, endsAt: T0 + 30_000 }] }));
    assert.equal(monitoringStateOf(book.incidents[0]!), 'firing');
  });

  test('after its incident closes, a repeat of a still-firing alert opens nothing; a new alert opens a new incident', () => {
    const book = newBook(T0);
    apply(book, delivery({ identity: 'g', alerts: [{ fp: 'a' }] }));
    closeIncident(book, idFor(1), T0 + 1000);
    assert.equal(apply(book, delivery({ identity: 'g', alerts: [{ fp: 'a' }] })).outcome, 'stale');
    assert.equal(apply(book, delivery({ identity: 'g', alerts: [{ fp: 'b' }] })).outcome, 'opened');
    assert.deepEqual(
      open(book).map((i) => i.id),
      [idFor(2)],
    );
  });

  test('a bounced incident is closed and the deliveries it could not take decide again', () => {
    const book = newBook(T0);
    const d = delivery();
    apply(book, d);
    bounce(book, idFor(1), [d], T0);
    assert.equal(apply(book, d).outcome, 'opened');
    assert.deepEqual(
      open(book).map((i) => i.id),
      [idFor(2)],
    );
  });

  test('pruning forgets closed incidents and old marks, keeps open ones, and caps the marks', () => {
    const book = newBook(T0);
    for (let i = 0; i < 30; i++) apply(book, delivery({ component: i < 10 ? 'api' : 'payments' }));
    closeIncident(book, idFor(1), T0);
    pruneBook(book, T0 + 25 * 3_600_000);
    assert.deepEqual(
      book.incidents.map((i) => i.components[0]),
      ['payments'],
    );
    assert.equal(Object.keys(book.marks).length, 20);
    pruneBook(book, T0 + 25 * 3_600_000, 1000, 5);
    assert.equal(Object.keys(book.marks).length, 5);
  });

  test('any order of the same firing deliveries for one component opens exactly one incident, and the same order decides the same', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ fp: fc.integer({ min: 0, max: 40 }), group: fc.integer({ min: 0, max: 5 }), at: fc.nat(600_000) }), {
          minLength: 1,
          maxLength: 60,
        }),
        (items) => {
          const run = () => {
            const book = newBook(T0);
            for (const x of items)
              apply(
                book,
                delivery({ identity: `g${x.group}`, alerts: [{ fp: `f${x.fp}`, startsAt: T0 + x.at }] }),
                rule(),
                T0 + x.at,
              );
            return book;
          };
          const a = run();
          assert.equal(a.incidents.length, 1);
          assert.deepEqual(run().marks, a.marks);
        },
      ),
    );
  });
});
