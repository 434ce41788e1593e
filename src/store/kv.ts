// Opens the Deno KV database (a SQLite file in the data dir) with a clear error when it cannot.
import { join } from "node:path";

export const KV_FILE = "livegate.kv";

export async function openStore(dataDir: string): Promise<Deno.Kv> {
  const path = join(dataDir, KV_FILE);
  try {
    return await Deno.openKv(path);
  } catch (e) {
    throw new Error(`cannot open the KV database ${path}: ${(e as Error).message}`);
  }
}

/** Names for users and stream paths: letters, digits, '_', '-', '.', not starting with '.' or '-'. */
export const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
