// Stream analytics records in Deno KV, under the "analytics" key prefix (src/analytics/ aggregates them in
// memory and writes them here in batches):
//   ["analytics", "sample", scope, t]            concurrent viewers at time t (ms); scope = path, or "*"
//                                                for the whole server. Raw samples have step = the sample
//                                                interval; older ones are merged into 5-minute samples.
//   ["analytics", "broadcast", path, start]      one publish from start to end (Broadcast)
//   ["analytics", "viewer", path, start, hash]   a viewer of that broadcast: a salted hash, never an address
//   ["analytics", "qoe", path, hour]             the players' quality reports of that hour (QoeHist)
//   ["analytics", "open", path]                  the start of the broadcast of `path` still running
//   ["analytics", "salt"]                        today's salt of the viewer hashes (replaced every UTC day)
// Every record but the salt and the open marker is written with expireIn = the retention, so KV drops it
// by itself after LIVEGATE_ANALYTICS_RETENTION. Writes announce a Change of kind "analytics".
import type { Store } from "./kv.ts";

/** How a viewer receives the stream: WebRTC (WHEP), LL-HLS, or anything through a share link. */
export type Delivery = "webrtc" | "hls" | "share";
export const DELIVERIES: readonly Delivery[] = ["webrtc", "hls", "share"];

/** The scope of the server-wide samples (not a valid path name, so never a stream's). */
export const SERVER_SCOPE = "*";

/** Concurrent viewers over one step (ms): `v` the average, `max` the highest count in it. */
export interface Sample {
  /** When it was taken (ms since the epoch); a downsampled one: the start of its 5 minutes. */
  t: number;
  /**
   * The time it stands for (ms): a raw sample the time since the previous one (the sample interval, at
   * most 3 of them), so viewers × step is its watch time; 300,000 once downsampled.
   */
  step: number;
  /** Viewers (average over the step; a raw sample's exact count). */
  v: number;
  /** Highest viewer count within the step. */
  max: number;
  /** Viewers by delivery (average over the step). */
  d: Record<Delivery, number>;
  /** Publisher's inbound bitrate (bits/s), null when unknown (server scope: always null). */
  br: number | null;
  /** Server scope: streams live. */
  live?: number;
}

/**
 * The players' quality reports: bucket counts (bucket bounds in src/analytics/qoe.ts, ms) for time to first
 * frame, each rebuffer's duration and the live latency, plus sums.
 */
export interface QoeHist {
  ttff: number[];
  rebuffer: number[];
  latency: number[];
  /** Beacons accepted. */
  beacons: number;
  rebufferCount: number;
  rebufferMs: number;
  /** Playing time the beacons covered (ms), for the rebuffer ratio. */
  playMs: number;
  levelChanges: number;
  fatalErrors: number;
}

/** Viewer totals of one delivery within a broadcast. */
export interface DeliveryTotals {
  peak: number;
  unique: number;
  /** Sum of every viewer's time watching (ms). */
  watchMs: number;
}

/** One broadcast: a publish of `path` from `start` to `end` (ms), with its viewers and quality. */
export interface Broadcast {
  path: string;
  start: number;
  /** null while it runs. */
  end: number | null;
  /** Time of the latest sample taken of it. */
  lastSampleAt: number;
  /** Publisher protocol, as MediaMTX names the source (rtmp, webrtc, srt, rtsp...). */
  protocol: string;
  codecs: string[];
  width: number | null;
  height: number | null;
  /** Inbound bitrate samples (bits/s): sum and count (average = sum / n), lowest and highest. */
  bitrate: { sum: number; n: number; min: number | null; max: number | null };
  peak: number;
  peakAt: number | null;
  unique: number;
  watchMs: number;
  delivery: Record<Delivery, DeliveryTotals>;
  qoe: QoeHist;
}

export const K = {
  sample: (scope: string, t: number): Deno.KvKey => ["analytics", "sample", scope, t],
  broadcast: (path: string, start: number): Deno.KvKey => ["analytics", "broadcast", path, start],
  viewer: (
    path: string,
    start: number,
    hash: string,
  ): Deno.KvKey => ["analytics", "viewer", path, start, hash],
  qoe: (path: string, hour: number): Deno.KvKey => ["analytics", "qoe", path, hour],
  open: (path: string): Deno.KvKey => ["analytics", "open", path],
  salt: ["analytics", "salt"] as Deno.KvKey,
};

/** One write of a batch: a set (with its expiry in ms, if any) or a delete. */
export type Mutation =
  | { key: Deno.KvKey; value: unknown; expireIn?: number }
  | { key: Deno.KvKey; delete: true };

/** Mutations per KV transaction (Deno KV allows at most 1,000). */
const CHUNK = 500;

/**
 * Writes `muts` in as few transactions as Deno KV allows (500 mutations each; a batch over that is not
 * atomic as a whole, each chunk is). Announces one Change. Returns the number of commits. Throws the
 * store's error (disk full, read-only) when a commit fails.
 */
export async function writeBatch(store: Store, muts: Mutation[], op: "batch" | "downsample" = "batch") {
  let commits = 0;
  for (let i = 0; i < muts.length; i += CHUNK) {
    const a = store.kv.atomic();
    for (const m of muts.slice(i, i + CHUNK)) {
      if ("delete" in m) a.delete(m.key);
      else a.set(m.key, m.value, m.expireIn ? { expireIn: m.expireIn } : undefined);
    }
    const r = await a.commit();
    if (!r.ok) throw new Error("analytics batch was not committed");
    commits++;
  }
  if (muts.length) store.changes.emit({ kind: "analytics", op, mutations: muts.length });
  return commits;
}

/** Samples of `scope` (a path or SERVER_SCOPE) with from <= t < to (ms), oldest first. */
export async function listSamples(store: Store, scope: string, from: number, to: number): Promise<Sample[]> {
  const out: Sample[] = [];
  const iter = store.kv.list<Sample>({ start: K.sample(scope, from), end: K.sample(scope, to) });
  for await (const e of iter) out.push(e.value);
  return out;
}

/** Broadcasts of `path` that overlap [from, to) (a running one counts up to `now`), oldest first. */
export async function listBroadcasts(
  store: Store,
  path: string,
  from: number,
  to: number,
  now: number,
): Promise<Broadcast[]> {
  const out: Broadcast[] = [];
  const iter = store.kv.list<Broadcast>({
    start: K.broadcast(path, 0),
    end: K.broadcast(path, to),
  });
  for await (const e of iter) if ((e.value.end ?? now) >= from) out.push(e.value);
  return out;
}

/** The broadcast of `path` that started at `start`, or null. */
export async function getBroadcast(store: Store, path: string, start: number): Promise<Broadcast | null> {
  return (await store.kv.get<Broadcast>(K.broadcast(path, start))).value;
}

/** The viewer hashes of a broadcast, with their delivery when first seen. */
export async function listViewerHashes(
  store: Store,
  path: string,
  start: number,
): Promise<Map<string, Delivery>> {
  const out = new Map<string, Delivery>();
  const iter = store.kv.list<{ d: Delivery }>({ prefix: ["analytics", "viewer", path, start] });
  for await (const e of iter) out.set(String(e.key[4]), e.value.d);
  return out;
}

/** The paths with a broadcast still marked running (path -> its start). */
export async function listOpen(store: Store): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const e of store.kv.list<number>({ prefix: ["analytics", "open"] })) {
    out.set(String(e.key[2]), e.value);
  }
  return out;
}

/** QoE records of `path` for the hours starting in [from, to), oldest first. */
export async function listQoe(
  store: Store,
  path: string,
  from: number,
  to: number,
): Promise<{ hour: number; q: QoeHist }[]> {
  const out: { hour: number; q: QoeHist }[] = [];
  const iter = store.kv.list<QoeHist>({ start: K.qoe(path, from), end: K.qoe(path, to) });
  for await (const e of iter) out.push({ hour: Number(e.key[3]), q: e.value });
  return out;
}

/** The scopes that have samples (paths and SERVER_SCOPE), for downsampling. */
export async function listSampleScopes(store: Store): Promise<string[]> {
  const out: string[] = [];
  // Jump from scope to scope: after each found key, continue past every key of that scope.
  let start: Deno.KvKey = ["analytics", "sample"];
  for (;;) {
    const it = store.kv.list({ start, end: ["analytics", "sample\u0000"] }, { limit: 1 });
    const r = await it.next();
    if (r.done) return out;
    const scope = String(r.value.key[2]);
    out.push(scope);
    start = ["analytics", "sample", scope + "\u0000"];
  }
}

/** Today's salt record ({day: "YYYY-MM-DD", salt: hex}), or null. */
export async function getSalt(store: Store): Promise<{ day: string; salt: string } | null> {
  return (await store.kv.get<{ day: string; salt: string }>(K.salt)).value;
}
