/**
 * File-system questions every part asks, answered once (no imports from the parts).
 * Each answers false, never throws, for a path that is missing or unreadable.
 */
import { statSync } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Whether anything is at `file`: a file, a directory, or a link even when it dangles (lstat),
 * so "is the name taken" is answered before writing there.
 */
export async function pathExists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}

/** Whether `file` is a regular file (links followed). */
export async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/**
 * Whether `file` is a regular file (links followed), answered synchronously: for scans that
 * ask it of hundreds of folders at once (scanCatalog), where a thread-pool round trip per
 * question costs far more than the question (a missing path creates no error either).
 */
export function isFileSync(file: string): boolean {
  try {
    return statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}

/** Whether `dir` is a directory (links followed), synchronously: as isFileSync. */
export function isDirectorySync(dir: string): boolean {
  try {
    return statSync(dir, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false;
  }
}

/** Whether `dir` is a directory (links followed). */
export async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

/** Every file below `dir` (recursively, links not followed) whose name passes `keep`, sorted. */
export async function listFiles(dir: string, keep: (name: string) => boolean = () => true): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full, keep)));
    else if (entry.isFile() && keep(entry.name)) out.push(full);
  }
  return out.sort();
}
