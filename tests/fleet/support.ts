/** Shared helpers of the rollout tests: a modules dir assembled from tests/fixtures/rollout folders. */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cohortBucket, stageThreshold } from '../../src/fleet/index.js';

export const ROLLOUT_FIXTURES = path.resolve(import.meta.dirname, '../fixtures/rollout');

/** A temp modules dir holding copies of the named fixture folders; `remove()` deletes it. */
export async function modulesDirWith(folders: readonly string[]): Promise<{ dir: string; add(folder: string): Promise<void>; remove(): Promise<void> }> {
  const root = await mkdtemp(path.join(tmpdir(), 'hotmod-rollout-'));
  const dir = path.join(root, 'modules');
  const add = (folder: string) => cp(path.join(ROLLOUT_FIXTURES, folder), path.join(dir, folder), { recursive: true });
  for (const f of folders) await add(f);
  return { dir, add, remove: () => rm(root, { recursive: true, force: true }) };
}

export const CLIENTS = Array.from({ length: 200 }, (_, i) => `client-${i}`);

/** Which clients the rollout's hash gives the new version at `percent` (computed here, independently of the router). */
export function expectedNew(rolloutId: string, percent: number, clients: readonly string[] = CLIENTS, named: readonly string[] = []): Set<string> {
  const t = stageThreshold(percent);
  return new Set(clients.filter((c) => named.includes(c) || cohortBucket(rolloutId, c) < t));
}
