import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { parseDocument } from 'yaml';
import { incidentForAlert } from '../api/routes/webhooks/correlationClient';

// What the benches share about alert correlation: the example plan with a `correlation:` section of
// their choosing, and the incident the alert router put an alert in (it decides after the webhook's
// answer, so the answer cannot name it).

const EXAMPLE = join(__dirname, '..', 'plans', 'example.yaml');

/** Writes the example plan with this correlation section into `dir` and returns its path. */
export function planWithCorrelation(dir: string, correlation: Record<string, unknown>): string {
  const doc = parseDocument(readFileSync(EXAMPLE, 'utf8'));
  doc.setIn(['correlation'], correlation);
  const file = join(dir, 'plan.yaml');
  writeFileSync(file, doc.toString());
  return file;
}

/** Polls the page's router until it has placed the alert; resolves with the incident id. */
export async function routerLookup(address: string, pageId: string) {
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  return {
    async incidentOf(source: string, fingerprint: string, timeoutMs = 60_000): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const id = await incidentForAlert(client, pageId, source, fingerprint).catch(() => null);
        if (id) return id;
        if (Date.now() > deadline) throw new Error(`the router placed no incident for ${source} alert ${fingerprint}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    client,
    close: () => connection.close(),
  };
}
