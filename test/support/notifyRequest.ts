import type { NotifyRequest } from '../../core/notify';

/** The initial outage notice for the payments component to the `customers` audience: one round of the example plan. */
export function paymentsOutageRound(roundId: string, over: Partial<NotifyRequest> = {}): NotifyRequest {
  return {
    roundId,
    audienceId: 'customers',
    channels: ['email', 'sms'],
    phase: 'initial',
    templateId: 'outage/initial',
    facts: {
      kind: 'incident',
      id: 'incident-card-payments',
      title: 'Card payments failing',
      scenario: 'outage',
      status: 'investigating',
      severity: 'sev1',
      impact: 'Card payments are failing for some customers.',
      components: ['payments'],
      componentStatuses: { payments: 'major_outage' },
      startedAt: '2026-11-28T10:00:00Z',
      nextUpdateAt: '2026-11-28T10:30:00Z',
    },
    components: ['payments'],
    drill: false,
    ...over,
  };
}
