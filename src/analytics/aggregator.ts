// Stream analytics, aggregated in memory and written to KV in batches. Every sample interval (default 10 s,
// LIVEGATE_ANALYTICS_SAMPLE) one tick reads what livegate already knows: the live state (what MediaMTX has
// online, src/mediamtx/live-state.ts), the HLS viewers (src/auth/viewers.ts) and the WHEP readers
// (src/auth/reader-recheck.ts); it updates each running broadcast (peak, unique viewers, watch time, by
// delivery; publisher protocol, codecs, size, bitrate) and writes one batch: a sample per live stream, a
// server-wide sample, the changed broadcast records, the viewers seen for the first time (as salted
// hashes, viewer-hash.ts) and the players' quality reports (report()). A restart loses nothing stored: a
// broadcast still marked running is taken up again when the same publish is still live (MediaMTX run
// separately), else closed at its last sample. Old samples are merged into 5-minute samples (downsample()).
// Created once by the composition root (src/app/services.ts) and started by the server (src/app/serve.ts).
import type { AnalyticsConfig } from "../config/analytics-config.ts";
import type { Clock } from "../core/clock.ts";
import type { Log } from "../core/log.ts";
import type { ReaderLedger } from "../auth/reader-recheck.ts";
import type { ViewerTracker } from "../auth/viewers.ts";
import type { LivePath } from "../mediamtx/client.ts";
import type { LiveState } from "../mediamtx/live-state.ts";
import {
  type Broadcast,
  DELIVERIES,
  type Delivery,
  getBroadcast,
  K,
  listOpen,
  listSamples,
  listSampleScopes,
  listViewerHashes,
  type Mutation,
  type QoeHist,
  type Sample,
  SERVER_SCOPE,
  writeBatch,
} from "../store/analytics.ts";
import type { Store } from "../store/kv.ts";
import { presentViewers } from "./presence.ts";
import { emptyHist, mergeHist } from "./qoe.ts";
import { ViewerHasher } from "./viewer-hash.ts";

/** Length of a downsampled sample (ms). */
export const ROLLUP_MS = 300_000;
const HOUR = 3_600_000;

export interface AnalyticsDeps {
  store: Store;
  clock: Clock;
  log: Log;
  cfg: AnalyticsConfig;
  live: Pick<LiveState, "get">;
  viewers: Pick<ViewerTracker, "viewers">;
  readers: Pick<ReaderLedger, "entries">;
}

/** A running broadcast as kept in memory: its record and the hashes of its viewers so far. */
interface Running {
  rec: Broadcast;
  hashes: Set<string>;
}

/** What one tick wrote (for tests and the benchmark). */
export interface TickResult {
  at: number;
  mutations: number;
  commits: number;
}

/** A new, empty broadcast record. */
export function newBroadcast(path: string, start: number): Broadcast {
  const totals = () => ({ peak: 0, unique: 0, watchMs: 0 });
  return {
    path,
    start,
    end: null,
    lastSampleAt: start,
    protocol: "",
    codecs: [],
    width: null,
    height: null,
    bitrate: { sum: 0, n: 0, min: null, max: null },
    peak: 0,
    peakAt: null,
    unique: 0,
    watchMs: 0,
    delivery: { webrtc: totals(), hls: totals(), share: totals() },
    qoe: emptyHist(),
  };
}

/** MediaMTX's source type as a protocol name: rtmpConn -> rtmp, webRTCSession -> webrtc. */
export const protocolOf = (type: string) => type.replace(/(Conn|Session|Source)$/, "").toLowerCase();

/** The start of a path's publish (ms): MediaMTX's onlineTime, or `now` when it does not say. */
export function startOf(p: LivePath, now: number): number {
  const t = p.onlineSince ? Date.parse(p.onlineSince) : NaN;
  return Number.isFinite(t) ? t : now;
}

export class Analytics {
  readonly hasher: ViewerHasher;
  #running = new Map<string, Running>();
  /** Quality reports since the last batch: path -> hour -> the reports' sum. */
  #qoe = new Map<string, Map<number, QoeHist>>();
  /** Reports for streams without a running broadcast yet (its first sample is still to come). */
  #early = new Map<string, QoeHist>();
  #resumed = false;
  #lastTick = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #loop: Promise<unknown> | undefined;
  #stopped = true;
  #lastDownsample = 0;
  /** Totals since start (the benchmark reads them). */
  readonly totals = { ticks: 0, mutations: 0, commits: 0, failures: 0 };

  constructor(private readonly deps: AnalyticsDeps) {
    this.hasher = new ViewerHasher(deps.store, deps.clock);
  }

  get #retentionMs() {
    return this.deps.cfg.retentionDays * 86_400_000;
  }

  /** The running broadcast of `path` (a copy of its record), or null. */
  running(path: string): Broadcast | null {
    const r = this.#running.get(path);
    return r ? structuredClone(r.rec) : null;
  }

  /** Quality reports of `path` not written yet (they go with the next batch), by hour (a copy). */
  pendingQoe(path: string): Map<number, QoeHist> {
    return structuredClone(this.#qoe.get(path) ?? new Map());
  }

  /** Paths with a running broadcast. */
  runningPaths(): string[] {
    return [...this.#running.keys()];
  }

  /**
   * Takes one sample of every live stream and writes the batch. Returns what it wrote; null when MediaMTX
   * could not be asked (nothing is changed then: a broadcast is never cut by a short outage). Throws the
   * store's error when the batch cannot be written (the samples of this tick are then lost, the records
   * stay in memory and are written with the next batch).
   */
  async tick(): Promise<TickResult | null> {
    const { cfg } = this.deps;
    let paths: LivePath[];
    try {
      paths = await this.deps.live.get(Math.min(2000, cfg.sampleMs));
    } catch {
      return null;
    }
    const now = this.deps.clock.now();
    const muts: Mutation[] = [];
    const online = new Map(paths.filter((p) => p.online).map((p) => [p.name, p]));
    if (!this.#resumed) await this.#resume(online, now, muts);
    // The time each viewer of this sample counts for: the time since the previous sample, at most 3 intervals.
    const dt = this.#lastTick ? Math.min(now - this.#lastTick, 3 * cfg.sampleMs) : cfg.sampleMs;
    this.#lastTick = now;
    const expireIn = this.#retentionMs;
    const readers = this.deps.readers.entries();
    let serverViewers = 0;
    const serverD: Record<Delivery, number> = { webrtc: 0, hls: 0, share: 0 };

    for (const [path, run] of this.#running) {
      const p = online.get(path);
      if (!p || startOf(p, now) !== run.rec.start) {
        this.#running.delete(path);
        run.rec.end = now;
        muts.push({ key: K.broadcast(path, run.rec.start), value: run.rec, expireIn });
        muts.push({ key: K.open(path), delete: true });
      }
    }
    for (const [path, p] of online) {
      const start = startOf(p, now);
      let run = this.#running.get(path);
      if (!run) {
        run = { rec: newBroadcast(path, start), hashes: new Set() };
        this.#running.set(path, run);
        const early = this.#early.get(path);
        if (early) mergeHist(run.rec.qoe, early);
        muts.push({ key: K.open(path), value: start });
      }
      const b = run.rec;
      const present = presentViewers({
        path,
        now,
        windowMs: cfg.sampleMs,
        hls: this.deps.viewers.viewers(path, now),
        readers,
        mtxReaders: p.readers,
      });
      const d: Record<Delivery, number> = { webrtc: 0, hls: 0, share: 0 };
      for (const [id, del] of present) {
        d[del]++;
        const h = await this.hasher.hash(id);
        if (!run.hashes.has(h)) {
          run.hashes.add(h);
          b.unique++;
          b.delivery[del].unique++;
          muts.push({ key: K.viewer(path, start, h), value: { d: del, t: now }, expireIn });
        }
      }
      const n = present.size;
      if (n > b.peak) {
        b.peak = n;
        b.peakAt = now;
      }
      b.watchMs += n * dt;
      for (const del of DELIVERIES) {
        b.delivery[del].peak = Math.max(b.delivery[del].peak, d[del]);
        b.delivery[del].watchMs += d[del] * dt;
        serverD[del] += d[del];
      }
      serverViewers += n;
      if (p.source) b.protocol = protocolOf(p.source.type);
      if (p.codecs.length) b.codecs = p.codecs;
      if (p.video) {
        b.width = p.video.width;
        b.height = p.video.height;
      }
      if (p.bitrate !== null && p.bitrate !== undefined) {
        const br = b.bitrate;
        br.sum += p.bitrate;
        br.n++;
        br.min = br.min === null ? p.bitrate : Math.min(br.min, p.bitrate);
        br.max = br.max === null ? p.bitrate : Math.max(br.max, p.bitrate);
      }
      b.lastSampleAt = now;
      const s: Sample = { t: now, step: dt, v: n, max: n, d, br: p.bitrate ?? null };
      muts.push({ key: K.sample(path, now), value: s, expireIn });
      muts.push({ key: K.broadcast(path, start), value: b, expireIn });
    }
    this.#early.clear();
    const server: Sample = {
      t: now,
      step: dt,
      v: serverViewers,
      max: serverViewers,
      d: serverD,
      br: null,
      live: online.size,
    };
    muts.push({ key: K.sample(SERVER_SCOPE, now), value: server, expireIn });
    await this.#qoeMutations(muts);
    const commits = await writeBatch(this.deps.store, muts);
    this.totals.ticks++;
    this.totals.mutations += muts.length;
    this.totals.commits += commits;
    return { at: now, mutations: muts.length, commits };
  }

  /**
   * After a start: broadcasts the store still marks as running are taken up again when the same publish
   * is live (their viewers' hashes reloaded, so nobody counts twice), else closed at their last sample.
   */
  async #resume(online: Map<string, LivePath>, now: number, muts: Mutation[]): Promise<void> {
    for (const [path, start] of await listOpen(this.deps.store)) {
      const rec = await getBroadcast(this.deps.store, path, start);
      const p = online.get(path);
      if (rec && p && startOf(p, now) === start) {
        this.#running.set(path, {
          rec,
          hashes: new Set((await listViewerHashes(this.deps.store, path, start)).keys()),
        });
        continue;
      }
      if (rec && rec.end === null) {
        rec.end = rec.lastSampleAt;
        muts.push({ key: K.broadcast(path, start), value: rec, expireIn: this.#retentionMs });
      }
      muts.push({ key: K.open(path), delete: true });
    }
    this.#resumed = true;
  }

  /**
   * Takes a player's quality report for `path` (validated by the beacon route): counted in the running
   * broadcast at once (or, before its first sample, when that sample is taken) and in the stream's hourly
   * record with the next batch. Answers false when it was dropped (analytics off, or too many streams
   * without a broadcast yet).
   */
  report(path: string, h: QoeHist): boolean {
    if (!this.deps.cfg.enabled) return false;
    const run = this.#running.get(path);
    if (run) mergeHist(run.rec.qoe, h);
    else {
      // A report can come before the first sample of its broadcast: held for that broadcast (tick()).
      if (this.#early.size > 1000 && !this.#early.has(path)) return false;
      const e = this.#early.get(path);
      if (e) mergeHist(e, h);
      else this.#early.set(path, structuredClone(h));
    }
    const hour = Math.floor(this.deps.clock.now() / HOUR) * HOUR;
    let byHour = this.#qoe.get(path);
    if (!byHour) this.#qoe.set(path, byHour = new Map());
    const cur = byHour.get(hour);
    if (cur) mergeHist(cur, h);
    else byHour.set(hour, structuredClone(h));
    return true;
  }

  /** The pending hourly quality records, added to what the store has (one read per stream and hour). */
  async #qoeMutations(muts: Mutation[]): Promise<void> {
    const pending = this.#qoe;
    this.#qoe = new Map();
    for (const [path, byHour] of pending) {
      for (const [hour, h] of byHour) {
        const stored = (await this.deps.store.kv.get<QoeHist>(K.qoe(path, hour))).value ?? emptyHist();
        mergeHist(stored, h);
        muts.push({ key: K.qoe(path, hour), value: stored, expireIn: this.#retentionMs });
      }
    }
  }

  /**
   * Merges raw samples older than LIVEGATE_ANALYTICS_RAW into 5-minute samples (ROLLUP_MS), per scope:
   * `v` and `d` become time-weighted averages (so viewer-seconds are kept), `max` the highest count,
   * `br` the average of the known bitrates. Only whole 5-minute steps before the cutoff are merged.
   * Returns the number of raw samples merged.
   */
  async downsample(): Promise<number> {
    const now = this.deps.clock.now();
    const cutoff = Math.floor((now - this.deps.cfg.rawHours * HOUR) / ROLLUP_MS) * ROLLUP_MS;
    let merged = 0;
    for (const scope of await listSampleScopes(this.deps.store)) {
      const raw = (await listSamples(this.deps.store, scope, 0, cutoff)).filter((s) => s.step < ROLLUP_MS);
      const groups = new Map<number, Sample[]>();
      for (const s of raw) {
        const t = Math.floor(s.t / ROLLUP_MS) * ROLLUP_MS;
        const g = groups.get(t);
        if (g) g.push(s);
        else groups.set(t, [s]);
      }
      const muts: Mutation[] = [];
      for (const [t, g] of groups) {
        const existing = (await this.deps.store.kv.get<Sample>(K.sample(scope, t))).value;
        const all = existing && existing.step >= ROLLUP_MS ? [existing, ...g] : g;
        const m = mergeSamples(t, ROLLUP_MS, all);
        for (const s of g) if (s.t !== t) muts.push({ key: K.sample(scope, s.t), delete: true });
        const left = this.#retentionMs - (now - t);
        if (left > 0) muts.push({ key: K.sample(scope, t), value: m, expireIn: left });
        else muts.push({ key: K.sample(scope, t), delete: true });
        merged += g.length;
      }
      await writeBatch(this.deps.store, muts, "downsample");
    }
    return merged;
  }

  /** Ticks every sample interval (and downsamples once an hour) until stop(). */
  start(): void {
    if (!this.#stopped || !this.deps.cfg.enabled) return;
    this.#stopped = false;
    const run = async () => {
      if (this.#stopped) return;
      try {
        await this.tick();
      } catch (e) {
        this.totals.failures++;
        this.deps.log(`[livegate] analytics: batch not written: ${(e as Error).message}`);
      }
      const now = this.deps.clock.now();
      if (now - this.#lastDownsample >= HOUR) {
        this.#lastDownsample = now;
        await this.downsample().catch((e) =>
          this.deps.log(`[livegate] analytics: downsampling failed: ${(e as Error).message}`)
        );
      }
    };
    const loop = () => {
      if (this.#stopped) return;
      this.#loop = run().finally(() => {
        if (!this.#stopped) this.#timer = setTimeout(loop, this.deps.cfg.sampleMs);
      });
    };
    // The first tick one interval after the start: MediaMTX and the poller are up by then.
    this.#timer = setTimeout(loop, this.deps.cfg.sampleMs);
  }

  /** Stops ticking; writes the quality reports not yet written. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#loop;
    const muts: Mutation[] = [];
    await this.#qoeMutations(muts);
    for (const [path, run] of this.#running) {
      if (muts.length) {
        muts.push({ key: K.broadcast(path, run.rec.start), value: run.rec, expireIn: this.#retentionMs });
      }
    }
    await writeBatch(this.deps.store, muts).catch(() => {});
  }
}

/**
 * Samples merged into one of length `step` (ms) starting at `t`: time-weighted averages of `v`, `d` and
 * `live`, highest `max`, average of the known bitrates. `over`: "step" divides by the step (viewer-ms kept:
 * sum of v*step is the same; downsampling), "covered" by the time the samples stand for (the average while
 * sampled; the API's points, whose samples may stand for a little more than the step).
 */
export function mergeSamples(
  t: number,
  step: number,
  samples: Sample[],
  over: "step" | "covered" = "step",
): Sample {
  const d: Record<Delivery, number> = { webrtc: 0, hls: 0, share: 0 };
  let v = 0, max = 0, brSum = 0, brW = 0, live = 0, hasLive = false;
  for (const s of samples) {
    v += s.v * s.step;
    max = Math.max(max, s.max);
    for (const k of DELIVERIES) d[k] += (s.d?.[k] ?? 0) * s.step;
    if (s.br !== null && s.br !== undefined) {
      brSum += s.br * s.step;
      brW += s.step;
    }
    if (s.live !== undefined) {
      hasLive = true;
      live += s.live * s.step;
    }
  }
  const covered = samples.reduce((a, s) => a + s.step, 0);
  const div = over === "covered" && covered > 0 ? covered : step;
  const r = (x: number) => Math.round((x / div) * 1000) / 1000;
  const out: Sample = {
    t,
    step,
    v: r(v),
    max,
    d: { webrtc: r(d.webrtc), hls: r(d.hls), share: r(d.share) },
    br: brW ? Math.round(brSum / brW) : null,
  };
  if (hasLive) out.live = r(live);
  return out;
}
