import { alertImpactWords } from '../core/alertWords';
import type { HeraldConfig } from '../core/config';
import type { AlertSample, RoutedDelivery } from '../core/correlationBook';
import type { Plan } from '../core/plan/schema';
import { incidentPolicy } from '../core/policy';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import {
  monitoringSignal,
  takeAlerts,
  type AlertsInput,
  type IncidentInput,
  type MonitoringInput,
} from '../workflows/contracts/incident';

// What the alert router needs from the plan when alerts open an incident: its customer-facing words
// and its policy. A local activity, so opening costs no extra task: the router stays deterministic and
// keeps the plan out of every delivery it receives.

export interface AlertIncidentRequest {
  routed: RoutedDelivery;
  alert: AlertSample;
  source: string;
  technicalDetail?: string;
}

export function createCorrelationActivities(deps: { plan: Plan; config: Pick<HeraldConfig, 'publicUrl'>; client: Client }) {
  return {
    async correlatedIncidentInput(r: AlertIncidentRequest): Promise<IncidentInput> {
      return alertIncidentInput(deps.plan, r, deps.config.publicUrl);
    },

    /**
     * The router's news to one incident, as the takeAlerts Update: 'closed' when the incident refused
     * it (resolved) or is gone, so the router decides those alerts again. An incident started before
     * takeAlerts existed gets the monitoring signal it understands.
     */
    async tellIncident(r: { incidentId: string; alerts: AlertsInput; fallback: MonitoringInput }): Promise<'taken' | 'closed'> {
      const handle = deps.client.workflow.getHandle(r.incidentId);
      try {
        await handle.executeUpdate(takeAlerts, { args: [r.alerts] });
        return 'taken';
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return 'closed';
        const message = `${(err as Error).message} ${((err as Error).cause as Error | undefined)?.message ?? ''}`;
        if (err instanceof WorkflowUpdateFailedError) {
          if (!/No registered handler for update/.test(message)) return 'closed';
          await handle.signal(monitoringSignal, r.fallback);
          return 'taken';
        }
        if (/already completed|execution.*(completed|closed)/i.test(message)) return 'closed';
        throw err;
      }
    },
  };
}

/**
 * The incident alerts open. Title and impact are the plan's own words for the components (customers
 * read them); what the alert says goes to the internal technical detail only.
 */
export function alertIncidentInput(plan: Plan, r: AlertIncidentRequest, publicUrl: string): IncidentInput {
  const locale = plan.page.defaultLocale;
  const pick = (t: Record<string, string> | undefined, fallback: string) =>
    (t && Object.hasOwn(t, locale) ? t[locale] : undefined) ?? t?.en ?? Object.values(t ?? {})[0] ?? fallback;
  const known = r.routed.components.filter((id) => plan.components.some((c) => c.id === id));
  if (known.length === 0 || plan.scenarios[r.routed.scenario]?.kind !== 'incident')
    throw new Error(`the plan has no incident scenario "${r.routed.scenario}" or none of ${r.routed.components.join(', ')}`);
  const components = known.map((id) => plan.components.find((c) => c.id === id)!);
  const scenario = plan.scenarios[r.routed.scenario]!;
  const names = new Intl.ListFormat(locale, { type: 'conjunction' }).format(components.map((c) => pick(c.name, c.id)));
  const title = `${pick(scenario.name, r.routed.scenario)}: ${names}`.slice(0, 200);
  const detail = [`Opened by ${r.source} alert ${r.alert.name}`, r.alert.summary, r.technicalDetail]
    .filter(Boolean)
    .join('\n')
    .slice(0, 4000);
  return {
    title,
    scenario: r.routed.scenario,
    severity: r.routed.severity,
    components: known,
    // Every page locale gets its own sentence (core/alertWords.ts).
    impact: alertImpactWords(plan, known),
    technicalDetail: detail,
    drill: false,
    declaredBy: `monitoring:${r.source}`,
    alert: r.alert,
    policy: incidentPolicy(plan, r.routed.scenario, { statusUrl: publicUrl }),
  };
}
