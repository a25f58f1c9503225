import { mkdir, readlink, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Snapshot } from '../../core/statuspage/snapshot';

// Publishes a snapshot to a local directory atomically: every file is written into a fresh
// directory under snapshots/, then the `public` symlink is swapped to it with one rename, so a
// reader sees either the old snapshot or the new one, never a mix.

const KEEP = 3;

export async function publishToDirectory(publicDir: string, snapshot: Snapshot, version: string): Promise<string> {
  const root = dirname(publicDir);
  const snapshots = join(root, 'snapshots');
  const target = join(snapshots, version);
  await rm(target, { recursive: true, force: true });
  const dirs = [...new Set([...snapshot.keys()].map((path) => dirname(join(target, path))))].sort();
  for (const dir of dirs) await mkdir(dir, { recursive: true });
  // Files are written a few at a time: a snapshot has a hundred or more, and nobody reads this directory yet.
  const entries = [...snapshot];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(16, entries.length) }, async () => {
      while (next < entries.length) {
        const [path, file] = entries[next++]!;
        await writeFile(join(target, path), file.body);
      }
    }),
  );
  const temp = `${publicDir}.${process.pid}.${Date.now()}.tmp`;
  await symlink(join('snapshots', version), temp);
  await rename(temp, publicDir);
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
