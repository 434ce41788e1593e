// Who watches a stream at one sample, from what livegate already tracks: HLS viewers (src/auth/viewers.ts,
// counted on each request of the proxy and its hot path) that made a request within the last sample
// interval, and WebRTC readers (WHEP sessions of src/auth/reader-recheck.ts) whose MediaMTX session is still
// among the path's readers. Pure: no I/O, no clock.
import type { Viewer } from "../auth/viewers.ts";
import type { Reader } from "../auth/reader-recheck.ts";
import type { MtxConn } from "../mediamtx/client.ts";
import type { Delivery } from "../store/analytics.ts";

/**
 * The identity of a WebRTC reader in the same form the HLS tracker uses (watch-check.ts): the login
 * session's id, `share:<link id>:<address>`, or `ip:<address>`. So a viewer moving from WebRTC to LL-HLS
 * stays one viewer.
 */
export function readerIdentity(r: Pick<Reader, "starter">): { id: string; share: boolean } {
  const s = r.starter;
  if (s.sessionId) return { id: s.sessionId, share: false };
  if (s.share) return { id: `share:${s.share.split(".")[0]}:${s.ip ?? ""}`, share: true };
  return { id: `ip:${s.ip ?? ""}`, share: false };
}

/**
 * The viewers present on `path` at `now` (ms): identity -> delivery. An HLS viewer is present when its
 * latest request is less than `windowMs` old (the sample interval: LL-HLS players ask several times a
 * second); a WHEP reader while MediaMTX lists its session (`mtxReaders`, the path's readers in the latest
 * snapshot). Share-link viewers count as "share" whatever the transport.
 */
export function presentViewers(opts: {
  path: string;
  now: number;
  windowMs: number;
  hls: Viewer[];
  readers: [string, Reader][];
  mtxReaders: MtxConn[];
}): Map<string, Delivery> {
  const out = new Map<string, Delivery>();
  const rtc = new Set(opts.mtxReaders.filter((r) => r.type === "webRTCSession").map((r) => r.id));
  for (const [, r] of opts.readers) {
    if (r.kind !== "whep" || r.path !== opts.path || !r.mtxId || !rtc.has(r.mtxId)) continue;
    const { id, share } = readerIdentity(r);
    out.set(id, share ? "share" : "webrtc");
  }
  for (const v of opts.hls) {
    if (opts.now - v.lastSeen >= opts.windowMs || out.has(v.id)) continue;
    out.set(v.id, v.kind === "share" ? "share" : "hls");
  }
  return out;
}
