// What the analytics API answers (GET /api/streams/<path>/analytics, GET /api/analytics/server): the
// query's range checked (bad values -> HttpError 400 naming the parameter), the stored samples of that range
// put into steps of one size (at most MAX_POINTS), the totals of the range, its broadcasts with their
// quality summaries, and the same as CSV. Units: times in ms since the epoch, durations in seconds
// (watchSeconds, avgViewSeconds, durationSeconds) or ms (QoE), bitrates in bits per second.
import { HttpError } from "../core/errors.ts";
import {
  type Broadcast,
  DELIVERIES,
  type Delivery,
  listBroadcasts,
  listQoe,
  listSamples,
  listViewerHashes,
  type QoeHist,
  type Sample,
} from "../store/analytics.ts";
import type { Store } from "../store/kv.ts";
import { mergeSamples } from "./aggregator.ts";
import { emptyHist, mergeHist, qoeSummary } from "./qoe.ts";

/** Most points a series has; longer ranges get longer steps. */
export const MAX_POINTS = 1500;
const STEPS = [10_000, 60_000, 300_000, 900_000, 3_600_000, 4 * 3_600_000, 86_400_000];

/**
 * A time parameter: milliseconds since the epoch, or an ISO 8601 date/time. `def` when absent. Throws
 * HttpError 400 naming `name`.
 */
export function parseTime(name: string, v: string | undefined, def: number): number {
  if (v === undefined || v === "") return def;
  if (v.length > 40) {
    throw new HttpError(400, `${name}: too long; give milliseconds since 1970 or an ISO 8601 time`);
  }
  const t = /^-?\d{1,16}$/.test(v) ? Number(v) : /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v) : NaN;
  if (!Number.isFinite(t) || t < 0 || t > 8.64e15) {
    throw new HttpError(
      400,
      `${name}: '${v.slice(0, 40)}' is not a time (milliseconds since 1970 or ISO 8601)`,
    );
  }
  return t;
}

export interface Range {
  from: number;
  to: number;
  format: "json" | "csv";
  table: "samples" | "broadcasts";
}

/**
 * The range of a query (`from`, `to`: default the last 24 h; `format`: json or csv; `table`: samples or
 * broadcasts, for CSV). Throws HttpError 400 naming the parameter: not a time, from not before to, to
 * in the future by more than a minute, a range longer than the retention.
 */
export function parseRange(q: (k: string) => string | undefined, now: number, retentionDays: number): Range {
  const to = parseTime("to", q("to"), now);
  const from = parseTime("from", q("from"), to - 86_400_000);
  if (to > now + 60_000) throw new HttpError(400, "to: must not be in the future");
  if (from >= to) throw new HttpError(400, "from: must be before to");
  if (to - from > retentionDays * 86_400_000 + 86_400_000) {
    throw new HttpError(400, `from: the range may span at most ${retentionDays} days (the retention)`);
  }
  const f = q("format") ?? "json";
  if (f !== "json" && f !== "csv") throw new HttpError(400, "format: must be json or csv");
  const t = q("table") ?? "samples";
  if (t !== "samples" && t !== "broadcasts") throw new HttpError(400, "table: must be samples or broadcasts");
  return { from, to, format: f, table: t };
}

/** The step (ms) for a range: `minStep` or the shortest of STEPS giving at most MAX_POINTS, never below `minStep`. */
export function stepFor(from: number, to: number, minStep: number): number {
  const want = Math.max(minStep, (to - from) / MAX_POINTS);
  return [minStep, ...STEPS].find((s) => s >= want) ?? Math.ceil(want / 86_400_000) * 86_400_000;
}

/** The median `step` (ms) of `samples`; 0 when there are none. */
export function medianStep(samples: Sample[]): number {
  if (!samples.length) return 0;
  const steps = samples.map((s) => s.step).sort((a, b) => a - b);
  return steps[Math.floor(steps.length / 2)];
}

/**
 * Samples put into steps of `step` ms aligned to multiples of it: `v` the average while sampled, `w` the
 * viewer-ms of the step (sum of viewers × time).
 */
export function bucket(samples: Sample[], step: number): (Sample & { w: number })[] {
  const groups = new Map<number, Sample[]>();
  for (const s of samples) {
    const t = Math.floor(s.t / step) * step;
    const g = groups.get(t);
    if (g) g.push(s);
    else groups.set(t, [s]);
  }
  return [...groups].sort((a, b) => a[0] - b[0]).map(([t, g]) => ({
    ...mergeSamples(t, step, g, "covered"),
    w: g.reduce((a, s) => a + s.v * s.step, 0),
  }));
}

/** One broadcast as the API shows it. */
export function broadcastView(b: Broadcast, now: number) {
  const end = b.end ?? now;
  const del = (d: Delivery) => ({
    peak: b.delivery[d].peak,
    unique: b.delivery[d].unique,
    watchSeconds: Math.round(b.delivery[d].watchMs / 1000),
  });
  return {
    start: b.start,
    end: b.end,
    live: b.end === null,
    durationSeconds: Math.round((end - b.start) / 1000),
    protocol: b.protocol,
    codecs: b.codecs,
    resolution: b.width && b.height ? `${b.width}x${b.height}` : null,
    bitrate: {
      avg: b.bitrate.n ? Math.round(b.bitrate.sum / b.bitrate.n) : null,
      min: b.bitrate.min,
      max: b.bitrate.max,
    },
    peak: b.peak,
    peakAt: b.peakAt,
    unique: b.unique,
    watchSeconds: Math.round(b.watchMs / 1000),
    avgViewSeconds: b.unique ? Math.round(b.watchMs / 1000 / b.unique) : 0,
    delivery: { webrtc: del("webrtc"), hls: del("hls"), share: del("share") },
    qoe: qoeSummary(b.qoe),
  };
}

/**
 * The report of a stream (or, with `server`, of the whole server: SERVER_SCOPE samples, no broadcasts)
 * for `range`: series, totals, broadcasts, quality. `running` replaces stored records of broadcasts still
 * in memory (fresher than the last batch).
 */
export async function buildReport(opts: {
  store: Store;
  scope: string;
  server: boolean;
  range: Range;
  now: number;
  sampleMs: number;
  retentionDays: number;
  running?: Broadcast | null;
  /** Quality reports not written yet, by hour (Analytics.pendingQoe), counted with the stored ones. */
  pendingQoe?: Map<number, QoeHist>;
}) {
  const { store, range, now } = opts;
  const samples = await listSamples(store, opts.scope, range.from, range.to);
  // The sampling interval the samples were taken at: their median step, not the longest (a tick that ran late
  // under load has a longer step, and one such sample must not coarsen the whole series).
  const minStep = Math.max(opts.sampleMs, medianStep(samples));
  const step = stepFor(range.from, range.to, minStep);
  const series = bucket(samples, step);
  let watchMs = 0, peak = 0, peakAt: number | null = null;
  for (const s of samples) {
    watchMs += s.v * s.step;
    if (s.max > peak) {
      peak = s.max;
      peakAt = s.t;
    }
  }
  let broadcasts: Broadcast[] = [];
  let unique = 0;
  const qoe = emptyHist();
  const byHour = new Map<number, QoeHist>();
  if (!opts.server) {
    broadcasts = await listBroadcasts(store, opts.scope, range.from, range.to, now);
    if (opts.running) {
      broadcasts = broadcasts.filter((b) => b.start !== opts.running!.start);
      if (opts.running.start < range.to) broadcasts.push(opts.running);
    }
    // Distinct viewer hashes over the range's broadcasts (a hash is stable for one UTC day); one broadcast
    // has its count in its record (no need to read its viewers).
    if (broadcasts.length === 1) unique = broadcasts[0].unique;
    else if (broadcasts.length > 1) {
      const seen = new Set<string>();
      for (const b of broadcasts) {
        for (const h of (await listViewerHashes(store, b.path, b.start)).keys()) seen.add(h);
      }
      unique = seen.size;
    }
    const hours = Math.floor(range.from / 3_600_000) * 3_600_000;
    for (const { hour, q } of await listQoe(store, opts.scope, hours, range.to)) byHour.set(hour, q);
    for (const [hour, q] of opts.pendingQoe ?? []) {
      if (hour < hours || hour >= range.to) continue;
      const cur = byHour.get(hour);
      if (cur) mergeHist(cur, q);
      else byHour.set(hour, q);
    }
    for (const q of byHour.values()) mergeHist(qoe, q);
  }
  const col = (f: (s: Sample & { w: number }) => number | null) => series.map(f);
  return {
    scope: opts.server ? "server" : opts.scope,
    from: range.from,
    to: range.to,
    /** Length of one point of the series (ms). */
    step,
    sampleSeconds: opts.sampleMs / 1000,
    retentionDays: opts.retentionDays,
    summary: {
      peak,
      peakAt,
      unique: opts.server ? null : unique,
      watchSeconds: Math.round(watchMs / 1000),
      avgViewSeconds: unique ? Math.round(watchMs / 1000 / unique) : null,
      broadcasts: broadcasts.length,
    },
    series: {
      t: col((s) => s.t),
      viewers: col((s) => s.v),
      peak: col((s) => s.max),
      webrtc: col((s) => s.d.webrtc),
      hls: col((s) => s.d.hls),
      share: col((s) => s.d.share),
      bitrate: col((s) => s.br),
      watchSeconds: col((s) => Math.round(s.w / 100) / 10),
      live: opts.server ? col((s) => s.live ?? null) : undefined,
    },
    broadcasts: broadcasts.sort((a, b) => a.start - b.start).map((b) => broadcastView(b, now)),
    qoe: opts.server ? null : qoeSummary(qoe),
    /** The quality reports per hour (ms; ratio 0..1): distributions over time. */
    qoeSeries: opts.server ? null : qoeSeries(byHour),
  };
}

export type Report = Awaited<ReturnType<typeof buildReport>>;

/** Hourly quality as columns: hour start (ms), p50/p95 of TTFF and latency, rebuffer ratio, beacons. */
function qoeSeries(byHour: Map<number, QoeHist>) {
  const hours = [...byHour.keys()].sort((a, b) => a - b);
  const col = (f: (s: ReturnType<typeof qoeSummary>) => number | null) =>
    hours.map((h) => f(qoeSummary(byHour.get(h)!)));
  return {
    t: hours,
    ttffP50: col((s) => s.ttffMs.p50),
    ttffP95: col((s) => s.ttffMs.p95),
    latencyP50: col((s) => s.latencyMs.p50),
    latencyP95: col((s) => s.latencyMs.p95),
    rebufferRatio: col((s) => s.rebufferRatio),
    beacons: col((s) => s.beacons),
  };
}

const cell = (v: unknown): string => {
  const s = v === null || v === undefined ? "" : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};
const iso = (t: number | null) => (t === null ? "" : new Date(t).toISOString());

/**
 * The report as CSV (RFC 4180, CRLF): `samples` one row per step (time, viewers average and peak, by
 * delivery, bitrate, watch seconds of the step); `broadcasts` one row per broadcast.
 */
export function reportCsv(r: Report, table: Range["table"]): string {
  const rows: unknown[][] = [];
  if (table === "samples") {
    rows.push(["time", "t_ms", "viewers", "peak", ...DELIVERIES, "bitrate_bps", "watch_seconds"]);
    const s = r.series;
    for (let i = 0; i < s.t.length; i++) {
      rows.push([
        iso(s.t[i]),
        s.t[i],
        s.viewers[i],
        s.peak[i],
        s.webrtc[i],
        s.hls[i],
        s.share[i],
        s.bitrate[i],
        s.watchSeconds[i],
      ]);
    }
  } else {
    rows.push([
      "start",
      "end",
      "duration_seconds",
      "protocol",
      "codecs",
      "resolution",
      "bitrate_avg_bps",
      "bitrate_min_bps",
      "peak",
      "unique",
      "watch_seconds",
      "avg_view_seconds",
      ...DELIVERIES.flatMap((d) => [`${d}_unique`, `${d}_watch_seconds`]),
      "ttff_p50_ms",
      "ttff_p95_ms",
      "latency_p50_ms",
      "rebuffer_ratio",
      "fatal_errors",
    ]);
    for (const b of r.broadcasts) {
      rows.push([
        iso(b.start),
        iso(b.end),
        b.durationSeconds,
        b.protocol,
        b.codecs.join(" "),
        b.resolution,
        b.bitrate.avg,
        b.bitrate.min,
        b.peak,
        b.unique,
        b.watchSeconds,
        b.avgViewSeconds,
        ...DELIVERIES.flatMap((d) => [b.delivery[d].unique, b.delivery[d].watchSeconds]),
        b.qoe.ttffMs.p50,
        b.qoe.ttffMs.p95,
        b.qoe.latencyMs.p50,
        b.qoe.rebufferRatio,
        b.qoe.fatalErrors,
      ]);
    }
  }
  return rows.map((row) => row.map(cell).join(",")).join("\r\n") + "\r\n";
}
