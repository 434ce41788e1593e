// hls.js settings of the player, shared with the latency benchmark (bench/latency.ts) so the "direct
// from MediaMTX" row plays with exactly the player's settings.
export const LL_HLS_CONFIG = {
  lowLatencyMode: true,
  backBufferLength: 30,
  // Stay 0.5 s behind the live edge (MediaMTX's PART-HOLD-BACK). A count-based liveSync would mean
  // N x the 1 s segment and overrides PART-HOLD-BACK: with 2 it measured 2.07 s glass-to-glass (see
  // BENCHMARKS.md). hls.js widens the target by itself after a stall.
  liveSyncDuration: 0.5,
  liveMaxLatencyDuration: 5,
  maxLiveSyncPlaybackRate: 1.5,
  manifestLoadingMaxRetry: 2,
  levelLoadingMaxRetry: 4,
  fragLoadingMaxRetry: 4,
};

/** Playback time without a stall after which the player narrows its latency target again. */
export const RELAX_AFTER_MS = 20_000;

/**
 * hls.js widens its latency target by `liveSyncOnStallIncrease` (1 s) after a stall and keeps it wide for the
 * rest of the session: one stall while the page starts leaves a viewer ~1.5 s behind instead of 0.5 s. After
 * `afterMs` without a stall this sets the target back to `base` (hls.js then catches up by playing at up to
 * `maxLiveSyncPlaybackRate`). Self-contained (no imports, no outer names): the latency benchmark injects
 * its source into its bare hls.js page. Returns a function that stops it.
 */
export function relaxLatencyAfterStalls(
  hls: { targetLatency: number | null },
  media: HTMLMediaElement,
  base: number,
  afterMs: number,
): () => void {
  let lastStall = Date.now();
  const onWaiting = () => {
    lastStall = Date.now();
  };
  media.addEventListener("waiting", onWaiting);
  const id = setInterval(() => {
    const target = hls.targetLatency;
    if (target !== null && target > base + 0.05 && Date.now() - lastStall >= afterMs) {
      hls.targetLatency = base;
    }
  }, 1000);
  return () => {
    clearInterval(id);
    media.removeEventListener("waiting", onWaiting);
  };
}
