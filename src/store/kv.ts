// The store: the Deno KV database (a SQLite file in the data dir) and the bus its writes announce changes
// on. Every function of src/store/ takes a Store; a successful write emits a typed Change
// (src/core/changes.ts) so caches elsewhere follow without being cleared by hand.
import { join } from "node:path";
import { ChangeBus } from "../core/changes.ts";

export { NAME_RE } from "../core/names.ts";

export const KV_FILE = "livegate.kv";

export interface Store {
  readonly kv: Deno.Kv;
  /** Where this store's writes are announced. */
  readonly changes: ChangeBus;
  /**
   * Values derived once from stored secrets (e.g. the share links' HMAC key), kept for the store's
   * lifetime; keyed by the module that owns them.
   */
  readonly memo: Map<string, Promise<unknown>>;
}

/** A Store over an open KV handle (tests open ":memory:"). */
export function storeOf(kv: Deno.Kv, changes = new ChangeBus()): Store {
  return { kv, changes, memo: new Map() };
}

/** Opens the KV database file in `dataDir`; throws an Error naming the file when it cannot. */
export async function openStore(dataDir: string): Promise<Store> {
  const path = join(dataDir, KV_FILE);
  try {
    return storeOf(await Deno.openKv(path));
  } catch (e) {
    throw new Error(`cannot open the KV database ${path}: ${(e as Error).message}`);
  }
}
