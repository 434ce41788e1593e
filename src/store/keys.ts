// Stream keys: random tokens shown once; KV stores only their SHA-256.
// ["keys", path, id] -> StreamKey and ["key_hash", sha256] -> {path, id}.
import { randomToken, sha256Hex } from "../auth/bytes.ts";
import { NAME_RE } from "./kv.ts";

export interface StreamKey {
  id: string;
  path: string;
  name: string;
  hash: string;
  created: number;
  lastUsed?: number;
}

export class KeyError extends Error {
  constructor(readonly status: 400 | 404, message: string) {
    super(message);
  }
}

export function validatePath(path: string): void {
  if (!NAME_RE.test(path)) {
    throw new KeyError(
      400,
      "stream path must be 1-64 letters, digits, '_', '-' or '.', not starting with '.' or '-'",
    );
  }
}

export async function createKey(
  kv: Deno.Kv,
  path: string,
  name = "default",
): Promise<{ key: string; meta: StreamKey }> {
  validatePath(path);
  if (name.length < 1 || name.length > 64) throw new KeyError(400, "key name must be 1-64 characters");
  const key = `lg_${randomToken(24)}`;
  const meta: StreamKey = {
    id: randomToken(6),
    path,
    name,
    hash: await sha256Hex(key),
    created: Date.now(),
  };
  await kv.atomic()
    .set(["keys", path, meta.id], meta)
    .set(["key_hash", meta.hash], { path, id: meta.id })
    .commit();
  return { key, meta };
}

export async function listKeys(kv: Deno.Kv, path?: string): Promise<StreamKey[]> {
  const out: StreamKey[] = [];
  for await (const e of kv.list<StreamKey>({ prefix: path ? ["keys", path] : ["keys"] })) out.push(e.value);
  return out;
}

export async function revokeKey(kv: Deno.Kv, id: string): Promise<StreamKey> {
  for await (const e of kv.list<StreamKey>({ prefix: ["keys"] })) {
    if (e.value.id === id) {
      await kv.atomic().check(e).delete(e.key).delete(["key_hash", e.value.hash]).commit();
      return e.value;
    }
  }
  throw new KeyError(404, `no key with id '${id}'`);
}

/**
 * Finds the key record for a presented key. The lookup is by SHA-256 of the key, so the time taken does
 * not depend on how much of a guess matches a real key.
 */
export async function findKey(kv: Deno.Kv, key: string): Promise<StreamKey | null> {
  if (!key || key.length > 256) return null;
  const ref = await kv.get<{ path: string; id: string }>(["key_hash", await sha256Hex(key)]);
  if (!ref.value) return null;
  return (await kv.get<StreamKey>(["keys", ref.value.path, ref.value.id])).value;
}

/** True when `key` is a valid key for `path`; records when it was last used. */
export async function checkPublishKey(kv: Deno.Kv, path: string, key: string): Promise<boolean> {
  const k = await findKey(kv, key);
  if (!k || k.path !== path) return false;
  // Best effort, never blocks the decision on a conflict.
  kv.set(["keys", k.path, k.id], { ...k, lastUsed: Date.now() }).catch(() => {});
  return true;
}
