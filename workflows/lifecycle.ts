import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { HeraldComponents, HeraldDrill, HeraldKind, HeraldSeverity, HeraldStatus } from '../core/searchAttributes';

// What the incident and maintenance workflows do alike around their state: when to continue as
// new, and the search attributes the Temporal UI filters them by.

/** Continue as new when Temporal suggests it or the run's history reaches the plan's limit. */
export function shouldContinueAsNew(afterEvents: number): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength >= afterEvents;
}

/** Set once when a lifecycle starts: what it is and whether it is a drill (maintenance: its components too). */
export function markLifecycleStart(kind: 'incident' | 'maintenance', drill: boolean, components?: string[]): void {
  upsertSearchAttributes([
    { key: HeraldKind, value: kind },
    { key: HeraldDrill, value: drill },
    ...(components ? [{ key: HeraldComponents, value: components }] : []),
  ]);
}

/** Follows the lifecycle's state: its status, and for incidents its severity and components. */
export function refreshLifecycleAttributes(a: { severity?: string; status: string; components?: string[] }): void {
  upsertSearchAttributes([
    ...(a.severity !== undefined ? [{ key: HeraldSeverity, value: a.severity }] : []),
    { key: HeraldStatus, value: a.status },
    ...(a.components ? [{ key: HeraldComponents, value: a.components }] : []),
  ]);
}
