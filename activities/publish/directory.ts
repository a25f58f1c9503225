import { createHash } from 'node:crypto';
import { link, mkdir, readlink, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Snapshot } from '../../core/statuspage/snapshot';

// Publishes a snapshot to a local directory atomically: every file is written into a fresh
// directory under snapshots/, then the `public` symlink is swapped to it with one rename, so a
// reader sees either the old snapshot or the new one, never a mix.

const KEEP = 3;

/**
 * What this process last published to each directory. A file whose bytes have not changed since is
 * hard-linked from that snapshot instead of written again: files are never modified in place, so
 * sharing them between snapshots is safe, and most of a snapshot (past incidents' pages) repeats.
 */
const lastPublished = new Map<string, { dir: string; digests: Map<string, string> }>();
const digest = (body: Buffer) => createHash('sha1').update(body).digest('base64');

export async function publishToDirectory(publicDir: string, snapshot: Snapshot, version: string): Promise<string> {
  const root = dirname(publicDir);
  const snapshots = join(root, 'snapshots');
  const target = join(snapshots, version);
  await rm(target, { recursive: true, force: true });
  const dirs = [...new Set([...snapshot.keys()].map((path) => dirname(join(target, path))))].sort();
  for (const dir of dirs) await mkdir(dir, { recursive: true });
  // Files are written a few at a time: a snapshot has a hundred or more, and nobody reads this directory yet.
  const entries = [...snapshot];
  const previous = lastPublished.get(publicDir);
  const digests = new Map<string, string>();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(16, entries.length) }, async () => {
      while (next < entries.length) {
        const [path, file] = entries[next++]!;
        const d = digest(file.body);
        digests.set(path, d);
        if (previous && previous.digests.get(path) === d) {
          try {
            await link(join(previous.dir, path), join(target, path));
            continue;
          } catch {
            // pruned or on another file system: write it
          }
        }
        await writeFile(join(target, path), file.body);
      }
    }),
  );
  const temp = `${publicDir}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2, 8)}.tmp`;
  await symlink(join('snapshots', version), temp);
  await rename(temp, publicDir);
  lastPublished.set(publicDir, { dir: target, digests });
  await pruneOldSnapshots(snapshots, version);
  return target;
}

export async function currentSnapshotVersion(publicDir: string): Promise<string | null> {
  try {
    return (await readlink(publicDir)).split('/').pop() ?? null;
  } catch {
    return null;
  }
}

async function pruneOldSnapshots(dir: string, keep: string): Promise<void> {
  const entries = (await readdir(dir)).filter((e) => e !== keep).sort();
  for (const old of entries.slice(0, Math.max(0, entries.length - (KEEP - 1)))) {
    await rm(join(dir, old), { recursive: true, force: true });
  }
}
