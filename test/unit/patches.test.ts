import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as patches from '../../workflows/patches';

// The patch registry, the workflow code and the recorded histories stay in step: every patched() and
// deprecatePatch() call names a registry constant, every registered patch is in use, and the histories
// it names replay each side of it (the marker absent before, present after).

const ROOT = join(__dirname, '..', '..');
const REPLAY = join(ROOT, 'test', 'replay');

function workflowSources(dir = join(ROOT, 'workflows')): { path: string; text: string }[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return workflowSources(path);
    return name.endsWith('.ts') ? [{ path, text: readFileSync(path, 'utf8') }] : [];
  });
}

/** The patch ids a history's markers record. */
function markersOf(history: string): string[] {
  const events = (JSON.parse(readFileSync(join(REPLAY, `${history}.json`), 'utf8')) as { events: any[] }).events;
  return events
    .map((e) => e.markerRecordedEventAttributes)
    .filter((m) => m?.markerName === 'core_patch')
    .map((m) => {
      const data = m.details['patch-data'].payloads[0].data as string;
      return (JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { id: string }).id;
    });
}

const constants = Object.entries(patches).filter(([, v]) => typeof v === 'string') as [string, string][];

test('every patched() and deprecatePatch() call in workflows/ names a constant of the registry', () => {
  const calls = workflowSources()
    .filter(({ path }) => !path.endsWith('patches.ts'))
    .flatMap(({ path, text }) =>
      [...text.matchAll(/\b(?:patched|deprecatePatch)\(([^)]*)\)/g)].map((m) => ({ path, arg: m[1]!.trim() })),
    );
  assert.ok(calls.length >= 5, `patch calls found: ${calls.length}`);
  const names = new Set(constants.map(([name]) => name));
  const stray = calls.filter((c) => !names.has(c.arg)).map((c) => `${c.path}: ${c.arg}`);
  assert.deepEqual(stray, [], 'patch ids are written as registry constants');
});

test('every registered patch is in use, once in the registry, with a constant', () => {
  const used = new Set(
    workflowSources()
      .filter(({ path }) => !path.endsWith('patches.ts'))
      .flatMap(({ text }) => [...text.matchAll(/\b(?:patched|deprecatePatch)\((\w+)\)/g)].map((m) => m[1]!)),
  );
  const ids = patches.PATCH_REGISTRY.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
  assert.deepEqual(constants.map(([, id]) => id).sort(), [...ids].sort(), 'one constant per registered id');
  for (const [name, id] of constants) assert.ok(used.has(name), `${name} (${id}) is used by a workflow`);
});

test('the histories each patch names replay its old path (no marker) and its new path (marker)', () => {
  const histories = new Set(readdirSync(REPLAY).map((f) => f.replace(/\.json$/, '')));
  for (const p of patches.PATCH_REGISTRY) {
    assert.ok(p.replayedWith.length > 0, `${p.id}: a history pins the new path`);
    assert.ok(p.deprecateWhen.trim().length > 0, `${p.id}: says when it may be deprecated`);
    for (const h of [...p.replayedWith, ...p.replayedWithout])
      assert.ok(histories.has(h), `${p.id}: test/replay/${h}.json exists`);
    for (const h of p.replayedWith) assert.ok(markersOf(h).includes(p.id), `${p.id}: ${h} records the marker`);
    for (const h of p.replayedWithout) assert.ok(!markersOf(h).includes(p.id), `${p.id}: ${h} was recorded before the patch`);
  }
});
