// Stream analytics at 1,000 viewers (issue #17): KV writes per second and CPU per sample of the aggregator
// (src/analytics/aggregator.ts) with its real parts, a file-backed Deno KV (SQLite, as in production), the
// real viewer tracker and viewer hasher, and a ManualClock moved 10 s per tick (one simulated hour in a
// few seconds). Input: one live stream (a fixed live-state snapshot: MediaMTX is not what is measured),
// 1,000 viewers arriving over the first minute, then 5% of them replaced by new ones every minute.
// Peer, measured in the same run on the same data: the naive design that writes each present viewer's
// record to KV at every sample (one set per viewer per 10 s).
//   deno run -A bench/analytics.ts [--viewers=1000] [--minutes=60] [--peer-minutes=2]
// Also part of `deno task bench` (bench/run.ts, --only=analytics).
import { parseArgs } from "node:util";
import { join } from "node:path";
import process from "node:process";
import { Analytics } from "../src/analytics/aggregator.ts";
import { buildReport } from "../src/analytics/report.ts";
import { ViewerTracker } from "../src/auth/viewers.ts";
import { ReaderLedger } from "../src/auth/reader-recheck.ts";
import { ManualClock } from "../src/core/clock.ts";
import type { LivePath } from "../src/mediamtx/client.ts";
import { storeOf } from "../src/store/kv.ts";

const SAMPLE_MS = 10_000;

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface Run {
  mutations: number;
  commits: number;
  cpu: number[];
  wall: number[];
  steadyMutations: number;
  steadyTicks: number;
  maxMutations: number;
}

/** Runs the simulation; `step` is what happens at each sample (the aggregator, or the naive peer). */
async function simulate(
  N: number,
  name: string,
  step: (
    deps: { clock: ManualClock; tracker: ViewerTracker; kv: Deno.Kv },
  ) => Promise<{ mutations: number; commits: number }>,
  setup: (deps: { clock: ManualClock; tracker: ViewerTracker; kv: Deno.Kv }) => void,
  ticks: number,
): Promise<Run & { dir: string; kv: Deno.Kv; clock: ManualClock }> {
  const dir = await Deno.makeTempDir({ prefix: "livegate-bench-analytics-" });
  const kv = await Deno.openKv(join(dir, "livegate.kv"));
  const clock = new ManualClock(Date.parse("2026-06-10T08:00:00Z"));
  const tracker = new ViewerTracker();
  const deps = { clock, tracker, kv };
  setup(deps);
  let next = 0;
  const present: string[] = [];
  const run: Run = {
    mutations: 0,
    commits: 0,
    cpu: [],
    wall: [],
    steadyMutations: 0,
    steadyTicks: 0,
    maxMutations: 0,
  };
  for (let t = 0; t < ticks; t++) {
    // Arrivals over the first minute, then 5% churn per minute (spread over its 6 samples).
    if (t < 6) { while (present.length < Math.round((N * (t + 1)) / 6)) present.push(`viewer-${next++}`); }
    else {
      const churn = Math.round((N * 0.05) / 6);
      present.splice(0, churn);
      for (let i = 0; i < churn; i++) present.push(`viewer-${next++}`);
    }
    clock.advance(SAMPLE_MS);
    const now = clock.now();
    for (const id of present) {
      tracker.seen("live", { id, kind: "session", user: null, ip: "", userAgent: "bench" }, now - 300);
    }
    const c0 = cpuMs(), w0 = performance.now();
    const r = await step(deps);
    run.cpu.push(cpuMs() - c0);
    run.wall.push(performance.now() - w0);
    run.mutations += r.mutations;
    run.commits += r.commits;
    run.maxMutations = Math.max(run.maxMutations, r.mutations);
    if (t >= 6) {
      run.steadyMutations += r.mutations;
      run.steadyTicks++;
    }
  }
  console.error(`${name}: ${ticks} samples done`);
  return { ...run, dir, kv, clock };
}

const snapshot = (clock: ManualClock): LivePath[] => [{
  name: "live",
  online: true,
  onlineSince: new Date(Date.parse("2026-06-10T08:00:00Z")).toISOString(),
  codecs: ["H264", "MPEG-4 Audio"],
  inboundBytes: 0,
  bitrate: 1_500_000 + (clock.now() % 7) * 1000,
  source: { type: "rtmpConn", id: "bench" },
  readers: [],
  video: { width: 1280, height: 720 },
}];

/** One run: the aggregator for `minutes`, the naive peer for `peerMinutes`, with `N` viewers. */
export async function analyticsBench(N = 1000, minutes = 60, peerMinutes = 2) {
  const TICKS = minutes * 6;
  const PEER_TICKS = peerMinutes * 6;
  let analytics!: Analytics;
  const agg = await simulate(N, "aggregator", async () => {
    const r = await analytics.tick();
    return { mutations: r?.mutations ?? 0, commits: r?.commits ?? 0 };
  }, ({ clock, tracker, kv }) => {
    analytics = new Analytics({
      store: storeOf(kv),
      clock,
      log: console.error,
      cfg: { enabled: true, retentionDays: 90, sampleMs: SAMPLE_MS, rawHours: 48 },
      live: { get: () => Promise.resolve(snapshot(clock)) },
      viewers: tracker,
      readers: new ReaderLedger(),
    });
  }, TICKS);
  // The API's answer for the simulated hour (JSON): how long a dashboard waits.
  const reportMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await buildReport({
      store: storeOf(agg.kv),
      scope: "live",
      server: false,
      range: {
        from: agg.clock.now() - TICKS * SAMPLE_MS,
        to: agg.clock.now(),
        format: "json",
        table: "samples",
      },
      now: agg.clock.now(),
      sampleMs: SAMPLE_MS,
      retentionDays: 90,
      running: analytics.running("live"),
    });
    reportMs.push(performance.now() - t0);
  }
  agg.kv.close();

  const naive = await simulate(
    N,
    "naive peer",
    async ({ clock, tracker, kv }) => {
      const now = clock.now();
      const vs = tracker.viewers("live", now).filter((v) => now - v.lastSeen < SAMPLE_MS);
      for (const v of vs) await kv.set(["bench", "viewer", v.id], { lastSeen: v.lastSeen, t: now });
      return { mutations: vs.length, commits: vs.length };
    },
    () => {},
    PEER_TICKS,
  );
  naive.kv.close();

  const a = line("aggregator", agg), b = line("naive", naive);
  for (const d of [agg.dir, naive.dir]) await Deno.remove(d, { recursive: true }).catch(() => {});
  return { viewers: N, samples: TICKS, aggregator: a, naive: b, reportP50Ms: pct(reportMs, 0.5) };
}

const line = (name: string, r: Run) => {
  const simSeconds = r.cpu.length * SAMPLE_MS / 1000;
  const cpuAvg = r.cpu.reduce((a, b) => a + b, 0) / r.cpu.length;
  return {
    name,
    writesPerSec: r.mutations / simSeconds,
    steadyWritesPerSec: r.steadyMutations / (r.steadyTicks * SAMPLE_MS / 1000),
    commitsPerSec: r.commits / simSeconds,
    maxMutationsPerSample: r.maxMutations,
    cpuAvgMs: cpuAvg,
    cpuP95Ms: pct(r.cpu, 0.95),
    cpuMaxMs: Math.max(...r.cpu),
    wallP50Ms: pct(r.wall, 0.5),
    coreShare: cpuAvg / SAMPLE_MS,
  };
};

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      viewers: { type: "string", default: "1000" },
      minutes: { type: "string", default: "60" },
      "peer-minutes": { type: "string", default: "2" },
    },
  });
  const r = await analyticsBench(
    Number(values.viewers),
    Number(values.minutes),
    Number(values["peer-minutes"]),
  );
  const { aggregator: a, naive: b } = r;
  const f = (x: number, d = 2) => x.toFixed(d);
  console.log(
    `viewers ${r.viewers}, ${r.samples} samples of 10 s (${values.minutes} simulated minutes), 5%/min churn`,
  );
  for (const r of [a, b]) {
    console.log(
      `${r.name}: KV mutations ${f(r.writesPerSec)}/s overall, ${
        f(r.steadyWritesPerSec)
      }/s after the arrivals, ` +
        `commits ${
          f(r.commitsPerSec)
        }/s, at most ${r.maxMutationsPerSample} in one sample; CPU per sample avg ${f(r.cpuAvgMs)} ms p95 ${
          f(r.cpuP95Ms)
        } ms max ${f(r.cpuMaxMs)} ms (${f(r.coreShare * 100, 3)}% of one core); wall p50 ${
          f(r.wallP50Ms)
        } ms`,
    );
  }
  console.log(
    `ratio aggregator/naive: mutations ${f(a.writesPerSec / b.writesPerSec, 3)}x, commits ${
      f(a.commitsPerSec / b.commitsPerSec, 4)
    }x, CPU ${f(a.cpuAvgMs / b.cpuAvgMs, 2)}x`,
  );
  console.log(`API report of the hour (${r.samples} samples): p50 ${f(r.reportP50Ms, 1)} ms`);
}
