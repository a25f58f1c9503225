import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, accessSync, constants as fsConstants } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Store } from '../core/store';
import type { HeraldConfig } from '../core/config';
import {
  renderDrillHtml,
  renderDrillMarkdown,
  type AudienceUse,
  type DrillReport,
  type Injection,
  type RecipientNotices,
} from '../core/drill';
import { guardExternalMessage, guardRulesForPlan, describeFindings } from '../core/guard';
import { sampleContext } from '../core/messageSamples';
import { DEFAULT_TEMPLATES_DIR } from '../core/plan/load';
import type { Channel, IncidentPhase, MaintenancePhase, Plan } from '../core/plan/schema';
import { createTemplateRenderer } from '../core/render';
import type { DrillAction } from '../workflows/contracts/drill';
import {
  approve,
  changeImpact,
  incidentStateQuery,
  postUpdate,
  resolveIncident,
  type IncidentState,
} from '../workflows/contracts/incident';
import {
  cancelMaintenance,
  completeMaintenance,
  maintenanceStateQuery,
  postMaintenanceUpdate,
  rescheduleMaintenance,
  type MaintenanceState,
} from '../workflows/contracts/maintenance';

// The drill's side effects: operator actions through the same Temporal Updates operators use,
// the template and guard checks over every locale and channel involved, provider region probes,
// and the report files.

export interface DrillDeps {
  config: HeraldConfig;
  plan: Plan;
  client: Client;
  /** The delivery ledger, for notices per recipient. */
  store: Pick<Store, 'deliveriesOf'>;
}

export type { AudienceUse } from '../core/drill';

export interface CheckResult {
  passed: boolean;
  detail: string;
}

const BY = 'drill';

export function createDrillActivities({ config, plan, client, store }: DrillDeps) {
  return {
    /** From the delivery ledger: per recipient, the rounds that reached them and the initial ones per audience it stood in for. */
    async drillNoticesPerRecipient(input: {
      rounds: { roundId: string; phase: string; standsFor: string }[];
      initialPhase: string;
    }): Promise<Record<string, RecipientNotices>> {
      const out: Record<string, RecipientNotices> = {};
      for (const round of input.rounds) {
        const reached = new Set(
          (await store.deliveriesOf(round.roundId)).filter((d) => d.state === 'sent').map((d) => d.recipientId),
        );
        for (const id of reached) {
          const n = (out[id] ??= { notices: 0, initial: {} });
          n.notices += 1;
          if (round.phase === input.initialPhase) n.initial[round.standsFor] = (n.initial[round.standsFor] ?? 0) + 1;
        }
      }
      return out;
    },

    /** One operator action on the drill's target workflow; returns what happened, or why it was refused. */
    async drillAct(input: { workflowId: string; action: DrillAction }): Promise<{ ok: boolean; detail: string }> {
      const h = client.workflow.getHandle(input.workflowId);
      const a = input.action;
      try {
        switch (a.kind) {
          case 'update':
            await h.executeUpdate(postUpdate, { args: [{ status: a.status, message: a.message, eta: a.eta, by: BY }] });
            break;
          case 'resolve':
            await h.executeUpdate(resolveIncident, { args: [{ message: a.message, by: BY }] });
            break;
          case 'approve':
            await h.executeUpdate(approve, { args: [{ by: 'drill-approver' }] });
            break;
          case 'impact':
            await h.executeUpdate(changeImpact, { args: [{ components: a.components, severity: a.severity, by: BY }] });
            break;
          case 'reschedule':
            await h.executeUpdate(rescheduleMaintenance, {
              args: [{ scheduledFor: a.scheduledFor, scheduledUntil: a.scheduledUntil, by: BY }],
            });
            break;
          case 'maintenance-update':
            await h.executeUpdate(postMaintenanceUpdate, { args: [{ message: a.message, by: BY }] });
            break;
          case 'complete':
            await h.executeUpdate(completeMaintenance, { args: [{ by: BY }] });
            break;
          case 'cancel':
            await h.executeUpdate(cancelMaintenance, { args: [{ by: BY }] });
            break;
        }
        return { ok: true, detail: a.kind };
      } catch (err) {
        const cause = (err as Error & { cause?: Error }).cause;
        return { ok: false, detail: `${a.kind} refused: ${cause?.message ?? (err as Error).message}` };
      }
    },

    /** Renders every template of the scenario for every locale, audience kind and channel involved, and guards the external ones. */
    async drillCheckTemplates(input: {
      scenario: string;
      audiences: AudienceUse[];
      inject: Injection[];
    }): Promise<{ templates: CheckResult; guard: CheckResult; renderedByLocale: Record<string, number> }> {
      let dir = config.templatesDir ?? DEFAULT_TEMPLATES_DIR;
      let scratch: string | undefined;
      const scenario = plan.scenarios[input.scenario]!;
      const phases = Object.keys(scenario.templates) as (IncidentPhase | MaintenancePhase)[];
      if (input.inject.includes('template-missing')) {
        // A copy of the templates with one locale's file gone, as if a translator forgot it.
        scratch = mkdtempSync(join(tmpdir(), 'herald-drill-templates-'));
        cpSync(dir, scratch, { recursive: true });
        const victim = input.audiences.find((a) => a.locales.length > 1) ?? input.audiences[0]!;
        const locale = victim.locales[victim.locales.length - 1]!;
        const templateId = (scenario.templates as Record<string, string>)[phases[0]!]!;
        rmSync(join(scratch, 'messages', locale, victim.kind, `${templateId}.text.njk`), { force: true });
        dir = scratch;
      }
      try {
        const renderer = createTemplateRenderer(dir);
        const rules = guardRulesForPlan(plan);
        const failures: string[] = [];
        const leaks: string[] = [];
        const renderedByLocale: Record<string, number> = {};
        for (const audience of input.audiences) {
          for (const locale of audience.locales) {
            for (const channel of audience.channels) {
              for (const phase of phases) {
                const templateId = (scenario.templates as Record<string, string>)[phase]!;
                try {
                  const ctx = sampleContext(plan, { scenarioId: input.scenario, locale, kind: audience.kind, channel, phase });
                  const rendered = renderer.render(ctx, templateId);
                  renderedByLocale[locale] = (renderedByLocale[locale] ?? 0) + 1;
                  if (audience.kind === 'external') {
                    const found = guardExternalMessage(
                      { subject: rendered.subject, text: rendered.text, short: rendered.short },
                      rules,
                    );
                    if (found.length > 0) leaks.push(`${templateId} (${locale}, ${channel}): ${describeFindings(found)}`);
                  }
                } catch (err) {
                  failures.push(
                    `${templateId} for ${locale}/${audience.kind}/${channel}: ${(err as Error).message.split('\n')[0]}`,
                  );
                }
              }
            }
          }
        }
        const total = Object.values(renderedByLocale).reduce((a, b) => a + b, 0);
        const unique = [...new Set(failures)];
        return {
          templates:
            unique.length === 0
              ? {
                  passed: true,
                  detail: `${total} messages rendered (${Object.entries(renderedByLocale)
                    .map(([l, n]) => `${l}: ${n}`)
                    .join(', ')})`,
                }
              : { passed: false, detail: `${unique.length} template(s) failed to render: ${unique.slice(0, 3).join('; ')}` },
          guard:
            leaks.length === 0
              ? { passed: true, detail: 'no external message carries internal detail' }
              : { passed: false, detail: leaks.slice(0, 3).join('; ') },
          renderedByLocale,
        };
      } finally {
        if (scratch) rmSync(scratch, { recursive: true, force: true });
      }
    },

    /** Is each region of each provider the scenario uses reachable? (A TCP connect to AWS regions; the outbox must be writable.) */
    async drillProbeProviders(input: { channels: Channel[]; inject: Injection[] }): Promise<CheckResult> {
      const d = config.delivery;
      const regionsFor = (channel: Channel): { provider: string; regions: { name: string; target: string }[] } => {
        const p = d.providers[channel];
        const aws = (service: string, regions: { name: string; endpoint?: string }[]) =>
          regions.map((r) => ({ name: r.name, target: r.endpoint ?? `https://${service}.${r.name}.amazonaws.com` }));
        if (p === 'ses') return { provider: 'ses', regions: aws('email', d.ses.regions) };
        if (p === 'pinpoint') return { provider: 'pinpoint', regions: aws('pinpoint', d.pinpoint.regions) };
        if (p === 'sms-v2') return { provider: 'sms-v2', regions: aws('sms-voice', d.smsV2.regions) };
        if (p === 'smtp') return { provider: 'smtp', regions: d.smtp.urls.map((u, i) => ({ name: `smtp-${i + 1}`, target: u })) };
        if (p === 'http') return { provider: `${channel} (http)`, regions: [] }; // recipients' own endpoints: checked by delivery, not probed
        return { provider: 'outbox', regions: [{ name: 'local', target: `file://${d.outboxDir}` }] };
      };
      const seen = new Set<string>();
      const down: string[] = [];
      const up: string[] = [];
      for (const channel of input.channels) {
        const { provider, regions } = regionsFor(channel);
        if (seen.has(provider)) continue;
        seen.add(provider);
        for (const [i, region] of regions.entries()) {
          const label = `${provider}/${region.name}`;
          const injected = input.inject.includes('both-regions-down') || (input.inject.includes('region-down') && i === 0);
          if (injected) {
            down.push(`${label} (injected)`);
            continue;
          }
          (await reachable(region.target)) ? up.push(label) : down.push(`${label} (${region.target} unreachable)`);
        }
      }
      return down.length === 0
        ? { passed: true, detail: `reachable: ${up.join(', ') || 'no regional providers in use'}` }
        : { passed: false, detail: `down: ${down.join(', ')}${up.length ? `; reachable: ${up.join(', ')}` : ''}` };
    },

    /** The drill target's state, when it did not finish in time. */
    async drillTargetState(input: {
      workflowId: string;
      kind: 'incident' | 'maintenance';
    }): Promise<IncidentState | MaintenanceState> {
      const h = client.workflow.getHandle(input.workflowId);
      return input.kind === 'incident' ? h.query(incidentStateQuery) : h.query(maintenanceStateQuery);
    },

    /** Writes the report as JSON, Markdown and HTML under $HERALD_DATA_DIR/drills/. */
    async writeDrillReport(report: DrillReport): Promise<string[]> {
      const dir = join(config.dataDir, 'drills');
      mkdirSync(dir, { recursive: true });
      const base = join(dir, report.drillId);
      const files = [`${base}.json`, `${base}.md`, `${base}.html`];
      writeFileSync(files[0]!, JSON.stringify({ ...report, reportFiles: files }, null, 2) + '\n');
      writeFileSync(files[1]!, renderDrillMarkdown(report));
      writeFileSync(files[2]!, renderDrillHtml(report));
      return files;
    },
  };
}

async function reachable(target: string): Promise<boolean> {
  if (target.startsWith('file://')) {
    try {
      mkdirSync(target.slice('file://'.length), { recursive: true });
      accessSync(target.slice('file://'.length), fsConstants.W_OK);
      return true;
    } catch {
      return false;
    }
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return false;
  }
  const port = Number(
    url.port ||
      (url.protocol === 'https:' ? 443 : url.protocol.startsWith('smtps') ? 465 : url.protocol.startsWith('smtp') ? 587 : 80),
  );
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port, timeout: 3000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}
