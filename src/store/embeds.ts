// Which sites may frame a stream's embeddable player (/embed/<path>): ["embed_origins", path] -> origins
// (e.g. "https://blog.example.com"), turned into the CSP frame-ancestors of that page
// (src/web/embed-page.ts). No record: only livegate itself may frame it. Writes announce a "stream" change.
import { StoreError } from "../core/errors.ts";
import { type AuditInput, withAudit } from "./audit.ts";
import { NAME_RE, type Store } from "./kv.ts";

export const MAX_EMBED_ORIGINS = 50;
export const embedKey = (path: string): Deno.KvKey => ["embed_origins", path];

/**
 * Checks a list of origins (array, or a string separated by spaces/commas). Each must be an http(s) origin
 * exactly: scheme, host and optional port, no path, query, credentials or wildcard (CSP host-source
 * syntax, CSP3 §2.3.2, would read anything else differently). Throws StoreError "invalid" naming the entry.
 */
export function validateOrigins(raw: unknown): string[] {
  let list = raw;
  if (typeof list === "string") list = list.split(/[\s,]+/).filter(Boolean);
  if (!Array.isArray(list)) throw new StoreError("invalid", "embedOrigins must be a list of origins");
  if (list.length > MAX_EMBED_ORIGINS) {
    throw new StoreError("invalid", `embedOrigins: at most ${MAX_EMBED_ORIGINS} origins`);
  }
  const out = new Set<string>();
  for (const o of list) {
    if (typeof o !== "string" || o.length > 300) {
      throw new StoreError("invalid", "embedOrigins: each is a string");
    }
    let u: URL | null = null;
    try {
      u = new URL(o);
    } catch { /* below */ }
    if (
      !u || !/^https?:$/.test(u.protocol) || u.origin !== o.replace(/\/$/, "") || u.username || u.password
    ) {
      throw new StoreError(
        "invalid",
        `embedOrigins: '${
          o.slice(0, 100)
        }' is not an origin like https://blog.example.com (scheme, host, port only)`,
      );
    }
    out.add(u.origin);
  }
  return [...out].sort();
}

/** The origins allowed to frame `path`'s player ([] : livegate itself only). */
export async function getEmbedOrigins(db: Store, path: string): Promise<string[]> {
  if (!NAME_RE.test(path)) return [];
  return (await db.kv.get<string[]>(embedKey(path))).value ?? [];
}

/** Sets the origins of the registered stream `path`. Throws StoreError not_found, conflict. */
export async function setEmbedOrigins(
  db: Store,
  path: string,
  origins: string[],
  audit?: AuditInput,
): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const stream = await db.kv.get(["streams", path]);
    if (!stream.value) throw new StoreError("not_found", `no stream '${path}'`);
    const op = db.kv.atomic().check(stream);
    if (origins.length) op.set(embedKey(path), origins);
    else op.delete(embedKey(path));
    if ((await withAudit(op, audit).commit()).ok) {
      db.changes.emit({ kind: "stream", path, op: "update" });
      return;
    }
  }
  throw new StoreError("conflict", `stream '${path}' is being changed by others; try again`);
}
