// Pulled sources: ["sources", path] -> SourceRecord, the URL livegate has MediaMTX pull a stream from (an IP
// camera, a remote RTSP/RTMP/HLS/SRT stream) instead of waiting for a publish. The URL may carry
// credentials, so it is kept only sealed (AES-GCM, src/core/secret-box.ts, bound to the path) next to a
// masked form for pages and API answers. A stream with a source is not published to (the door refuses:
// src/auth/access.ts). Every write announces a "stream" change (the stream's settings changed: decisions
// and the publish recheck follow).
import type { Store } from "./kv.ts";
import { NAME_RE } from "./kv.ts";
import { type AuditInput, withAudit } from "./audit.ts";
import { StoreError } from "../core/errors.ts";

export interface SourceRecord {
  path: string;
  /** The URL, sealed with the app's secret box (never stored in clear). */
  sealed: string;
  /** The URL with its credentials replaced by "***" (what pages, API answers and logs show). */
  masked: string;
  /** true: pulled only while someone watches (MediaMTX sourceOnDemand); false: always on. */
  onDemand: boolean;
  /** When it was last set (ms since epoch) and by whom. */
  updated: number;
  by: string;
}

export const sourceKey = (path: string): Deno.KvKey => ["sources", path];

/** The stream's source, or null when it has none (or the path is not a stream name). */
export async function getSource(db: Store, path: string): Promise<SourceRecord | null> {
  if (!NAME_RE.test(path)) return null;
  return (await db.kv.get<SourceRecord>(sourceKey(path))).value;
}

/** Whether the stream at `path` pulls from a source (then nobody publishes to it). */
export async function hasSource(db: Store, path: string): Promise<boolean> {
  return (await getSource(db, path)) !== null;
}

/** Every stream with a source. */
export async function listSources(db: Store): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const e of db.kv.list<SourceRecord>({ prefix: ["sources"] })) out.push(e.value);
  return out;
}

/**
 * Sets the source of the registered stream `rec.path` (with an audit entry). Throws StoreError not_found
 * when there is no such stream, conflict when it changed meanwhile 20 times in a row.
 */
export async function setSource(db: Store, rec: SourceRecord, audit?: AuditInput): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const stream = await db.kv.get(["streams", rec.path]);
    if (!stream.value) throw new StoreError("not_found", `no stream '${rec.path}'`);
    const res = await withAudit(db.kv.atomic().check(stream).set(sourceKey(rec.path), rec), audit).commit();
    if (res.ok) {
      db.changes.emit({ kind: "stream", path: rec.path, op: "update" });
      return;
    }
  }
  throw new StoreError("conflict", `stream '${rec.path}' is being changed by others; try again`);
}

/** Removes the stream's source (with an audit entry); false when it had none. */
export async function deleteSource(db: Store, path: string, audit?: AuditInput): Promise<boolean> {
  const cur = await db.kv.get<SourceRecord>(sourceKey(path));
  if (!cur.value) return false;
  const res = await withAudit(db.kv.atomic().check(cur).delete(sourceKey(path)), audit).commit();
  if (!res.ok) throw new StoreError("conflict", `the source of '${path}' changed meanwhile; try again`);
  db.changes.emit({ kind: "stream", path, op: "update" });
  return true;
}
