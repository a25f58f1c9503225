import { execFileSync } from 'node:child_process';
import { createSign, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { snsStringToSign, type SnsEnvelope } from '../../api/routes/webhooks/snsSignature';

// Test keys and signed SNS messages: a real RSA key pair and a self-signed certificate (openssl),
// served through the verifier's injectable fetch in place of AWS's certificate host.

export interface SnsTestKeys {
  certPem: string;
  keyPem: string;
  otherKeyPem: string;
}

export function makeSnsTestKeys(): SnsTestKeys {
  const dir = mkdtempSync(join(tmpdir(), 'herald-sns-'));
  try {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    writeFileSync(join(dir, 'key.pem'), keyPem);
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-new',
        '-key',
        join(dir, 'key.pem'),
        '-subj',
        '/CN=sns.amazonaws.com',
        '-days',
        '2',
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    return { certPem: readFileSync(join(dir, 'cert.pem'), 'utf8'), keyPem, otherKeyPem: other };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const CERT_URL = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem';

export function signSns(
  m: Omit<SnsEnvelope, 'Signature' | 'SignatureVersion' | 'SigningCertURL'> & Partial<SnsEnvelope>,
  keyPem: string,
  version: '1' | '2' = '2',
): SnsEnvelope {
  const full = { SigningCertURL: CERT_URL, ...m, SignatureVersion: version, Signature: '' } as SnsEnvelope;
  const signer = createSign(version === '1' ? 'RSA-SHA1' : 'RSA-SHA256');
  signer.update(snsStringToSign(full));
  return { ...full, Signature: signer.sign(keyPem, 'base64') };
}
