import { verify as verifySignature, X509Certificate } from 'node:crypto';

// Amazon SNS message signatures (SignatureVersion 1 = RSA-SHA1, 2 = RSA-SHA256), verified with
// node:crypto. sns-payload-validator 2.1.0 handles both versions but fetches certificates with its
// own https.get (no injectable fetch, no status or size check), so Herald does the few steps itself:
// check the certificate URL, fetch it through an injectable function (cached by URL), check the
// certificate's validity period, rebuild the canonical string and verify.

export interface SnsEnvelope {
  Type: 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  MessageId: string;
  TopicArn: string;
  Subject?: string | null;
  Message: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
  SubscribeURL?: string;
  Token?: string;
  UnsubscribeURL?: string;
}

/** Fetches a URL's body as text; tests pass their own. */
export type FetchText = (url: string) => Promise<string>;

export const SNS_HOST = /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

export class SnsVerificationError extends Error {
  override name = 'SnsVerificationError';
}

/** An https URL on an SNS host (and, for certificates, a .pem path). Everything else is refused. */
export function isSnsUrl(url: string | undefined, { pem = false } = {}): boolean {
  if (!url) return false;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== 'https:' || u.username || u.password || (u.port && u.port !== '443')) return false;
  if (!SNS_HOST.test(u.hostname)) return false;
  return !pem || u.pathname.endsWith('.pem');
}

/** The string SNS signs: `Key\nValue\n` for each key in AWS's fixed order, values unescaped. */
export function snsStringToSign(m: SnsEnvelope): string {
  const keys =
    m.Type === 'Notification'
      ? [
          'Message',
          'MessageId',
          ...(m.Subject !== undefined && m.Subject !== null ? ['Subject'] : []),
          'Timestamp',
          'TopicArn',
          'Type',
        ]
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  return keys.map((k) => `${k}\n${String((m as unknown as Record<string, unknown>)[k] ?? '')}\n`).join('');
}

/** A default certificate fetch: https only, no redirects, 5 s, at most 64 kB, 200 only. */
export const fetchCertificate: FetchText = async (url) => {
  const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`certificate fetch answered ${res.status}`);
  const text = await res.text();
  if (text.length > 65_536) throw new Error('certificate too large');
  return text;
};

export interface SnsVerifier {
  verify(m: SnsEnvelope): Promise<void>;
}

export function createSnsVerifier(
  fetchText: FetchText = fetchCertificate,
  { maxCerts = 100, now = () => Date.now() } = {},
): SnsVerifier {
  const certs = new Map<string, Promise<X509Certificate>>();
  const certificate = (url: string) => {
    let c = certs.get(url);
    if (!c) {
      c = fetchText(url).then((pem) => new X509Certificate(pem));
      // A failed fetch is not cached: the next delivery tries again.
      c.catch(() => certs.delete(url));
      if (certs.size >= maxCerts) certs.delete(certs.keys().next().value!);
      certs.set(url, c);
    }
    return c;
  };
  return {
    async verify(m) {
      if (m.SignatureVersion !== '1' && m.SignatureVersion !== '2')
        throw new SnsVerificationError(`unsupported SignatureVersion ${JSON.stringify(String(m.SignatureVersion).slice(0, 8))}`);
      if (!isSnsUrl(m.SigningCertURL, { pem: true }))
        throw new SnsVerificationError('SigningCertURL is not an https .pem URL on an sns.<region>.amazonaws.com host');
      let cert: X509Certificate;
      try {
        cert = await certificate(m.SigningCertURL);
      } catch (err) {
        throw new SnsVerificationError(
          `the signing certificate could not be fetched or read: ${(err as Error).message.slice(0, 200)}`,
        );
      }
      const t = now();
      if (Date.parse(cert.validFrom) > t || Date.parse(cert.validTo) < t)
        throw new SnsVerificationError('the signing certificate is not valid now');
      const signature = Buffer.from(m.Signature, 'base64');
      const ok = (() => {
        try {
          return verifySignature(
            m.SignatureVersion === '1' ? 'sha1' : 'sha256',
            Buffer.from(snsStringToSign(m), 'utf8'),
            cert.publicKey,
            signature,
          );
        } catch {
          return false;
        }
      })();
      if (!ok) throw new SnsVerificationError('the signature does not verify');
    },
  };
}
