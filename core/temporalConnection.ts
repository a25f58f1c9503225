import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import type { TemporalConfig } from './config';

/** Connection options shared by the client (`Connection.connect`) and the worker (`NativeConnection.connect`). */
export function temporalConnectionOptions(t: TemporalConfig): { address: string; tls?: TLSConfig | boolean; apiKey?: string } {
  const tls = t.tls;
  let tlsOption: TLSConfig | boolean | undefined;
  if (tls) {
    tlsOption = {
      serverNameOverride: tls.serverName,
      serverRootCACertificate: tls.caPath ? readFileSync(tls.caPath) : undefined,
      clientCertPair:
        tls.certPath && tls.keyPath ? { crt: readFileSync(tls.certPath), key: readFileSync(tls.keyPath) } : undefined,
    };
  } else if (t.apiKey) {
    tlsOption = true; // Temporal Cloud API keys travel over TLS.
  }
  return { address: t.address, tls: tlsOption, apiKey: t.apiKey };
}
