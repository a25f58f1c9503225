import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';

// Everything under $HERALD_DATA_DIR is for Herald's own user: subscriber addresses (herald.db),
// messages with working unsubscribe links (outbox/), tokens and the secret, and technical detail
// (webhooks.sqlite, temporal.db and the logs). Every process makes the files it creates
// owner-only (a umask set when configuration is loaded, inherited by the Temporal dev server it
// starts), the directory itself is 0700, and the files Herald creates itself carry 0600 too.

const OWNER_ONLY = 0o077;

/** New files and directories of this process and its children: owner only. */
export function ownerOnlyFiles(): void {
  try {
    process.umask(OWNER_ONLY);
  } catch {
    // worker threads cannot set the umask; the process they belong to has.
  }
}

/** Creates the data directory 0700, or makes an existing one 0700. */
export function secureDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    chmodSync(dir, 0o700);
  } catch {
    // not ours to change (a mounted volume): its owner decides
  }
}

/** A directory under the data directory, 0700. */
export function ownerOnlyDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Creates `file` empty with mode 0600 unless it exists (databases opened by a library that does not take a mode). */
export function ownerOnlyFile(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
}
