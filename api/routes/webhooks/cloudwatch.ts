import { z } from 'zod';
import type { AlertLabels } from '../../../core/routing';

// A CloudWatch alarm state change as SNS carries it in `Message` (a JSON string). AWS publishes no
// formal schema; this reads what routing needs and ignores the rest.

const Dimension = z.object({ name: z.string().max(255), value: z.string().max(1024) });
export const CloudWatchAlarm = z.object({
  AlarmName: z.string().min(1).max(255),
  AlarmDescription: z.string().max(4096).nullish(),
  NewStateValue: z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']),
  NewStateReason: z.string().max(4096).optional(),
  StateChangeTime: z.string().max(64).optional(),
  AlarmArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:.+$/, 'must be a CloudWatch alarm ARN')
    .max(1024),
  OldStateValue: z.string().max(32).optional(),
  Trigger: z
    .object({
      MetricName: z.string().max(255).nullish(),
      Namespace: z.string().max(255).nullish(),
      Dimensions: z.array(Dimension).max(30).nullish(),
      Metrics: z
        .array(
          z.object({
            MetricStat: z
              .object({
                Metric: z
                  .object({
                    Namespace: z.string().max(255).optional(),
                    MetricName: z.string().max(255).optional(),
                    Dimensions: z.array(Dimension).max(30).optional(),
                  })
                  .optional(),
              })
              .optional(),
          }),
        )
        .max(20)
        .nullish(),
    })
    .optional(),
});
export type CloudWatchAlarm = z.infer<typeof CloudWatchAlarm>;

/**
 * Labels routing sees for an alarm: alertname (the alarm name), namespace, metric, region (from the
 * ARN), each dimension by name, and `key=value` pairs written in the alarm description — the way to
 * say `component=payments severity=critical` on an alarm.
 */
export function alarmLabels(a: CloudWatchAlarm): AlertLabels {
  const labels: AlertLabels = {};
  const dims = [
    ...(a.Trigger?.Dimensions ?? []),
    ...(a.Trigger?.Metrics ?? []).flatMap((m) => m.MetricStat?.Metric?.Dimensions ?? []),
  ];
  for (const d of dims) labels[d.name] = d.value;
  const ns =
    a.Trigger?.Namespace ?? a.Trigger?.Metrics?.find((m) => m.MetricStat?.Metric?.Namespace)?.MetricStat?.Metric?.Namespace;
  const metric =
    a.Trigger?.MetricName ?? a.Trigger?.Metrics?.find((m) => m.MetricStat?.Metric?.MetricName)?.MetricStat?.Metric?.MetricName;
  if (ns) labels.namespace = ns;
  if (metric) labels.metric = metric;
  labels.region = a.AlarmArn.split(':')[3]!;
  for (const m of (a.AlarmDescription ?? '').matchAll(/(?:^|[\s,;])([A-Za-z_][\w.-]{0,63})=("[^"]{0,200}"|[^\s,;]{1,200})/g)) {
    labels[m[1]!] = m[2]!.replace(/^"|"$/g, '');
  }
  labels.alertname = a.AlarmName;
  return labels;
}
