// Edge delivery benchmark (#20, BENCHMARKS.md "Edge delivery"): one origin (livegate + MediaMTX, the rig of
// rig.ts with its wall-clock publisher) and two Debian nginx edges running deploy/nginx-edge.conf.
//
//   deno run -A bench/edge.ts [--viewers=100,1000,2000] [--direct=1000] [--seconds=20] [--ramp=10]
//
// Rows, each one run of `seconds` after a `ramp`:
// - live-edge delay added by livegate: two probes in this process follow the video track at the same time,
//   one through the target (livegate's /hls, or an edge), one straight from MediaMTX (CDN bearer); for each
//   part the arrival time through the target minus the arrival time direct (ms; same process, same clock).
//   Idle, with `direct` viewers on livegate's /hls (today's delivery), and with N viewers on the edges.
// - through 2 edges: requests reaching livegate per second (its own request counter), CPU of livegate,
//   MediaMTX, the nginx workers and the load generator, errors and stalls of the simulated viewers.
// The load generator (edge_load.ts, viewers.ts) runs in its own process pinned to core 1 with `taskset -c 1`;
// livegate, MediaMTX and nginx are not pinned (they share both cores with it), as on a 2-core machine.
import { parseArgs } from "node:util";
import { Client, freePort } from "../tests/e2e/harness.ts";
import { startEdge } from "../tests/e2e/nginx_edge.ts";
import { randomToken } from "../src/core/crypto.ts";
import { startRig } from "./rig.ts";
import { makeSessions } from "./scale.ts";
import type { ViewerStats } from "./viewers.ts";
import { addedDelay, load, requestsTotal } from "./live_delay.ts";
import { sampler } from "./procstat.ts";
import type { Dist } from "./stats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    viewers: { type: "string", default: "100,1000,2000" },
    direct: { type: "string", default: "1000" },
    seconds: { type: "string", default: "20" },
    ramp: { type: "string", default: "10" },
  },
});
const EDGE_COUNTS = values.viewers.split(",").filter(Boolean).map(Number);
const DIRECT = Number(values.direct);
const SECONDS = Number(values.seconds);
const RAMP = Number(values.ramp);
const log = (s: string) => console.error(s);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** nginx's worker processes (children of the master). */
function workersOf(pid: number): number[] {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim().split(/\s+/).filter(Boolean).map(
      Number,
    );
  } catch {
    return [];
  }
}

/** Starts the pinned load generator; resolves with its stats. */
interface Row {
  name: string;
  viewers: number;
  delay: Dist | null;
  originRps: number;
  cpu: Record<string, number>;
  stats: ViewerStats | null;
}

const secret = randomToken(32);
const ports = [freePort(), freePort()];
const rig = await startRig(log, {
  LIVEGATE_EDGE_SECRET: secret,
  LIVEGATE_DELIVERY: "edge",
  LIVEGATE_EDGE_URLS: ports.map((p) => `http://127.0.0.1:${p}`).join(","),
  LIVEGATE_EDGE_TOKEN_TTL: "1h",
});
const edges = await Promise.all(ports.map((p) => startEdge(rig.lg.url, secret, p)));
const rows: Row[] = [];
try {
  const admin = new Client(rig.lg.url);
  admin.cookies.set("lg_session", rig.cookie.split("=")[1]);
  const token = (await admin.api("GET", "/api/streams/live/delivery")).body.token as string;
  const direct = { base: `${rig.mtxHls}/live`, headers: { authorization: `Bearer ${rig.secrets.cdn}` } };
  const viaLivegate = { base: `${rig.lg.url}/hls/live`, headers: { cookie: rig.cookie } };
  const viaEdge = { base: `${edges[0].url}/e/${token}/live`, headers: {} };

  const measure = async (
    name: string,
    n: number,
    bases: string[],
    cookies: string[],
    probe: typeof viaEdge,
  ): Promise<Row> => {
    log(`${name}: ${n} viewers…`);
    const gen = n > 0 ? load(bases, cookies, SECONDS, RAMP) : null;
    if (gen) await sleep(RAMP * 1000);
    const pids: Record<string, number> = { livegate: rig.lg.proc.pid, mediamtx: rig.mtx.pid };
    edges.forEach((e, i) => workersOf(e.pid).forEach((w, j) => (pids[`nginx ${i + 1}.${j}`] = w)));
    if (gen) pids["load generator"] = gen.pid;
    const s = sampler(pids);
    const r0 = await requestsTotal(rig.lg.url, rig.metricsToken);
    const t0 = performance.now();
    const delay = await addedDelay(probe, direct, (SECONDS - 2) * 1000);
    const secs = (performance.now() - t0) / 1000;
    const originRps = ((await requestsTotal(rig.lg.url, rig.metricsToken)) - r0) / secs;
    const p = s.stop();
    const stats = gen ? await gen.done : null;
    const cpu: Record<string, number> = {};
    for (const [k, v] of Object.entries(p)) {
      const key = k.startsWith("nginx") ? "nginx (2 workers)" : k;
      cpu[key] = (cpu[key] ?? 0) + v.cpuAvg;
    }
    const row = { name, viewers: n, delay, originRps, cpu, stats };
    log(JSON.stringify(row));
    return row;
  };

  rows.push(await measure("idle, through livegate /hls", 0, [], [], viaLivegate));
  rows.push(await measure("idle, through an edge", 0, [], [], viaEdge));
  if (DIRECT > 0) {
    const cookies = await makeSessions(rig, DIRECT);
    rows.push(
      await measure(
        "viewers on livegate /hls (direct delivery)",
        DIRECT,
        [viaLivegate.base],
        cookies,
        viaLivegate,
      ),
    );
    await sleep(5000);
  }
  for (const n of EDGE_COUNTS) {
    rows.push(
      await measure(
        "viewers on 2 edges",
        n,
        edges.map((e) => `${e.url}/e/${token}/live`),
        new Array(n).fill(""),
        viaEdge,
      ),
    );
    await sleep(5000);
  }
} finally {
  await Promise.all(edges.map((e) => e.stop()));
  await rig.stop();
}

const f = (x: number | undefined, d = 0) => x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(d);
console.log(
  "| run | viewers | added delay p50 / p95 (ms) | livegate req/s | livegate CPU | MediaMTX CPU | nginx CPU | load gen CPU | viewer errors / stalled tracks |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const r of rows) {
  console.log(
    `| ${r.name} | ${r.viewers} | ${f(r.delay?.p50)} / ${f(r.delay?.p95)} (n=${r.delay?.n ?? 0}) | ${
      f(r.originRps, 1)
    } | ` +
      `${f(r.cpu.livegate)}% | ${f(r.cpu.mediamtx)}% | ${f(r.cpu["nginx (2 workers)"])}% | ${
        f(r.cpu["load generator"])
      }% | ` +
      `${r.stats ? `${r.stats.errors} / ${r.stats.stalledTracks} of ${r.stats.viewers * 2}` : "–"} |`,
  );
}
