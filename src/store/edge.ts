// Per-stream delivery setting of edge delivery (src/edge/): "direct" (LL-HLS from livegate's /hls) or
// "edge" (through the edges with a signed path prefix). Kept under its own KV prefix ["edge_delivery",
// path]; a stream without a record follows the global LIVEGATE_DELIVERY. Writes announce a "delivery" change.
import type { Store } from "./kv.ts";
import { NAME_RE } from "../core/names.ts";
import { StoreError } from "../core/errors.ts";

export type Delivery = "direct" | "edge";

const keyOf = (path: string): Deno.KvKey => ["edge_delivery", path];

/** The stream's own delivery setting, or null when it follows the global one. */
export async function getDelivery(db: Store, path: string): Promise<Delivery | null> {
  if (!NAME_RE.test(path)) return null;
  return (await db.kv.get<Delivery>(keyOf(path))).value ?? null;
}

/**
 * Sets (`"direct"`/`"edge"`) or clears (`null`: follow the global setting) a stream's delivery. Throws
 * StoreError on a failed write or a bad path.
 */
export async function setDelivery(db: Store, path: string, mode: Delivery | null): Promise<void> {
  if (!NAME_RE.test(path)) throw new StoreError("invalid", `invalid stream path '${path}'`);
  try {
    if (mode === null) await db.kv.delete(keyOf(path));
    else await db.kv.set(keyOf(path), mode);
  } catch (e) {
    throw new StoreError("unavailable", `could not save the delivery setting: ${(e as Error).message}`, {
      cause: e,
    });
  }
  db.changes.emit({ kind: "delivery", path, op: "update" });
}
