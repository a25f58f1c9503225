import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AlertInfo } from '../../../workflows/incident';
import { alertInfo, type AlertDelivery } from './deliver';

// Prometheus Alertmanager's webhook payload (version "4") and Grafana's, which copies its shape.
// Senders add fields over time, so unknown fields are ignored here (never refused); what Herald
// reads is bounded in size.

const Labels = z.record(z.string().max(200), z.string().max(2000));
const Alert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: Labels,
  annotations: Labels.default({}),
  startsAt: z.string().max(64).optional(),
  endsAt: z.string().max(64).optional(),
  generatorURL: z.string().max(2000).optional(),
  fingerprint: z.string().max(100).optional(),
});

export const AlertmanagerPayload = z.object({
  version: z.literal('4'),
  groupKey: z.string().min(1).max(4000),
  truncatedAlerts: z.number().int().min(0).optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().max(500),
  groupLabels: Labels.default({}),
  commonLabels: Labels.default({}),
  commonAnnotations: Labels.default({}),
  externalURL: z.string().max(2000).optional(),
  alerts: z.array(Alert).min(1).max(1000),
});
export type AlertmanagerPayload = z.infer<typeof AlertmanagerPayload>;

export const GrafanaPayload = AlertmanagerPayload.extend({
  version: z.string().max(10),
  orgId: z.number().int().optional(),
  state: z.string().max(20).optional(),
  title: z.string().max(2000).optional(),
  message: z.string().max(10_000).optional(),
});
export type GrafanaPayload = z.infer<typeof GrafanaPayload>;

/** One group notification → one delivery to the group's incident: the alerts that share the group's status. */
export function alertGroupDelivery(source: 'alertmanager' | 'grafana', key: string, p: Omit<AlertmanagerPayload, 'version'>, rawBody: Buffer): AlertDelivery {
  const matching = p.alerts.filter((a) => a.status === p.status);
  const alerts: AlertInfo[] = (matching.length > 0 ? matching : p.alerts).map((a) =>
    alertInfo(source, { ...p.commonLabels, ...a.labels }, {
      summary: a.annotations.summary ?? a.annotations.description ?? p.commonAnnotations.summary,
      fingerprint: a.fingerprint ?? createHash('sha256').update(JSON.stringify(Object.entries(a.labels).sort())).digest('hex').slice(0, 16),
      startsAt: a.startsAt,
    }),
  );
  const links = [...new Set(p.alerts.map((a) => a.generatorURL).filter(Boolean))].slice(0, 5);
  return {
    source,
    key,
    deliveryId: createHash('sha256').update(rawBody).digest('hex'),
    state: p.status,
    alerts,
    technicalDetail: [`${source} receiver ${p.receiver}, group ${key}`, ...links, p.externalURL].filter(Boolean).join('\n'),
  };
}
