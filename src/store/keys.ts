// Stream keys: random tokens shown once; KV stores only their SHA-256.
// ["keys", path, id] -> StreamKey and ["key_hash", sha256] -> {path, id}; keys created by a user (a
// streamer or admin through the API) are also indexed as ["user_keys", owner, id] -> path, so deleting the
// user removes them in the same transaction.
import { StoreError } from "../core/errors.ts";
import { randomToken, sha256Hex } from "../core/crypto.ts";
import { NAME_RE, type Store } from "./kv.ts";
import { type AuditInput, withAudit } from "./audit.ts";
import { checkText } from "./text.ts";

export interface StreamKey {
  id: string;
  path: string;
  name: string;
  hash: string;
  created: number;
  lastUsed?: number;
  /** The user who created it (API); its publish rights are checked on every use. None: CLI/operator key. */
  owner?: string;
}

export function validatePath(path: string): void {
  if (!NAME_RE.test(path)) {
    throw new StoreError(
      "invalid",
      "stream path must be 1-64 letters, digits, '_', '-' or '.', not starting with '.' or '-'",
    );
  }
}

/** Checks a key's name: 1-64 characters, no control characters (store/text.ts). Throws StoreError. */
export function validateKeyName(name: unknown): string {
  return checkText(name, "key name", 64, 1);
}

export async function createKey(
  db: Store,
  path: string,
  name = "default",
  opts: { owner?: string; audit?: AuditInput } = {},
): Promise<{ key: string; meta: StreamKey }> {
  const kv = db.kv;
  validatePath(path);
  validateKeyName(name);
  const key = `lg_${randomToken(24)}`;
  const meta: StreamKey = {
    id: randomToken(6),
    path,
    name,
    hash: await sha256Hex(key),
    created: Date.now(),
  };
  if (opts.owner) meta.owner = opts.owner;
  // The stream record and the owner must not change meanwhile (a concurrent delete would orphan the key).
  const stream = await kv.get(["streams", path]);
  const op = kv.atomic().check(stream)
    .set(["keys", path, meta.id], meta)
    .set(["key_hash", meta.hash], { path, id: meta.id });
  if (opts.owner) {
    const owner = await kv.get(["users", opts.owner]);
    if (!owner.value) throw new StoreError("not_found", `no user '${opts.owner}'`);
    op.check(owner).set(["user_keys", opts.owner, meta.id], path);
  }
  const res = await withAudit(op, opts.audit).commit();
  if (!res.ok) throw new StoreError("conflict", "the stream or its owner changed meanwhile; try again");
  db.changes.emit({ kind: "key", path, id: meta.id, op: "create" });
  return { key, meta };
}

export async function listKeys(db: Store, path?: string): Promise<StreamKey[]> {
  const kv = db.kv;
  const out: StreamKey[] = [];
  for await (const e of kv.list<StreamKey>({ prefix: path ? ["keys", path] : ["keys"] })) out.push(e.value);
  return out;
}

export async function getKeyById(db: Store, id: string): Promise<StreamKey | null> {
  const kv = db.kv;
  if (typeof id !== "string" || id.length > 64) return null;
  for await (const e of kv.list<StreamKey>({ prefix: ["keys"] })) if (e.value.id === id) return e.value;
  return null;
}

export async function revokeKey(db: Store, id: string, audit?: AuditInput): Promise<StreamKey> {
  const kv = db.kv;
  for (let attempt = 0; attempt < 10; attempt++) {
    let found: Deno.KvEntry<StreamKey> | null = null;
    for await (const e of kv.list<StreamKey>({ prefix: ["keys"] })) {
      if (e.value.id === id) found = e;
    }
    if (!found) break;
    const op = kv.atomic().check(found).delete(found.key).delete(["key_hash", found.value.hash]);
    if (found.value.owner) op.delete(["user_keys", found.value.owner, id]);
    if ((await withAudit(op, audit).commit()).ok) {
      db.changes.emit({ kind: "key", path: found.value.path, id, op: "revoke" });
      return found.value;
    }
  }
  throw new StoreError("not_found", `no key with id '${id}'`);
}

/**
 * Finds the key record for a presented key. The lookup is by SHA-256 of the key, so the time taken does
 * not depend on how much of a guess matches a real key.
 */
export async function findKey(db: Store, key: string): Promise<StreamKey | null> {
  if (!key || key.length > 256) return null;
  return await findKeyByHash(db, await sha256Hex(key));
}

/** The key record for the SHA-256 (hex) of a presented key. */
export async function findKeyByHash(db: Store, hash: string): Promise<StreamKey | null> {
  const kv = db.kv;
  const ref = await kv.get<{ path: string; id: string }>(["key_hash", hash]);
  if (!ref.value) return null;
  return (await kv.get<StreamKey>(["keys", ref.value.path, ref.value.id])).value;
}

/** Minimum time between two lastUsed writes of a key. */
export const TOUCH_EVERY_MS = 60_000;

/**
 * Records when a key was last used. Best effort, checked so it never resurrects a revoked key. At most
 * once per TOUCH_EVERY_MS: a KV write on every hook call was the slowest part of a publish decision under
 * load (see BENCHMARKS.md). Also sets `k.lastUsed` in memory, so a record the hook keeps in its cache
 * (src/auth/publish-cache.ts) is not written again on the next call.
 */
export async function touchKey(db: Store, k: StreamKey, now = Date.now()): Promise<void> {
  const kv = db.kv;
  if (k.lastUsed !== undefined && now - k.lastUsed < TOUCH_EVERY_MS) return;
  k.lastUsed = now;
  const cur = await kv.get<StreamKey>(["keys", k.path, k.id]);
  if (!cur.value) return;
  await kv.atomic().check(cur).set(cur.key, { ...cur.value, lastUsed: now }).commit().catch(() => {});
}
