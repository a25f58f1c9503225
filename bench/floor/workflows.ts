import { condition, proxyLocalActivities } from '@temporalio/workflow';

// The least a workflow per incident can cost: started, one local activity in its first task (where
// Herald sends a small audience's first notice), then waiting like an open incident.

const { mark } = proxyLocalActivities<{ mark(id: string): Promise<void> }>({ startToCloseTimeout: '30 seconds' });

export async function floorIncident(id: string): Promise<void> {
  await mark(id);
  await condition(() => false, '1 hour');
}
