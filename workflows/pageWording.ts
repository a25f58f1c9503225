import type { IncidentStatus } from '../core/incidentStatus';
import type { LocalizedText } from '../core/localizedText';
import type { PageUpdate, PageWording } from '../core/statuspage/types';
import type { MaintenancePhase } from './contracts/maintenance';

// Which of the plan's own sentences a page update says when no operator wrote it, by key under
// `pageWording` in templates/pages/locales/*.json; the snapshot puts them in each locale's words.
// Times are ISO instants: the snapshot writes them as every other time on the page (its time zone, the
// locale's own form).

export type IncidentPagePhase = 'initial' | 'update' | 'holding' | 'etaMissed' | 'resolved';

export function incidentPageWording(phase: IncidentPagePhase, status: IncidentStatus, nextUpdateDue: string | null): PageWording {
  const next = nextUpdateDue ? [{ key: 'nextUpdateBy', params: { time: nextUpdateDue } }] : [];
  switch (phase) {
    case 'holding':
      return [{ key: 'incident.holding' }, ...next];
    case 'etaMissed':
      return [{ key: 'incident.etaMissed' }, ...next];
    case 'resolved':
      return [{ key: 'incident.resolved' }];
    case 'update':
      return [{ key: status === 'monitoring' ? 'incident.monitoring' : 'incident.update' }, ...next];
    default:
      return [{ key: 'incident.initial' }, ...next];
  }
}

const STATUS_SENTENCE: Record<IncidentStatus, string> = {
  investigating: 'incident.stillInvestigatingFor',
  identified: 'incident.identifiedFor',
  monitoring: 'incident.monitoringFor',
  resolved: 'incident.resolvedFor',
  postmortem: 'incident.resolvedFor',
};

/**
 * The plan's wording of an incident update that names what is affected (the components' business
 * functions, in each locale's words) and says the status it is at; a widening names what it adds.
 */
export function namedIncidentPageWording(
  phase: IncidentPagePhase,
  status: IncidentStatus,
  nextUpdateDue: string | null,
  affected: { components: string[]; newlyAffected?: string[] },
): PageWording {
  const named = (key: string) => ({ key, functions: affected.components });
  const next = nextUpdateDue ? [{ key: 'nextUpdateBy', params: { time: nextUpdateDue } }] : [];
  const widened = affected.newlyAffected?.length ? [{ key: 'incident.widened', functions: affected.newlyAffected }] : [];
  switch (phase) {
    case 'holding':
      return [named('incident.holdingFor'), ...widened, ...next];
    case 'etaMissed':
      return [named('incident.etaMissedFor'), ...widened, ...next];
    case 'resolved':
      return [named('incident.resolvedFor')];
    case 'initial':
      return [named(status === 'investigating' ? 'incident.investigatingFor' : STATUS_SENTENCE[status]), ...widened, ...next];
    default:
      return [named(STATUS_SENTENCE[status]), ...widened, ...next];
  }
}

export function maintenancePageWording(
  phase: MaintenancePhase,
  window: { scheduledFor: string; scheduledUntil: string; status?: string },
): PageWording {
  const span = { from: window.scheduledFor, until: window.scheduledUntil };
  const ends = { untilTime: window.scheduledUntil };
  switch (phase) {
    case 'reminder':
      return [{ key: 'maintenance.reminder', params: span }];
    case 'start':
      return [{ key: 'maintenance.start', params: ends }];
    case 'complete':
      return [{ key: 'maintenance.complete' }];
    case 'cancel':
      return [{ key: 'maintenance.cancel' }];
    case 'reschedule':
      return [{ key: 'maintenance.reschedule', params: span }];
    case 'overrun':
      return [{ key: 'maintenance.overrun', params: ends }];
    case 'update':
      return window.status === 'in_progress'
        ? [{ key: 'maintenance.start', params: ends }]
        : [{ key: 'maintenance.scheduled', params: span }];
    default:
      return [{ key: 'maintenance.scheduled', params: span }];
  }
}

/**
 * An operator's words on the page: a plain string shows in every locale (as it always has); words per
 * locale show where given, and the plan's wording for the phase fills the other locales.
 */
export function operatorPageWords(
  words: LocalizedText,
  wording: PageWording | undefined,
): Pick<PageUpdate, 'body' | 'bodies' | 'wording'> {
  if (typeof words === 'string') return { body: words };
  return { bodies: { ...words }, ...(wording ? { wording } : {}) };
}
