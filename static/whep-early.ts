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
// The first presented frame, for the player's quality beacon (static/beacon.ts) that loads later. When it
// is this script's session (the player is not there yet), the "Connecting…" overlay goes: the picture is up.
let frameShown!: () => void;
const firstFrame = new Promise<void>((r) => frameShown = r);
video.then((v) =>
  (v as { requestVideoFrameCallback?: (cb: () => void) => number } | null)?.requestVideoFrameCallback?.call(
    v,
    () => {
      performance.mark("livegate:frame");
      frameShown();
      if (v?.srcObject && !(globalThis as { livegate?: unknown }).livegate) {
        document.getElementById("overlay")?.classList.add("hidden");
      }
    },
  )
);
// ?early=0 leaves the start to the player (the comparison in bench/ttff.ts).
const off = new URLSearchParams(location.search).get("early") === "0";
/**
 * Plays the early session in `v`: with sound where the browser allows it, else muted with the Unmute button
 * shown (as the player's tryPlay does; browsers block autoplay with sound without a user gesture).
 */
function autoplay(v: HTMLVideoElement) {
  v.play().catch(() => {
    v.muted = true;
    const b = document.getElementById("unmute");
    b?.classList.remove("hidden");
    b?.addEventListener("click", () => {
      v.muted = false;
      b.classList.add("hidden");
    }, { once: true });
    v.play().catch(() => {});
  });
}
let left = Promise.resolve();
try {
  if (csrf && forced !== "hls" && !off) {
    const sure = forced === "webrtc" || (!forced && last === "webrtc");
    left = prewarmWhep(sure ? { path, csrf, video, onShown: autoplay } : undefined);
  }
} catch { /* no WebRTC here: the player decides */ }
const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// The player runs once the offer has left (at most 1 s later) and the page is parsed: its bundle (fetched
// and compiled meanwhile: <link rel="modulepreload">) takes the main thread for a while, which would
// otherwise hold up the offer. (Holding it until the early session's first frame was measured too: no
// gain in time to first frame, BENCHMARKS.md.) This script is what starts it (the pages have no other tag).
const parsed = new Promise<void>((resolve) => {
  if (document.readyState !== "loading") resolve();
  else document.addEventListener("DOMContentLoaded", () => resolve(), { once: true });
});
Promise.race([left, wait(1000)]).then(() => parsed).then(() => {
  if (document.querySelector('script[src="/static/player.js"]')) return;
  document.body.append(
    Object.assign(document.createElement("script"), { type: "module", src: "/static/player.js" }),
  );
});

// The page's other scripts (data-later: chat, rewind) once the first frame is on screen, or 1.5 s after the
// page is parsed when none comes (offline, a refusal): their evaluation takes the main thread for tens of
// ms, which the picture should not wait for.
const later = (data.later ?? "").split(" ").filter((s) => s.startsWith("/static/"));
if (later.length) {
  Promise.race([firstFrame, parsed.then(() => wait(1500))]).then(() => {
    for (const src of later) {
      document.body.append(Object.assign(document.createElement("script"), { type: "module", src }));
    }
  });
}
