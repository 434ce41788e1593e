// Which requests a request-serving worker answers itself and which it forwards to the main isolate
// (LIVEGATE_WORKERS > 1). A worker answers what is hit per viewer many times a second and is correct in
// any isolate: HLS media and playlists of a stream (the door, the session and decision caches follow the
// relayed changes, relay.ts), the edge origin's signed paths, the player's static files and /health.
// Everything else goes to the main isolate, which holds the state that lives in one place: WHEP/WHIP
// sessions and their owners, publish tickets, the MediaMTX auth hook's publish ledger, chat rooms, login
// rate limits, analytics beacons, the quality ladder's running rungs, restream and source processes.

/** Matches a stream's HLS files under /hls/ (a rung's too); not the bare multivariant playlist. */
const HLS_RE = /^\/hls\/[^/]+\/(?:[^/]+\/)?[^/]+$/;
const MULTIVARIANT_RE = /^\/hls\/[^/]+\/index\.m3u8$/;

/**
 * Whether a worker answers `method` `url` itself (true) or forwards it to the main isolate (false). The
 * multivariant playlist of /hls/<path>/index.m3u8 is forwarded unless it is an LL-HLS blocking reload
 * (`_HLS_msn`): with a quality ladder it is combined from the rungs the main isolate runs.
 */
export function servedByWorker(method: string, url: URL): boolean {
  if (method !== "GET" && method !== "HEAD") return false;
  const p = url.pathname;
  if (p === "/health") return true;
  if (p.startsWith("/e/")) return true;
  if (p.startsWith("/static/") || p.startsWith("/dist/")) return true;
  if (HLS_RE.test(p)) return !MULTIVARIANT_RE.test(p) || url.searchParams.has("_HLS_msn");
  return false;
}
