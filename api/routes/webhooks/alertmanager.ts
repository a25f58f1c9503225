import { createHash } from 'node:crypto';
import { z } from 'zod';
import { alertInfo, type AlertDelivery } from './deliver';

// Prometheus Alertmanager's webhook payload (version "4") and Grafana's, which copies its shape.
// Senders add fields over time, so unknown fields are ignored here (never refused). Sizes are not
// refused either — a long runbook annotation or a big group must still open its incident (Alertmanager
// would not retry a 4xx); the 256 kB body limit bounds them, and alertInfo() truncates what is kept.

const Labels = z.record(z.string(), z.string());
const Alert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: Labels,
  annotations: Labels.default({}),
  startsAt: z.string().optional(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
});

export const AlertmanagerPayload = z.object({
  version: z.literal('4'),
  groupKey: z.string().min(1),
  truncatedAlerts: z.number().int().min(0).optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: Labels.default({}),
  commonLabels: Labels.default({}),
  commonAnnotations: Labels.default({}),
  externalURL: z.string().optional(),
  alerts: z.array(Alert).min(1),
});
export type AlertmanagerPayload = z.infer<typeof AlertmanagerPayload>;

export const GrafanaPayload = AlertmanagerPayload.extend({
  version: z.string(),
  orgId: z.number().int().optional(),
  state: z.string().optional(),
  title: z.string().optional(),
  message: z.string().optional(),
});
export type GrafanaPayload = z.infer<typeof GrafanaPayload>;

/** One group notification → one delivery: every alert with its own status and times (a firing group also carries resolved alerts). */
export function alertGroupDelivery(
  source: 'alertmanager' | 'grafana',
  key: string,
  p: Omit<AlertmanagerPayload, 'version'>,
  rawBody: Buffer,
): AlertDelivery {
  const alerts: AlertDelivery['alerts'] = p.alerts.map((a) => ({
    ...alertInfo(
      source,
      { ...p.commonLabels, ...a.labels },
      {
        summary: a.annotations.summary ?? a.annotations.description ?? p.commonAnnotations.summary,
        fingerprint:
          a.fingerprint ??
          createHash('sha256')
            .update(JSON.stringify(Object.entries(a.labels).sort()))
            .digest('hex')
            .slice(0, 16),
        startsAt: a.startsAt,
      },
    ),
    status: a.status,
    ...(a.endsAt ? { endsAt: a.endsAt.slice(0, 64) } : {}),
  }));
  const links = [...new Set(p.alerts.map((a) => a.generatorURL?.slice(0, 500)).filter(Boolean))].slice(0, 5);
  return {
    source,
    key,
    deliveryId: createHash('sha256').update(rawBody).digest('hex'),
    state: p.status,
    alerts,
    technicalDetail: [
      `${source} receiver ${p.receiver.slice(0, 200)}, group ${key.slice(0, 500)}`,
      ...links,
      p.externalURL?.slice(0, 500),
    ]
      .filter(Boolean)
      .join('\n'),
  };
}
