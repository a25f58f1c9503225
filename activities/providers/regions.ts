import { RegionUnavailable, Throttled, type OutgoingMessage, type Provider, type SendOutcome } from './types';

// Region health per provider, shared by every batch in this worker: a region that failed is skipped
// for a cool-down, then tried again. The attempt number rotates the starting region, so a retried
// batch starts where the last attempt did not, and health skips what is known to be down.

export class AllRegionsDown extends Error {
  override name = 'AllRegionsDown';
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

export class RegionHealth {
  private downUntil = new Map<string, number>();
  constructor(
    readonly cooldownMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  markDown(provider: string, region: string): void {
    this.downUntil.set(`${provider}/${region}`, this.now() + this.cooldownMs);
  }

  markUp(provider: string, region: string): void {
    this.downUntil.delete(`${provider}/${region}`);
  }

  isDown(provider: string, region: string): boolean {
    const until = this.downUntil.get(`${provider}/${region}`);
    return until !== undefined && until > this.now();
  }

  /** Healthy regions, starting from the one the attempt number picks. */
  order(provider: string, regions: string[], attempt: number): string[] {
    const start = (Math.max(1, attempt) - 1) % regions.length;
    const rotated = [...regions.slice(start), ...regions.slice(0, start)];
    return rotated.filter((r) => !this.isDown(provider, r));
  }

  /** How long until the first region of the provider comes out of its cool-down. */
  nextUpIn(provider: string, regions: string[]): number {
    const t = this.now();
    const times = regions.map((r) => (this.downUntil.get(`${provider}/${r}`) ?? t) - t);
    return Math.max(250, Math.min(...times));
  }

  snapshot(): Record<string, string> {
    const t = this.now();
    return Object.fromEntries(
      [...this.downUntil].filter(([, until]) => until > t).map(([k, until]) => [k, new Date(until).toISOString()]),
    );
  }
}

export interface RegionalResult {
  outcomes: SendOutcome[];
  region: string;
}

/**
 * Sends one request through the first healthy region that answers; a region that fails is marked
 * down and the next one is tried at once. Throws AllRegionsDown when none is left, Throttled as is.
 */
export async function sendThroughRegions(
  provider: Provider,
  health: RegionHealth,
  attempt: number,
  messages: OutgoingMessage[],
  onRegionDown?: (region: string, err: Error) => void,
): Promise<RegionalResult> {
  const tried: string[] = [];
  for (const region of health.order(provider.name, provider.regions, attempt)) {
    tried.push(region);
    try {
      const outcomes = await provider.send(region, messages);
      return { outcomes, region };
    } catch (err) {
      if (err instanceof RegionUnavailable) {
        if (provider.regions.length > 1 || provider.regions[0] !== 'direct') health.markDown(provider.name, region);
        onRegionDown?.(region, err);
        // The request may have been delivered: no second region now; the retry sends it flagged.
        if (err.ambiguous) throw err;
        continue;
      }
      if (err instanceof Throttled) throw err;
      throw err;
    }
  }
  throw new AllRegionsDown(
    `${provider.name}: no region available (${tried.length ? `tried ${tried.join(', ')}` : `all of ${provider.regions.join(', ')} cooling down`})`,
    health.nextUpIn(provider.name, provider.regions),
  );
}

/** A token bucket per channel: at most `perSecond` messages a second from this worker. */
export class RateLimiter {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();
  constructor(private readonly perSecond: number) {
    this.tokens = perSecond;
    this.last = Date.now();
  }

  take(n: number): Promise<void> {
    const run = this.queue.then(async () => {
      for (;;) {
        const now = Date.now();
        this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) / 1000) * this.perSecond);
        this.last = now;
        if (this.tokens >= Math.min(n, this.perSecond)) {
          this.tokens -= n;
          return;
        }
        await new Promise((r) => setTimeout(r, Math.ceil(((Math.min(n, this.perSecond) - this.tokens) / this.perSecond) * 1000)));
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
