import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { alarmLabels, CloudWatchAlarm } from '../../api/routes/webhooks/cloudwatch';
import { routeAlert, routeAlertGroup } from '../../core/routing';
import { examplePlan } from '../support/config';

// The plan's routing section decides what an alert means to customers. Example plan: component label
// "component", severity label "severity" mapped critical/page → sev1, major → sev2, warning/minor →
// sev3; RegionEvacuated → regional-failover sev2; HighLatency → degradation; default outage sev2.

describe('routeAlert maps alert labels through the plan', () => {
  const plan = examplePlan();

  test('component and severity labels decide, with the default scenario', () => {
    assert.deepEqual(routeAlert(plan, { alertname: 'PaymentsDown', component: 'payments', severity: 'critical' }), {
      scenario: 'outage',
      severity: 'sev1',
      components: ['payments'],
    });
    assert.deepEqual(routeAlert(plan, { alertname: 'X', component: 'api', severity: 'warning' }), {
      scenario: 'outage',
      severity: 'sev3',
      components: ['api'],
    });
  });

  test('a plan severity id is accepted as is; unknown severities fall back to the default', () => {
    assert.equal((routeAlert(plan, { component: 'api', severity: 'sev1' }) as { severity: string }).severity, 'sev1');
    assert.equal((routeAlert(plan, { component: 'api', severity: 'catastrophic' }) as { severity: string }).severity, 'sev2');
    assert.equal((routeAlert(plan, { component: 'api' }) as { severity: string }).severity, 'sev2');
  });

  test('the first matching rule sets the scenario and, when it says so, the severity', () => {
    assert.deepEqual(routeAlert(plan, { alertname: 'RegionEvacuated', component: 'website,api', severity: 'critical' }), {
      scenario: 'regional-failover',
      severity: 'sev2',
      components: ['website', 'api'],
    });
    assert.deepEqual(routeAlert(plan, { alertname: 'HighLatency', component: 'api', severity: 'major' }), {
      scenario: 'degradation',
      severity: 'sev2',
      components: ['api'],
    });
  });

  test('rules match exact label values only', () => {
    assert.equal((routeAlert(plan, { alertname: 'highlatency', component: 'api' }) as { scenario: string }).scenario, 'outage');
  });

  test('unknown or missing components are an error naming the label', () => {
    const missing = routeAlert(plan, { alertname: 'X' });
    assert.ok('error' in missing && /no "component" label/.test(missing.error));
    const unknown = routeAlert(plan, { component: 'billing-db' });
    assert.ok('error' in unknown && /unknown component "billing-db"/.test(unknown.error));
    const empty = routeAlert(plan, { component: ' , ' });
    assert.ok('error' in empty);
  });

  test('a rule may name the components itself', () => {
    const p = {
      ...plan,
      routing: {
        ...plan.routing,
        rules: [{ match: { team: 'checkout' }, components: ['payments', 'invoicing'] }, ...plan.routing.rules],
      },
    };
    assert.deepEqual(routeAlert(p, { team: 'checkout' }), {
      scenario: 'outage',
      severity: 'sev2',
      components: ['payments', 'invoicing'],
    });
  });

  test('a rule naming a maintenance scenario is refused', () => {
    const p = { ...plan, routing: { ...plan.routing, rules: [{ match: { kind: 'planned' }, scenario: 'maintenance' }] } };
    const r = routeAlert(p, { kind: 'planned', component: 'api' });
    assert.ok('error' in r && /not an incident scenario/.test(r.error));
  });

  test('a group takes the union of components, the most severe severity and the first routed scenario', () => {
    const r = routeAlertGroup(plan, [
      { alertname: 'A', component: 'payments', severity: 'warning' },
      { alertname: 'B', component: 'nope' },
      { alertname: 'C', component: 'invoicing,payments', severity: 'critical' },
    ]);
    assert.ok(!('error' in r));
    assert.deepEqual(r.components, ['payments', 'invoicing']);
    assert.equal(r.severity, 'sev1');
    assert.equal(r.scenario, 'outage');
    assert.equal(r.unrouted.length, 1);
    assert.ok('error' in routeAlertGroup(plan, [{ alertname: 'B' }]));
    assert.ok('error' in routeAlertGroup(plan, []));
  });

  test('CloudWatch alarms route by dimensions, the alarm name and key=value pairs in the description', () => {
    const alarm = CloudWatchAlarm.parse({
      AlarmName: 'HighLatency',
      AlarmDescription: 'p99 over 2 s. component=api severity=major',
      NewStateValue: 'ALARM',
      AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:HighLatency',
      Trigger: { MetricName: 'Latency', Namespace: 'AWS/ApiGateway', Dimensions: [{ name: 'ApiName', value: 'public' }] },
    });
    const labels = alarmLabels(alarm);
    assert.deepEqual(labels, {
      ApiName: 'public',
      namespace: 'AWS/ApiGateway',
      metric: 'Latency',
      region: 'eu-west-1',
      component: 'api',
      severity: 'major',
      alertname: 'HighLatency',
    });
    assert.deepEqual(routeAlert(plan, labels), { scenario: 'degradation', severity: 'sev2', components: ['api'] });
  });
});
