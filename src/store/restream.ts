// Restream destinations of a stream: ["restream", path, id] -> Destination. The platform's key (or WHIP
// bearer token) is kept only sealed (AES-256-GCM, src/core/seal.ts; the caller seals, this file never sees
// it in clear) with a masked hint for display. Every write is one atomic operation with its audit entry and
// announces a "destination" change (src/core/changes.ts), which the restreamer follows
// (src/restream/restreamer.ts via src/app/invalidation.ts).
import { StoreError } from "../core/errors.ts";
import type { Sealed } from "../core/seal.ts";
import { randomToken } from "../core/crypto.ts";
import type { Store } from "./kv.ts";
import { type AuditInput, withAudit } from "./audit.ts";

/**
 * How a destination is fed: RTMP(S) and SRT by ffmpeg's flv / mpegts muxers, WHIP by ffmpeg's RTP muxer and
 * livegate's WHIP client (src/restream/whip-client.ts).
 */
export type DestinationKind = "rtmp" | "rtmps" | "srt" | "whip";

export interface Destination {
  id: string;
  /** The stream path it restreams. */
  path: string;
  name: string;
  kind: DestinationKind;
  /** The URL without the key (rtmp://host/app, srt://host:port?latency=..., https://host/whip/...). */
  url: string;
  /** The key / stream id / bearer token, sealed with the destination id as context. */
  secret: Sealed;
  /** The key masked for display ("••••" and at most its last 4 characters). */
  keyHint: string;
  enabled: boolean;
  /**
   * Whether the destination's TLS certificate is verified (rtmps:// only; absent means true). false is the
   * explicit per-destination opt-out for a self-signed server.
   */
  tlsVerify?: boolean;
  /**
   * The user who created it or last changed it: it runs only while they may manage the stream (like a
   * stream key a user created, permissions.ts), so a demoted or removed owner's channel stops receiving.
   */
  by: string;
  created: number;
  updated: number;
}

/** The fields a create or update sets (already validated; `secret` sealed for the id). */
export interface DestinationInput {
  name: string;
  kind: DestinationKind;
  url: string;
  secret: Sealed;
  keyHint: string;
  enabled: boolean;
  /** rtmps:// only: false turns certificate verification off for this destination. */
  tlsVerify?: boolean;
  by: string;
}

/** Most destinations one stream may have (each is one ffmpeg process while live). */
export const MAX_DESTINATIONS = 10;

const keyOf = (path: string, id: string): Deno.KvKey => ["restream", path, id];

/** A new destination id (12 URL-safe characters). */
export const newDestinationId = (): string => randomToken(9);

/** The destinations of `path`, oldest first. */
export async function listDestinations(db: Store, path: string): Promise<Destination[]> {
  const out: Destination[] = [];
  for await (const e of db.kv.list<Destination>({ prefix: ["restream", path] })) out.push(e.value);
  return out.sort((a, b) => a.created - b.created || a.id.localeCompare(b.id));
}

/** Every destination of every stream. */
export async function listAllDestinations(db: Store): Promise<Destination[]> {
  const out: Destination[] = [];
  for await (const e of db.kv.list<Destination>({ prefix: ["restream"] })) out.push(e.value);
  return out;
}

export async function getDestination(db: Store, path: string, id: string): Promise<Destination | null> {
  if (typeof id !== "string" || id.length > 64) return null;
  return (await db.kv.get<Destination>(keyOf(path, id))).value;
}

/**
 * Adds a destination to `path` under `id` (from newDestinationId; the secret is sealed for it). Throws
 * StoreError: not_found (no such stream), invalid (MAX_DESTINATIONS reached), conflict (changed meanwhile).
 */
export async function createDestination(
  db: Store,
  path: string,
  id: string,
  input: DestinationInput,
  audit?: AuditInput,
): Promise<Destination> {
  const kv = db.kv;
  const stream = await kv.get(["streams", path]);
  if (!stream.value) throw new StoreError("not_found", `no stream '${path}'`);
  const existing = await listDestinations(db, path);
  if (existing.length >= MAX_DESTINATIONS) {
    throw new StoreError("invalid", `a stream can have at most ${MAX_DESTINATIONS} destinations`);
  }
  const now = Date.now();
  const d: Destination = { id, path, ...input, created: now, updated: now };
  const op = kv.atomic().check(stream).check({ key: keyOf(path, id), versionstamp: null }).set(
    keyOf(path, id),
    d,
  );
  const res = await withAudit(op, audit).commit();
  if (!res.ok) throw new StoreError("conflict", "the stream changed meanwhile; try again");
  db.changes.emit({ kind: "destination", path, id, op: "create" });
  return d;
}

/**
 * Changes a destination (a field-wise patch on the current record). Throws StoreError not_found, conflict
 * (after 10 tries).
 */
export async function updateDestination(
  db: Store,
  path: string,
  id: string,
  patch: Partial<DestinationInput>,
  audit?: AuditInput,
): Promise<Destination> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const cur = await db.kv.get<Destination>(keyOf(path, id));
    if (!cur.value) throw new StoreError("not_found", `no destination '${id}' on stream '${path}'`);
    const next: Destination = { ...cur.value, ...patch, updated: Date.now() };
    const res = await withAudit(db.kv.atomic().check(cur).set(keyOf(path, id), next), audit).commit();
    if (res.ok) {
      db.changes.emit({ kind: "destination", path, id, op: "update" });
      return next;
    }
  }
  throw new StoreError("conflict", "the destination is being changed by others; try again");
}

/** Deletes a destination. Throws StoreError not_found. */
export async function deleteDestination(
  db: Store,
  path: string,
  id: string,
  audit?: AuditInput,
): Promise<void> {
  const cur = await db.kv.get<Destination>(keyOf(path, id));
  if (!cur.value) throw new StoreError("not_found", `no destination '${id}' on stream '${path}'`);
  const res = await withAudit(db.kv.atomic().check(cur).delete(keyOf(path, id)), audit).commit();
  if (!res.ok) throw new StoreError("conflict", "the destination changed meanwhile; try again");
  db.changes.emit({ kind: "destination", path, id, op: "delete" });
}

/** Deletes every destination of `path` (its stream was deleted); returns how many. */
export async function deleteDestinationsOf(db: Store, path: string): Promise<number> {
  let n = 0;
  for await (const e of db.kv.list<Destination>({ prefix: ["restream", path] })) {
    await db.kv.delete(e.key);
    db.changes.emit({ kind: "destination", path, id: e.value.id, op: "delete" });
    n++;
  }
  return n;
}

/** Writes an audit entry about a destination's health (state changes seen by the restreamer). */
export async function auditDestination(db: Store, audit: AuditInput): Promise<void> {
  await withAudit(db.kv.atomic(), audit).commit();
}
