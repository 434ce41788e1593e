// The WebRTC player's automatic rung choice (Auto in the quality menu of a laddered stream, static/
// rtc-ladder.ts). WebRTC has no ABR of its own here: MediaMTX forwards the rung's packets as they come and
// does not lower a bitrate, so a viewer whose network cannot carry the rung sees lost packets, dropped
// frames, freezes and a jitter buffer that grows as packets queue up in the narrow link. This decides, from
// the receiver's inbound-rtp stats (W3C webrtc-stats: packetsReceived, packetsLost, framesDecoded,
// framesDropped, freezeCount, jitterBufferDelay / jitterBufferEmittedCount) and the candidate pair's
// availableIncomingBitrate when the browser reports it, when to step one rung down and when to try one up
// again, with hysteresis: down when DOWN_BAD of the last DOWN_OF windows (about a second each) were bad,
// up only after UP_AFTER_MS without a bad one (doubled, up to UP_HOLD_MAX_MS, each time an up-step had to be taken back soon after), and
// never two steps within HOLD_MS. Pure: stats samples in, decisions out (unit-tested with sequences).

/** Cumulative receiver counters at one moment (one getStats()), for the video being shown. */
export interface RtcSample {
  /** When it was taken (ms, any monotonic clock). */
  t: number;
  packetsReceived: number;
  packetsLost: number;
  framesDecoded: number;
  framesDropped: number;
  freezeCount: number;
  /** Seconds frames spent in the jitter buffer, summed, and how many frames left it (cumulative). */
  jitterBufferDelay: number;
  jitterBufferEmittedCount: number;
  /** The candidate pair's availableIncomingBitrate (bit/s), null when the browser does not report it. */
  availableIncomingBitrate: number | null;
}

/** A sample taken at `t` (ms) with every counter at zero and no available bitrate reported. */
export function zeroSample(t: number): RtcSample {
  return {
    t,
    packetsReceived: 0,
    packetsLost: 0,
    framesDecoded: 0,
    framesDropped: 0,
    freezeCount: 0,
    jitterBufferDelay: 0,
    jitterBufferEmittedCount: 0,
    availableIncomingBitrate: null,
  };
}

/** Thresholds of the automatic choice. */
export const AUTO = {
  /** A window with more than this share of packets lost is bad. */
  BAD_LOSS: 0.04,
  /** A window with more than this share of frames dropped (not decoded in time) is bad. */
  BAD_DROP: 0.1,
  /** This many bad windows among the last DOWN_OF: one rung down (trouble comes and goes in bursts). */
  DOWN_BAD: 3,
  DOWN_OF: 5,
  /** Good windows for this long in a row (ms): one rung up (first try). */
  UP_AFTER_MS: 15_000,
  /** The longest wait before trying up again (ms), after up-steps that had to be taken back. */
  UP_HOLD_MAX_MS: 120_000,
  /** An up-step taken back within this long (ms) doubles the wait before the next one. */
  FAILED_UP_MS: 30_000,
  /** No two steps within this long (ms): the new rung's first seconds are not judged by the old one's. */
  HOLD_MS: 4000,
  /** A window whose frames waited longer than this in the jitter buffer on average (s) is bad. */
  MAX_BUFFER_S: 0.6,
  /** Going up needs this much more available bandwidth than the higher rung's bitrate (when known). */
  HEADROOM: 1.3,
  /** Windows shorter than this (ms) are merged with the next sample. */
  MIN_WINDOW_MS: 500,
};

/** What the automatic choice remembers between samples. */
export interface AutoState {
  /** Level playing: 0 = the source (top), 1.. = rungs downwards. */
  level: number;
  prev: RtcSample | null;
  /** Verdicts of the last DOWN_OF windows (true: bad), oldest first. */
  recent: boolean[];
  goodSince: number | null;
  /** When the last step happened (ms), -Infinity before any. */
  lastStep: number;
  /** When the last up-step happened (ms), -Infinity before any. */
  lastUp: number;
  /** The wait for good windows before the next up-step (ms). */
  upHoldMs: number;
}

export function autoState(level = 0): AutoState {
  return {
    level,
    prev: null,
    recent: [],
    goodSince: null,
    lastStep: -Infinity,
    lastUp: -Infinity,
    upHoldMs: AUTO.UP_AFTER_MS,
  };
}

/** One window's verdict: the figures it was judged by, and why it was bad ("" when good). */
export interface Window {
  loss: number;
  drop: number;
  freezes: number;
  /** Why the window was bad (losses, drops, freezes, too little available bandwidth), "" when good. */
  bad: string;
}

/** Judges the window between `a` and `b` for a level needing `needBps` (bit/s, null when unknown). */
export function judge(a: RtcSample, b: RtcSample, needBps: number | null): Window {
  const recv = b.packetsReceived - a.packetsReceived;
  const lost = Math.max(0, b.packetsLost - a.packetsLost);
  const decoded = b.framesDecoded - a.framesDecoded;
  const dropped = Math.max(0, b.framesDropped - a.framesDropped);
  const loss = recv + lost > 0 ? lost / (recv + lost) : 0;
  const drop = decoded + dropped > 0 ? dropped / (decoded + dropped) : 0;
  const freezes = Math.max(0, b.freezeCount - a.freezeCount);
  const why: string[] = [];
  // Packets arrive but no picture comes out of them: the decoder starves (late or incomplete frames).
  if (recv > 0 && decoded === 0 && b.t - a.t >= 1000) why.push("no frame decoded");
  if (loss > AUTO.BAD_LOSS) why.push(`${(loss * 100).toFixed(0)}% packets lost`);
  if (drop > AUTO.BAD_DROP) why.push(`${(drop * 100).toFixed(0)}% frames dropped`);
  if (freezes > 0) why.push(`${freezes} freeze${freezes > 1 ? "s" : ""}`);
  const emitted = b.jitterBufferEmittedCount - a.jitterBufferEmittedCount;
  const buffered = emitted > 0 ? (b.jitterBufferDelay - a.jitterBufferDelay) / emitted : 0;
  if (buffered > AUTO.MAX_BUFFER_S) why.push(`${Math.round(buffered * 1000)} ms in the jitter buffer`);
  if (needBps !== null && b.availableIncomingBitrate !== null && b.availableIncomingBitrate < needBps) {
    why.push(`${Math.round(b.availableIncomingBitrate / 1000)} kbit/s available`);
  }
  return { loss, drop, freezes, bad: why.join(", ") };
}

/**
 * Feeds one sample. `bps[i]`: the video bitrate (bit/s) of level i (0 = source, null when unknown),
 * highest first. Returns the level to play and, when it changed, why. A sample whose counters went
 * backwards (a new WebRTC session after a switch) only starts a new window. Mutates `st`.
 */
export function autoStep(
  st: AutoState,
  s: RtcSample,
  bps: (number | null)[],
): { level: number; reason: string } {
  const none = { level: st.level, reason: "" };
  const p = st.prev;
  if (!p || s.packetsReceived < p.packetsReceived || s.framesDecoded < p.framesDecoded) {
    st.prev = s;
    return none;
  }
  if (s.t - p.t < AUTO.MIN_WINDOW_MS) return none;
  st.prev = s;
  // Nothing arrived at all: the stream stalled (the player handles that), no verdict on the network.
  if (s.packetsReceived === p.packetsReceived) return none;
  const w = judge(p, s, bps[st.level] ?? null);
  const last = bps.length - 1;
  st.recent.push(w.bad !== "");
  if (st.recent.length > AUTO.DOWN_OF) st.recent.shift();
  if (w.bad) {
    st.goodSince = null;
    const bad = st.recent.filter((b) => b).length;
    if (st.level < last && bad >= AUTO.DOWN_BAD && s.t - st.lastStep >= AUTO.HOLD_MS) {
      // An up-step that did not hold: wait longer before the next one.
      if (s.t - st.lastUp < AUTO.FAILED_UP_MS) st.upHoldMs = Math.min(st.upHoldMs * 2, AUTO.UP_HOLD_MAX_MS);
      st.level++;
      st.lastStep = s.t;
      st.recent = [];
      return { level: st.level, reason: `down: ${w.bad}` };
    }
    return none;
  }
  st.goodSince ??= p.t;
  if (st.level > 0 && s.t - st.goodSince >= st.upHoldMs && s.t - st.lastStep >= st.upHoldMs) {
    const need = bps[st.level - 1] ?? null;
    const avail = s.availableIncomingBitrate;
    if (need !== null && avail !== null && avail < need * AUTO.HEADROOM) return none;
    st.level--;
    st.lastStep = s.t;
    st.lastUp = s.t;
    st.goodSince = null;
    return { level: st.level, reason: `up: ${Math.round(st.upHoldMs / 1000)} s without loss or freezes` };
  }
  // A long good stretch at this level: an earlier failed up-step is forgiven.
  if (s.t - st.lastStep >= AUTO.UP_HOLD_MAX_MS) st.upHoldMs = AUTO.UP_AFTER_MS;
  return none;
}
