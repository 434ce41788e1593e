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
