// The players' quality beacon (static/beacon.ts sends it): its JSON shape, checked field by field (bad
// input -> HttpError 400 naming the field, never stored), and the per-viewer rate limit. What a valid
// beacon becomes: a QoeHist delta for the stream's running broadcast (aggregator.ts report()) and
// observations of the Prometheus histograms (qoe-metrics.ts).
import { HttpError } from "../core/errors.ts";
import type { QoeHist } from "../store/analytics.ts";
import { emptyHist, observe } from "./qoe.ts";

/** Largest beacon body (bytes). */
export const MAX_BEACON_BYTES = 2048;

/**
 * A player's report of one stretch of watching (units: ms):
 *   v             1 (the format version)
 *   view          random id of this page view (8-64 of A-Z a-z 0-9 _ -), so a first frame counts once
 *   delivery      "webrtc" | "hls" | "native" (Safari's own HLS)
 *   ttffMs        time from page load to the first frame, only in the view's first report (0-120,000)
 *   playMs        playing time this report covers (0-600,000)
 *   rebuffers     durations of the rebuffers that ended in it (at most 50, each 0-600,000)
 *   latencyMs     live latency, median over the stretch (0-120,000), or null when unknown
 *   levelChanges  resolution/level switches in it (0-1,000)
 *   fatalErrors   fatal playback errors in it (0-1,000)
 */
export interface Beacon {
  v: 1;
  view: string;
  delivery: "webrtc" | "hls" | "native";
  ttffMs?: number;
  playMs: number;
  rebuffers: number[];
  latencyMs: number | null;
  levelChanges: number;
  fatalErrors: number;
}

const FIELDS = new Set([
  "v",
  "view",
  "delivery",
  "ttffMs",
  "playMs",
  "rebuffers",
  "latencyMs",
  "levelChanges",
  "fatalErrors",
]);

function num(o: Record<string, unknown>, k: string, max: number, int = false): number {
  const v = o[k];
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > max || (int && !Number.isInteger(v))) {
    throw new HttpError(400, `${k}: must be ${int ? "an integer" : "a number"} from 0 to ${max}`);
  }
  return v;
}

/** The beacon in `text` (a JSON object), checked. Throws HttpError 400 naming the first bad field. */
export function parseBeacon(text: string): Beacon {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    throw new HttpError(400, "body is not valid JSON");
  }
  if (!o || typeof o !== "object" || Array.isArray(o)) throw new HttpError(400, "body must be a JSON object");
  const b = o as Record<string, unknown>;
  for (const k of Object.keys(b)) {
    if (!FIELDS.has(k)) throw new HttpError(400, `${k.slice(0, 40)}: unknown field`);
  }
  if (b.v !== 1) throw new HttpError(400, "v: must be 1");
  if (typeof b.view !== "string" || !/^[A-Za-z0-9_-]{8,64}$/.test(b.view)) {
    throw new HttpError(400, "view: must be 8-64 letters, digits, _ or -");
  }
  if (b.delivery !== "webrtc" && b.delivery !== "hls" && b.delivery !== "native") {
    throw new HttpError(400, "delivery: must be webrtc, hls or native");
  }
  const out: Beacon = {
    v: 1,
    view: b.view,
    delivery: b.delivery,
    playMs: num(b, "playMs", 600_000),
    rebuffers: [],
    latencyMs: b.latencyMs === null || b.latencyMs === undefined ? null : num(b, "latencyMs", 120_000),
    levelChanges: num(b, "levelChanges", 1000, true),
    fatalErrors: num(b, "fatalErrors", 1000, true),
  };
  if (b.ttffMs !== undefined) out.ttffMs = num(b, "ttffMs", 120_000);
  if (!Array.isArray(b.rebuffers) || b.rebuffers.length > 50) {
    throw new HttpError(400, "rebuffers: must be a list of at most 50 durations (ms)");
  }
  for (const r of b.rebuffers) {
    if (typeof r !== "number" || !Number.isFinite(r) || r < 0 || r > 600_000) {
      throw new HttpError(400, "rebuffers: each must be a number from 0 to 600000");
    }
    out.rebuffers.push(r);
  }
  return out;
}

/** The beacon as a QoeHist delta. `firstFrame`: count its ttffMs (the view's first report only). */
export function beaconHist(b: Beacon, firstFrame: boolean): QoeHist {
  const h = emptyHist();
  h.beacons = 1;
  if (firstFrame && b.ttffMs !== undefined) observe(h, "ttff", b.ttffMs);
  for (const r of b.rebuffers) {
    observe(h, "rebuffer", r);
    h.rebufferMs += r;
  }
  h.rebufferCount = b.rebuffers.length;
  if (b.latencyMs !== null) observe(h, "latency", b.latencyMs);
  h.playMs = b.playMs;
  h.levelChanges = b.levelChanges;
  h.fatalErrors = b.fatalErrors;
  return h;
}

/**
 * Beacons per viewer: a token bucket of `burst` beacons refilled with one every `everyMs`; at most
 * `maxKeys` viewers remembered (the oldest forgotten first). Pure of I/O; the clock is passed in.
 */
export class BeaconLimiter {
  #m = new Map<string, { tokens: number; at: number }>();
  constructor(readonly burst = 4, readonly everyMs = 5000, readonly maxKeys = 50_000) {}

  /** 0 when `key` may send now (a token is taken), else the seconds to wait. */
  take(key: string, now: number): number {
    let e = this.#m.get(key);
    if (e) {
      e.tokens = Math.min(this.burst, e.tokens + (now - e.at) / this.everyMs);
      e.at = now;
      this.#m.delete(key);
    } else e = { tokens: this.burst, at: now };
    this.#m.set(key, e);
    if (this.#m.size > this.maxKeys) this.#m.delete(this.#m.keys().next().value!);
    if (e.tokens < 1) return Math.max(1, Math.ceil(((1 - e.tokens) * this.everyMs) / 1000));
    e.tokens -= 1;
    return 0;
  }
}

/** The views whose first frame was counted (so a replayed ttffMs counts once), bounded. */
export class SeenViews {
  #s = new Set<string>();
  constructor(readonly max = 100_000) {}
  /** true the first time `key` is given. */
  first(key: string): boolean {
    if (this.#s.has(key)) return false;
    this.#s.add(key);
    if (this.#s.size > this.max) this.#s.delete(this.#s.values().next().value!);
    return true;
  }
}
