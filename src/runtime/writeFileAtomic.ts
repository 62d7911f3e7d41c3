import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The prefix of the temp files hotmod writes next to their target. It starts with a dot
 * so the module watcher (which ignores dot-files) never sees a half-written file.
 */
export const TEMP_FILE_PREFIX = '.hotmod-tmp-';

/**
 * Writes a file so that readers see either the old content or the new one, never a half:
 * the bytes go to a temp file in the same folder (same file system), then one rename.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true });
  const temp = path.join(dir, `${TEMP_FILE_PREFIX}${path.basename(file)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(temp, data);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
