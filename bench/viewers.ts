// Simulated LL-HLS viewers, doing what hls.js does in low-latency mode: per track (video and the separate
// audio rendition MediaMTX publishes) a blocking playlist reload for the next part (_HLS_msn/_HLS_part),
// then the new parts, in order. Each viewer has its own login session.
//
// Stall model: a track starts playing PLAY_AFTER_MS after its first part arrived (MediaMTX's
// PART-HOLD-BACK is 0.5 s); part k is due when the playhead reaches it. A part arriving after its
// deadline is a stall; the playhead then waits for it (the next deadlines move by the stall).
// Errors: any non-2xx answer, network error (a malformed answer is counted as "protocol") or timeout; the
// track then reloads the playlist after 500 ms, like hls.js retrying.
//
// Client: each track has its own keep-alive HTTP/1.1 connection (http1.ts), used for its playlist reloads,
// init segment and parts in order (the video track's also for the viewer's multivariant playlist), as a
// browser reuses connections. `fetch` with an AbortSignal per request cost the generator more CPU than
// livegate spent answering.
import { type Dist, dist } from "./stats.ts";
import { Http1Connection, Http1Error } from "./http1.ts";

const PLAY_AFTER_MS = 500;

export interface ViewerStats {
  viewers: number;
  requests: number;
  errors: number;
  errorKinds: Record<string, number>;
  stalls: number;
  /** Tracks (of 2 per viewer) that stalled at least once. */
  stalledTracks: number;
  parts: number;
  bytes: number;
  /** Time from the blocking playlist answering to the part's last byte, ms. */
  partFetch: Dist | null;
}

interface Part {
  msn: number;
  idx: number;
  uri: string;
  dur: number;
}

interface Playlist {
  init: string | null;
  parts: Part[];
  /** msn of the last complete segment (-1 if none). */
  lastComplete: number;
}

export function parseMediaPlaylist(text: string): Playlist {
  let msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1] ?? 0);
  const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(text)?.[1] ?? null;
  const parts: Part[] = [];
  let idx = 0;
  let lastComplete = -1;
  for (const line of text.split("\n")) {
    if (line.startsWith("#EXT-X-PART:")) {
      const uri = /URI="([^"]+)"/.exec(line)?.[1];
      const dur = Number(/DURATION=([\d.]+)/.exec(line)?.[1] ?? 0);
      if (uri) parts.push({ msn, idx: idx++, uri, dur });
    } else if (line && !line.startsWith("#")) {
      lastComplete = msn;
      msn++;
      idx = 0;
    }
  }
  return { init, parts, lastComplete };
}

interface Shared {
  hostname: string;
  port: number;
  /** Path of the base URL, e.g. /hls/live. */
  path: string;
  until: number;
  stats: ViewerStats;
  fetchMs: number[];
}

function fail(s: Shared, kind: string) {
  s.stats.errors++;
  s.stats.errorKinds[kind] = (s.stats.errorKinds[kind] ?? 0) + 1;
}

async function get(
  s: Shared,
  conn: Http1Connection,
  uri: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<Uint8Array | null> {
  s.stats.requests++;
  let res;
  try {
    res = await conn.get(`${s.path}/${uri}`, headers, timeoutMs);
  } catch (e) {
    fail(s, e instanceof Http1Error ? e.kind : "network");
    return null;
  }
  if (res.status < 200 || res.status > 299) {
    fail(s, `http ${res.status}`);
    return null;
  }
  s.stats.bytes += res.body.byteLength;
  return res.body;
}

const dec = new TextDecoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function track(
  s: Shared,
  conn: Http1Connection,
  playlistUri: string,
  headers: Record<string, string>,
): Promise<void> {
  const t = { stalled: false };
  try {
    await trackLoop(s, conn, playlistUri, headers, t);
  } finally {
    conn.close();
    if (t.stalled) s.stats.stalledTracks++;
  }
}

async function trackLoop(
  s: Shared,
  conn: Http1Connection,
  playlistUri: string,
  headers: Record<string, string>,
  t: { stalled: boolean },
) {
  let needInit = true;
  // Playback model.
  let t0 = 0; // wall time the playhead was at media time 0
  let media = 0; // media time (ms) at the start of the next part
  let last: { msn: number; idx: number } | null = null;
  let complete = -1;
  while (Date.now() < s.until) {
    let q = "";
    if (last) {
      const next = last.msn <= complete
        ? { msn: last.msn + 1, idx: 0 }
        : { msn: last.msn, idx: last.idx + 1 };
      q = `?_HLS_msn=${next.msn}&_HLS_part=${next.idx}`;
    }
    const body = await get(s, conn, `${playlistUri}${q}`, headers, 10_000);
    if (!body) {
      last = null; // reload from scratch, like a player recovering
      await sleep(500);
      continue;
    }
    const answered = performance.now();
    const pl = parseMediaPlaylist(dec.decode(body));
    complete = pl.lastComplete;
    if (needInit && pl.init) {
      if (!await get(s, conn, pl.init, headers, 5000)) {
        await sleep(500);
        continue;
      }
      needInit = false;
    }
    let todo: Part[];
    if (!last) {
      todo = pl.parts.slice(-1); // join at the live edge
      t0 = 0;
      media = 0;
    } else {
      const l = last;
      todo = pl.parts.filter((p) => p.msn > l.msn || (p.msn === l.msn && p.idx > l.idx));
    }
    for (const p of todo) {
      if (Date.now() >= s.until) return;
      const data = await get(s, conn, p.uri, headers, 5000);
      if (!data) {
        last = null;
        await sleep(500);
        break;
      }
      const now = performance.now();
      s.fetchMs.push(now - answered);
      s.stats.parts++;
      if (t0 === 0) t0 = now + PLAY_AFTER_MS;
      else if (now > t0 + media) {
        s.stats.stalls++;
        t.stalled = true;
        t0 = now - media; // the playhead waited for this part
      }
      media += p.dur * 1000;
      last = { msn: p.msn, idx: p.idx };
    }
  }
}

/** Runs `cookies.length` viewers against `base` (…/hls/live) for `seconds`, joining over `rampSeconds`. */
export async function runViewers(
  base: string,
  cookies: string[],
  seconds: number,
  rampSeconds: number,
): Promise<ViewerStats> {
  const stats: ViewerStats = {
    viewers: cookies.length,
    requests: 0,
    errors: 0,
    errorKinds: {},
    stalls: 0,
    stalledTracks: 0,
    parts: 0,
    bytes: 0,
    partFetch: null,
  };
  const start = Date.now();
  const url = new URL(base);
  if (url.protocol !== "http:") throw new Error(`viewers: only http:// bases, not ${base}`);
  const s: Shared = {
    hostname: url.hostname.replace(/^\[|\]$/g, ""),
    port: Number(url.port || 80),
    path: url.pathname.replace(/\/$/, ""),
    until: start + (rampSeconds + seconds) * 1000,
    stats,
    fetchMs: [],
  };
  const probe = new Http1Connection(s.hostname, s.port);
  const main = await get(s, probe, "index.m3u8", { cookie: cookies[0] }, 10_000);
  probe.close();
  if (!main) throw new Error(`cannot load ${base}/index.m3u8: ${JSON.stringify(stats.errorKinds)}`);
  const text = dec.decode(main);
  const uris = [
    /^(\S+\.m3u8)$/m.exec(text)?.[1],
    /#EXT-X-MEDIA:TYPE=AUDIO[^\n]*URI="([^"]+)"/.exec(text)?.[1],
  ].filter((u): u is string => !!u);
  const all: Promise<void>[] = [];
  for (let i = 0; i < cookies.length; i++) {
    const delay = (rampSeconds * 1000 * i) / cookies.length;
    all.push((async () => {
      await sleep(delay);
      const headers = { cookie: cookies[i] };
      // reuseBody: a body is only looked at (playlist decoded, part counted) before the next request.
      const conns = uris.map(() => new Http1Connection(s.hostname, s.port, { reuseBody: true }));
      // Each viewer first loads the multivariant playlist (on its first track's connection), then runs
      // its tracks.
      await get(s, conns[0], "index.m3u8", headers, 10_000);
      await Promise.all(uris.map((u, j) => track(s, conns[j], u, headers)));
    })());
  }
  await Promise.all(all);
  stats.partFetch = dist(s.fetchMs);
  return stats;
}
