// Live state from MediaMTX's control API (127.0.0.1, internal credential): what is published, by whom
// (remote address, protocol), codecs, inbound bitrate, readers; and kicking a publisher.
import { basicAuth } from "./secrets.ts";
import { mediamtxUrls } from "./env.ts";
import type { AppDeps } from "../http/context.ts";

type Deps = Pick<AppDeps, "cfg" | "secrets">;

/** MediaMTX source/reader types -> the API collection that can get/kick them. */
const COLLECTIONS: Record<string, string> = {
  rtmpConn: "rtmpconns",
  rtmpsConn: "rtmpsconns",
  rtspSession: "rtspsessions",
  rtspsSession: "rtspssessions",
  srtConn: "srtconns",
  webRTCSession: "webrtcsessions",
  moqSession: "moqsessions",
  hlsSession: "hlssessions",
};

export interface LivePath {
  name: string;
  online: boolean;
  onlineSince: string | null;
  codecs: string[];
  inboundBytes: number;
  /** Inbound bits per second since the previous sample of this path (null on the first). */
  bitrate: number | null;
  source: { type: string; id: string } | null;
  /** MediaMTX readers, by type (livegate's HLS proxy counts as one hlsMuxer/hidden reader). */
  readers: { type: string; id: string }[];
}

export interface Publisher {
  type: string;
  id: string;
  remoteAddr: string | null;
  protocol: string;
  inboundBytes: number | null;
  created: string | null;
}

async function call(deps: Deps, method: "GET" | "POST", path: string, timeoutMs = 3000) {
  const res = await fetch(`${mediamtxUrls(deps.cfg).api}${path}`, {
    method,
    headers: { authorization: basicAuth(deps.secrets) },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (res.status === 404) {
    await res.body?.cancel();
    return null;
  }
  if (!res.ok) {
    const text = await res.text().catch(() => "");
    throw new Error(`MediaMTX API ${method} ${path} answered ${res.status} ${text.slice(0, 200)}`);
  }
  const text = await res.text();
  return text ? JSON.parse(text) : {};
}

const samples = new WeakMap<object, Map<string, { t: number; bytes: number; rate: number | null }>>();

interface RawPath {
  name: string;
  online?: boolean;
  ready?: boolean;
  onlineTime?: string | null;
  readyTime?: string | null;
  inboundBytes?: number;
  bytesReceived?: number;
  source?: { type: string; id: string } | null;
  readers?: { type: string; id: string }[];
  tracks2?: { codec: string }[];
  tracks?: string[];
}

function toLive(
  p: RawPath,
  sampleMap: Map<string, { t: number; bytes: number; rate: number | null }>,
): LivePath {
  const online = !!(p.online ?? p.ready);
  const bytes = p.inboundBytes ?? p.bytesReceived ?? 0;
  const now = Date.now();
  const prev = sampleMap.get(p.name);
  let rate: number | null = prev?.rate ?? null;
  if (prev && now - prev.t >= 500 && bytes >= prev.bytes) {
    rate = Math.round(((bytes - prev.bytes) * 8 * 1000) / (now - prev.t));
  }
  if (!prev || now - prev.t >= 500) sampleMap.set(p.name, { t: now, bytes, rate });
  return {
    name: p.name,
    online,
    onlineSince: p.onlineTime ?? p.readyTime ?? null,
    codecs: p.tracks2?.map((t) => t.codec) ?? p.tracks ?? [],
    inboundBytes: bytes,
    bitrate: online ? rate : null,
    source: p.source ?? null,
    readers: p.readers ?? [],
  };
}

/** Every path MediaMTX knows, with live details. Throws when MediaMTX is not reachable. */
export async function livePaths(deps: Deps): Promise<LivePath[]> {
  const body = await call(deps, "GET", "/v3/paths/list?itemsPerPage=1000");
  let m = samples.get(deps.secrets);
  if (!m) samples.set(deps.secrets, m = new Map());
  const sampleMap = m;
  return ((body?.items ?? []) as RawPath[]).map((p) => toLive(p, sampleMap));
}

/** The publisher of a path, with its remote address; null when nobody publishes. */
export async function publisherOf(deps: Deps, p: LivePath): Promise<Publisher | null> {
  if (!p.source) return null;
  const coll = COLLECTIONS[p.source.type];
  const base: Publisher = {
    type: p.source.type,
    id: p.source.id,
    remoteAddr: null,
    protocol: p.source.type.replace(/(Conn|Session|Source)$/, "").toLowerCase(),
    inboundBytes: null,
    created: null,
  };
  if (!coll) return base;
  const d = await call(deps, "GET", `/v3/${coll}/get/${encodeURIComponent(p.source.id)}`);
  if (!d) return base;
  return {
    ...base,
    remoteAddr: d.remoteAddr ?? null,
    inboundBytes: d.inboundBytes ?? d.bytesReceived ?? null,
    created: d.created ?? null,
  };
}

/**
 * Kicks whoever publishes to `path`. Returns the kicked source, or null when the path is not being
 * published (or its source cannot be kicked, e.g. a pulled source).
 */
export async function kickPublisher(deps: Deps, path: string): Promise<{ type: string; id: string } | null> {
  const p = await call(deps, "GET", `/v3/paths/get/${encodeURIComponent(path)}`);
  const src = p?.source as { type: string; id: string } | null | undefined;
  return src ? await kickSource(deps, src) : null;
}

/** Kicks one MediaMTX connection or session; null when it is gone or cannot be kicked. */
export async function kickSource(
  deps: Deps,
  src: { type: string; id: string },
): Promise<{ type: string; id: string } | null> {
  const coll = COLLECTIONS[src.type];
  if (!coll) return null;
  const r = await call(deps, "POST", `/v3/${coll}/kick/${encodeURIComponent(src.id)}`);
  return r === null ? null : { type: src.type, id: src.id };
}
