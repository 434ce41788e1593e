// The early start of WebRTC playback (time to first frame, issue #23): a bundle of a few KiB that the
// watch and embed pages load before the player (static/player.ts, ~600 KiB with hls.js). When WebRTC is
// wanted for sure (?mode=webrtc, or this browser got WebRTC for this stream last time) it makes the peer
// connection and offer, POSTs it to /whep/<path>, applies the answer and shows the session in the page's
// <video> (autoplay) at once, so ICE, DTLS and the wait for the stream's next keyframe happen while the
// player bundle loads and parses; the player then takes this session over (whep.ts startWhep) or, when it
// plays LL-HLS after all, drops it (dropWarmWhep). Otherwise only the connection and offer are prepared, as
// the player would. Same rules as the player: ?mode=hls and share links (LL-HLS) start nothing; ?early=0
// leaves it all to the player (for comparison).
import { prewarmWhep } from "./whep.ts";

performance.mark("livegate:early"); // time to first frame breakdown (bench/ttff.ts)
const video = document.getElementById("video") as HTMLVideoElement | null;
const body = document.body.dataset;
const path = body.path ?? "live";
const csrf = body.csrf ?? "";
const forced = new URLSearchParams(location.search).get("mode") ?? (body.share ? "hls" : null);
let last: string | null = null;
try {
  last = globalThis.localStorage?.getItem(`livegate.mode.${path}`) ?? null; // as static/player.ts keeps it
} catch { /* storage blocked (sandboxed frames) */ }
// The first presented frame, for the player's quality beacon (static/beacon.ts) that loads later.
(video as { requestVideoFrameCallback?: (cb: () => void) => number } | null)?.requestVideoFrameCallback?.call(
  video,
  () => performance.mark("livegate:frame"),
);
// ?early=0 leaves the start to the player (the comparison in bench/ttff.ts).
const off = new URLSearchParams(location.search).get("early") === "0";
if (video && csrf && forced !== "hls" && !off) {
  const sure = forced === "webrtc" || (!forced && last === "webrtc");
  prewarmWhep(sure ? { path, csrf, video } : undefined);
}
