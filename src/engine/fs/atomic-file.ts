// Writing a small file so a crash leaves either the old content or the new,
// never a mix: a temporary file beside it, fsync, rename over the target (or,
// to create it only if absent, a hard link to it).

import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function writeFileAtomic(target: string, text: string | Uint8Array, mode = 0o600): Promise<void> {
  const temp = await writeTemp(target, text, mode);
  try {
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Creates `target` whole, or not at all when it exists (false then; the file is not touched). */
export async function writeFileExclusive(target: string, text: string | Uint8Array, mode = 0o600): Promise<boolean> {
  const temp = await writeTemp(target, text, mode);
  try {
    await link(temp, target);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
}

async function writeTemp(target: string, text: string | Uint8Array, mode: number): Promise<string> {
  await mkdir(dirname(target), { recursive: true, mode: 0o700 });
  const temp = `${target}.${randomBytes(6).toString('hex')}~`;
  const handle = await open(temp, 'w', mode);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return temp;
}
