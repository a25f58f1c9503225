import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { RegionUnavailable, Throttled, type SendOutcome } from './types';

// What the AWS providers share: client options (our own retries, keep-alive sockets, an endpoint
// per region for tests and private endpoints) and one error classification.

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsClientDeps {
  /** Explicit credentials; otherwise the SDK's default chain (environment, profile, instance role). */
  credentials?: AwsCredentials;
  timeoutMs: number;
  /** Sockets per region client. */
  maxSockets: number;
}

export function awsClientConfig(region: { name: string; endpoint?: string }, deps: AwsClientDeps) {
  return {
    region: region.name,
    ...(region.endpoint ? { endpoint: region.endpoint } : {}),
    ...(deps.credentials ? { credentials: deps.credentials } : {}),
    // Herald retries itself: across regions at once, and through the activity's back-off.
    maxAttempts: 1,
    requestHandler: {
      requestTimeout: deps.timeoutMs,
      throwOnRequestTimeout: true,
      connectionTimeout: Math.min(deps.timeoutMs, 5000),
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: deps.maxSockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: deps.maxSockets }),
    },
  };
}

/** A timeout or a broken connection after the request was written: it may have been delivered. */
export function isAmbiguous(e: { name?: string; code?: string; message?: string }): boolean {
  if (e.name === 'TimeoutError') return !/did not establish a connection/.test(e.message ?? '');
  return e.code === 'ECONNRESET' || e.code === 'EPIPE' || e.code === 'ETIMEDOUT';
}

export interface AwsErrorRules {
  throttling: string[];
  /** The message cannot be sent to this address, ever. */
  permanent: string[];
  optOut?: (err: AwsError) => boolean;
  /** The region cannot send for now (suspended, paused, not set up there): try another. */
  regional: string[];
}

export interface AwsError extends Error {
  $metadata?: { httpStatusCode?: number };
  $fault?: 'client' | 'server';
  code?: string;
  Reason?: string;
}

/** One request's error → an outcome for its messages, or a RegionUnavailable / Throttled to throw. */
export function classifyAwsError(err: unknown, rules: AwsErrorRules, service: string, region: string): SendOutcome {
  const e = err as AwsError;
  const status = e.$metadata?.httpStatusCode;
  const name = e.name ?? 'Error';
  const text = `${service} ${region}: ${name}${status ? ` (${status})` : ''}: ${e.message}`;
  if (status === undefined && isAmbiguous(e)) throw new RegionUnavailable(text, { ambiguous: true });
  if (rules.throttling.includes(name) || status === 429) throw new Throttled(text, 1000);
  if (rules.optOut?.(e)) return { kind: 'opted_out', error: text };
  if (rules.permanent.includes(name)) return { kind: 'failed', error: text };
  if (rules.regional.includes(name) || status === undefined || status >= 500 || status === 403) throw new RegionUnavailable(text);
  // Any other 4xx is about this request: permanent for its messages.
  return { kind: 'failed', error: text };
}
