// The early start of WebRTC playback (time to first frame, issue #23): a bundle of a few KiB that the
// watch and embed pages load before the player (static/player.ts, ~600 KiB with hls.js). When WebRTC is
// wanted for sure (?mode=webrtc, or this browser got WebRTC for this stream last time) it makes the peer
// connection and offer, POSTs it to /whep/<path>, applies the answer and shows the session in the page's
// <video> (autoplay) at once, so ICE, DTLS and the wait for the stream's next keyframe happen while the
// player bundle loads and parses; the player then takes this session over (whep.ts startWhep) or, when it
// plays LL-HLS after all, drops it (dropWarmWhep). Otherwise only the connection and offer are prepared, as
// the player would. Same rules as the player: ?mode=hls and share links (LL-HLS) start nothing; ?early=0
// leaves it all to the player (for comparison). It also starts the player itself, once the offer has left.
import { prewarmWhep } from "./whep.ts";

performance.mark("livegate:early"); // time to first frame breakdown (bench/ttff.ts)
// An async module: it may run before the page's body is parsed. The stream, CSRF token and share link come
// from its own <script data-lg-early data-path data-csrf [data-share]> (else from <body>, as the player's).
const data = document.querySelector<HTMLScriptElement>("script[data-lg-early]")?.dataset ??
  document.body?.dataset ?? {};
const path = data.path ?? "live";
const csrf = data.csrf ?? "";
const forced = new URLSearchParams(location.search).get("mode") ?? (data.share ? "hls" : null);
let last: string | null = null;
try {
  last = globalThis.localStorage?.getItem(`livegate.mode.${path}`) ?? null; // as static/player.ts keeps it
} catch { /* storage blocked (sandboxed frames) */ }
/** The page's <video id=video>, once the parser has made it. */
const video = new Promise<HTMLVideoElement | null>((resolve) => {
  const get = () => resolve(document.getElementById("video") as HTMLVideoElement | null);
  if (document.getElementById("video") || document.readyState !== "loading") get();
  else document.addEventListener("DOMContentLoaded", get, { once: true });
});
// The first presented frame, for the player's quality beacon (static/beacon.ts) that loads later.
video.then((v) =>
  (v as { requestVideoFrameCallback?: (cb: () => void) => number } | null)?.requestVideoFrameCallback?.call(
    v,
    () => performance.mark("livegate:frame"),
  )
);
// ?early=0 leaves the start to the player (the comparison in bench/ttff.ts).
const off = new URLSearchParams(location.search).get("early") === "0";
let left = Promise.resolve();
try {
  if (csrf && forced !== "hls" && !off) {
    const sure = forced === "webrtc" || (!forced && last === "webrtc");
    left = prewarmWhep(sure ? { path, csrf, video } : undefined);
  }
} catch { /* no WebRTC here: the player decides */ }

// The player runs once the offer has left (at most 1 s later) and the page is parsed: its bundle (fetched
// and compiled meanwhile: <link rel="modulepreload">) takes the main thread for a while, which would
// otherwise hold up the offer. This script is what starts it (the pages have no other tag for it).
const parsed = new Promise<void>((resolve) => {
  if (document.readyState !== "loading") resolve();
  else document.addEventListener("DOMContentLoaded", () => resolve(), { once: true });
});
Promise.race([left, new Promise((r) => setTimeout(r, 1000))]).then(() => parsed).then(() => {
  if (document.querySelector('script[src="/static/player.js"]')) return;
  document.body.append(
    Object.assign(document.createElement("script"), { type: "module", src: "/static/player.js" }),
  );
});
