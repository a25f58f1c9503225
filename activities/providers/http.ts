import { retryAfterMs, type SendOutcome } from './types';

// One POST to a recipient's own endpoint (chat and webhooks): the outcome is about that recipient,
// never about a region. 2xx sent; 408, 425, 429 and 5xx retried (honouring Retry-After); 410 and
// other 4xx permanent; unreachable retried.

export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  what: string,
): Promise<SendOutcome> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Herald/0.1 (+outage notifications)', ...headers },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = (await res.text().catch(() => '')).slice(0, 200);
    if (res.ok) return { kind: 'sent', messageId: res.headers.get('x-request-id') ?? undefined };
    const why = `${what}: HTTP ${res.status}${text ? ` ${text}` : ''}`;
    if (res.status === 429 || res.status === 408 || res.status === 425 || res.status >= 500) {
      return {
        kind: 'retry',
        error: why,
        retryAfterMs: retryAfterMs(res.headers.get('retry-after'), res.status === 429 ? 5000 : 1000),
      };
    }
    return { kind: 'failed', error: why };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    // A timeout (or a reset) after the body went out may still have been delivered: say so.
    const ambiguous = e.name === 'TimeoutError' || e.cause?.code === 'ECONNRESET' || e.cause?.code === 'UND_ERR_SOCKET';
    return { kind: 'retry', error: `${what}: ${e.message}`, ...(ambiguous ? { ambiguous } : {}) };
  }
}
