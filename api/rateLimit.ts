import type { Request, RequestHandler, Response } from 'express';
import ipaddr from 'ipaddr.js';
import type { RateLimit } from '../core/config';
import { Problem } from './problem';

// A small in-memory token bucket per key (a token's name, a client address). One API process is one
// limiter; behind several processes each keeps its own, which is what a per-node limit means.

export interface Limiter {
  /** Takes one request from the key's bucket; returns 0 when allowed, else seconds until one is. */
  take(key: string): number;
  /** Gives back a token taken for a request that was then refused for a reason of ours (it should not count). */
  refund(key: string): void;
}

export function tokenBucket({ perSecond, burst }: RateLimit, now: () => number = Date.now, maxKeys = 10_000): Limiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      const t = now();
      let b = buckets.get(key);
      if (!b) {
        if (buckets.size >= maxKeys) {
          // Forget the fullest (idle) buckets first: the oldest entries in insertion order.
          for (const k of buckets.keys()) {
            buckets.delete(k);
            if (buckets.size < maxKeys / 2) break;
          }
        }
        b = { tokens: burst, at: t };
        buckets.set(key, b);
      }
      b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * perSecond);
      b.at = t;
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - b.tokens) / perSecond));
    },
    refund(key) {
      const b = buckets.get(key);
      if (b) b.tokens = Math.min(burst, b.tokens + 1);
    },
  };
}

/**
 * Refuses requests over the key's rate. Operator clients get 429; monitoring senders get 503,
 * because Alertmanager (and most senders) retry only 5xx and a throttled alert must not be lost.
 */
export function rateLimit(
  limiter: Limiter,
  keyOf: (req: Request, res: Response) => string,
  status: 429 | 503 = 429,
  onRefused?: () => void,
): RequestHandler {
  return (req, res, next) => {
    const wait = limiter.take(keyOf(req, res));
    if (wait === 0) return next();
    onRefused?.();
    next(
      new Problem(status, status === 429 ? 'Too many requests' : 'Busy', `slow down: retry in ${wait} s`, { retryAfter: wait }),
    );
  };
}

/**
 * The client a per-client limit counts: its IPv4 address, or the /64 of its IPv6 address — one
 * subscriber line or host gets a whole /64, so counting single IPv6 addresses counts nothing.
 */
export const clientAddress = (req: Request) => clientKey(req.socket.remoteAddress);

export function clientKey(address: string | undefined): string {
  if (!address || !ipaddr.isValid(address)) return 'unknown';
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const [a, b, c, d] = (parsed as ipaddr.IPv6).parts;
  return `${new ipaddr.IPv6([a!, b!, c!, d!, 0, 0, 0, 0]).toString()}/64`;
}
