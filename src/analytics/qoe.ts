// Quality of experience as the players report it (static/beacon.ts): bucketed distributions of time to
// first frame, rebuffer durations and live latency (QoeHist, kept per broadcast and per stream and hour),
// and their quantiles. The same bucket bounds are the Prometheus histograms' (qoe-metrics.ts), in seconds.
import type { QoeHist } from "../store/analytics.ts";

/** Upper bucket bounds (ms) of each distribution; one more bucket counts everything above the last. */
export const BOUNDS = {
  ttff: [100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 8000, 12_000, 20_000],
  rebuffer: [100, 250, 500, 1000, 2000, 4000, 8000, 15_000, 30_000],
  latency: [100, 250, 500, 750, 1000, 1500, 2000, 3000, 5000, 8000, 12_000],
} as const;
export type Dist = keyof typeof BOUNDS;

export function emptyHist(): QoeHist {
  return {
    ttff: new Array(BOUNDS.ttff.length + 1).fill(0),
    rebuffer: new Array(BOUNDS.rebuffer.length + 1).fill(0),
    latency: new Array(BOUNDS.latency.length + 1).fill(0),
    beacons: 0,
    rebufferCount: 0,
    rebufferMs: 0,
    playMs: 0,
    levelChanges: 0,
    fatalErrors: 0,
  };
}

/** Counts value `ms` into distribution `d` of `h`. */
export function observe(h: QoeHist, d: Dist, ms: number): void {
  const b = BOUNDS[d];
  let i = 0;
  while (i < b.length && ms > b[i]) i++;
  h[d][i]++;
}

/** Adds `from` into `into` (same bucket layout). */
export function mergeHist(into: QoeHist, from: QoeHist): void {
  for (const d of ["ttff", "rebuffer", "latency"] as const) {
    for (let i = 0; i < into[d].length; i++) into[d][i] += from[d][i] ?? 0;
  }
  into.beacons += from.beacons;
  into.rebufferCount += from.rebufferCount;
  into.rebufferMs += from.rebufferMs;
  into.playMs += from.playMs;
  into.levelChanges += from.levelChanges;
  into.fatalErrors += from.fatalErrors;
}

/**
 * The q-quantile (0..1) of distribution `d` in ms, interpolated linearly within its bucket (the first bucket
 * starts at 0); values above the last bound answer that bound. null when nothing was counted.
 */
export function quantile(h: QoeHist, d: Dist, q: number): number | null {
  const counts = h[d];
  const n = counts.reduce((a, b) => a + b, 0);
  if (!n) return null;
  const b = BOUNDS[d];
  const rank = q * n;
  let acc = 0;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] && acc + counts[i] >= rank) {
      if (i >= b.length) return b[b.length - 1];
      const lo = i === 0 ? 0 : b[i - 1];
      return Math.round(lo + (b[i] - lo) * Math.max(0, Math.min(1, (rank - acc) / counts[i])));
    }
    acc += counts[i];
  }
  return b[b.length - 1];
}

/** What the dashboard and the API show of a QoeHist: counts, p50/p95 (ms), the rebuffer ratio. */
export function qoeSummary(h: QoeHist) {
  const dist = (d: Dist) => ({
    n: h[d].reduce((a, b) => a + b, 0),
    p50: quantile(h, d, 0.5),
    p95: quantile(h, d, 0.95),
  });
  return {
    beacons: h.beacons,
    ttffMs: dist("ttff"),
    rebufferMs: dist("rebuffer"),
    latencyMs: dist("latency"),
    rebufferCount: h.rebufferCount,
    /** Share of the reported playing time spent rebuffering (0..1), null without reports. */
    rebufferRatio: h.playMs > 0
      ? Math.round((h.rebufferMs / (h.playMs + h.rebufferMs)) * 10_000) / 10_000
      : null,
    levelChanges: h.levelChanges,
    fatalErrors: h.fatalErrors,
  };
}
