// Where clips and stills live on disk (under the data dir, LIVEGATE_DATA_DIR): DATA_DIR/clips/<id>.mp4 and
// DATA_DIR/thumbs/<path>.jpg. Files are written under a temporary name and renamed into place, so a reader
// never sees half a file. Ids and paths are checked by the callers (store/clips.ts isClipId, NAME_RE).
import { join } from "node:path";
import type { Config } from "../config/config.ts";

/** DATA_DIR/clips/<id>.mp4 */
export function clipFile(cfg: Pick<Config, "clips">, id: string): string {
  return join(cfg.clips.dir, `${id}.mp4`);
}

/** DATA_DIR/thumbs/<path>.jpg */
export function thumbFile(cfg: Pick<Config, "clips">, path: string): string {
  return join(cfg.clips.thumbsDir, `${path}.jpg`);
}

/** Removes a file; a missing file is not an error. */
export async function removeFile(file: string): Promise<void> {
  await Deno.remove(file).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
}

/** Writes `data` to `file` through a temporary file and a rename (atomic on one file system). */
export async function writeAtomic(file: string, data: Uint8Array): Promise<void> {
  const tmp = `${file}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, file);
  } catch (e) {
    await removeFile(tmp).catch(() => {});
    throw e;
  }
}
