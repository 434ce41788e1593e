// HTTP isolates benchmark (#20 item 4, BENCHMARKS.md "Every core"): the live-edge delay livegate adds at N
// LL-HLS viewers on its /hls, with LIVEGATE_WORKERS=1 (one isolate, today's default) and =2 (two
// request-serving workers in front of the main isolate), in the same run against the same MediaMTX setup.
//
//   deno run -A bench/workers.ts [--viewers=1000] [--workers=1,2] [--seconds=20] [--ramp=10] [--peer=1]
//
// Each row: a fresh rig (rig.ts: livegate + MediaMTX + wall-clock publisher) with that many isolates, N
// viewers (each its own login session) from the load generator in its own process pinned to core 1
// (`taskset -c 1`, live_delay.ts), and meanwhile two probes in this process following the video track, one
// through livegate's /hls and one straight from MediaMTX: per part, arrival through livegate minus arrival
// direct (ms). Also livegate's answered requests per second (/metrics, all isolates summed) and the CPU of
// livegate (all its isolates: one process), MediaMTX and the generator. livegate and MediaMTX are not
// pinned: on this 2-core machine they share both cores with the generator.
// The peer row (--peer=1, the default): the same viewers and probes on bench/deno_relay.ts, an HLS relay
// on Deno with no checks at all (request collapsing and the same bytes to every viewer only): the floor
// of any Deno front end on this machine under this load, measured in the same run.
import { parseArgs } from "node:util";
import { type Rig, startRig } from "./rig.ts";
import { makeSessions } from "./scale.ts";
import { addedDelay, load, requestsTotal } from "./live_delay.ts";
import { sampler } from "./procstat.ts";
import type { Dist } from "./stats.ts";
import type { ViewerStats } from "./viewers.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    viewers: { type: "string", default: "1000" },
    workers: { type: "string", default: "1,2" },
    seconds: { type: "string", default: "20" },
    ramp: { type: "string", default: "10" },
    peer: { type: "string", default: "1" },
  },
});
const VIEWERS = Number(values.viewers);
const WORKERS = values.workers.split(",").filter(Boolean).map(Number);
const SECONDS = Number(values.seconds);
const RAMP = Number(values.ramp);
const log = (s: string) => console.error(s);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Row {
  /** LIVEGATE_WORKERS, or -n for the peer of n processes (bench/deno_relay.ts). */
  workers: number;
  idle: Dist | null;
  delay: Dist | null;
  rps: number;
  cpu: Record<string, number>;
  stats: ViewerStats;
}

const rows: Row[] = [];
/** A free TCP port on 127.0.0.1. */
function freeTcpPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * One row against `rig`'s MediaMTX: the two probes idle for 10 s, then VIEWERS viewers (`cookies`, one each)
 * on `via` from the pinned generator and, after the ramp, the probes again (the added delay), the CPU of the
 * `front` processes (summed, in livegate's column), MediaMTX and the generator, and with `requests` (the
 * front end's count of answered requests) its requests per second over the probes' window (else NaN).
 */
async function measure(
  rig: Rig,
  label: string,
  via: { base: string; headers: Record<string, string> },
  cookies: () => Promise<string[]>,
  front: number[],
  requests?: () => Promise<number>,
): Promise<Omit<Row, "workers">> {
  const direct = { base: `${rig.mtxHls}/live`, headers: { authorization: `Bearer ${rig.secrets.cdn}` } };
  const idle = await addedDelay(via, direct, 10_000);
  const viewers = await cookies();
  log(`${label}: ${VIEWERS} viewers…`);
  const gen = load([via.base], viewers, SECONDS, RAMP);
  await sleep(RAMP * 1000);
  const s = sampler({
    ...Object.fromEntries(front.map((pid, i) => [`front ${i}`, pid])),
    mediamtx: rig.mtx.pid,
    "load generator": gen.pid,
  });
  const r0 = await requests?.();
  const t0 = performance.now();
  const delay = await addedDelay(via, direct, (SECONDS - 2) * 1000);
  const rps = requests && r0 !== undefined
    ? ((await requests()) - r0) / ((performance.now() - t0) / 1000)
    : NaN;
  const p = s.stop();
  const stats = await gen.done;
  const cpu: Record<string, number> = { livegate: 0 };
  for (const [k, v] of Object.entries(p)) {
    if (k.startsWith("front ")) cpu.livegate += v.cpuAvg;
    else cpu[k] = v.cpuAvg;
  }
  return { idle, delay, rps, cpu, stats };
}

/**
 * The peer row: `n` processes of bench/deno_relay.ts on one port (as `n` isolates) in front of the rig's
 * MediaMTX, the same viewers and probes.
 */
async function peerRow(n: number): Promise<Row> {
  log(`peer (${n} Deno relay process(es) without checks): starting…`);
  const rig = await startRig(log, { LIVEGATE_WORKERS: "1" });
  const port = freeTcpPort();
  const relays = Array.from({ length: n }, () =>
    new Deno.Command(Deno.execPath(), {
      args: [
        ...["run", "-A", "--unstable-net", new URL("./deno_relay.ts", import.meta.url).pathname],
        ...[String(port), rig.mtxHls, rig.secrets.cdn],
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn());
  try {
    for (const relay of relays) {
      const reader = relay.stdout.pipeThrough(new TextDecoderStream()).getReader();
      for (let got = ""; !got.includes("listening");) {
        const r = await reader.read();
        if (r.done) throw new Error("a Deno relay ended before it listened (its error is above)");
        got += r.value;
      }
      reader.releaseLock();
    }
    const via = { base: `http://127.0.0.1:${port}/hls/live`, headers: {} };
    const noCookies = () => Promise.resolve(Array<string>(VIEWERS).fill("x=1")); // the relay reads none
    const row = { workers: -n, ...await measure(rig, "peer", via, noCookies, relays.map((r) => r.pid)) };
    log(JSON.stringify(row));
    return row;
  } finally {
    for (const relay of relays) {
      try {
        relay.kill("SIGTERM");
      } catch { /* gone */ }
      await relay.status;
    }
    await rig.stop();
  }
}

if (values.peer !== "0") {
  for (const n of WORKERS) {
    rows.push(await peerRow(n));
    await sleep(3000);
  }
}
for (const workers of WORKERS) {
  log(`LIVEGATE_WORKERS=${workers}: starting…`);
  const rig = await startRig(log, { LIVEGATE_WORKERS: String(workers) });
  try {
    const via = { base: `${rig.lg.url}/hls/live`, headers: { cookie: rig.cookie } };
    const row = {
      workers,
      ...await measure(
        rig,
        `LIVEGATE_WORKERS=${workers}`,
        via,
        () => makeSessions(rig, VIEWERS),
        [rig.lg.proc.pid],
        () => requestsTotal(rig.lg.url, rig.metricsToken),
      ),
    };
    log(JSON.stringify(row));
    rows.push(row);
  } finally {
    await rig.stop();
  }
  await sleep(3000);
}

const f = (x: number | undefined, d = 0) => x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(d);
const one = rows.find((r) => r.workers === 1);
const peerOf = (n: number) => rows.find((r) => r.workers === -n);
console.log(
  "| LIVEGATE_WORKERS | idle added delay p50 / p95 (ms) | viewers | added delay p50 / p95 (ms) | p95 vs 1 isolate | p95 vs peer | livegate req/s | livegate CPU | MediaMTX CPU | load gen CPU (core 1) | errors / stalled tracks |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const r of rows) {
  const ratio = one?.delay && r.delay && r.workers > 0 ? `${(r.delay.p95 / one.delay.p95).toFixed(2)}x` : "–";
  const peer = peerOf(r.workers)?.delay;
  const vsPeer = peer && r.delay && r.workers > 0 ? `${(r.delay.p95 / peer.p95).toFixed(2)}x` : "–";
  console.log(
    `| ${r.workers > 0 ? r.workers : `peer: ${-r.workers} Deno relay process(es), no checks`} | ${
      f(r.idle?.p50)
    } / ${f(r.idle?.p95)} | ${VIEWERS} | ${f(r.delay?.p50)} / ${f(r.delay?.p95)} (n=${
      r.delay?.n ?? 0
    }) | ${ratio} | ${vsPeer} | ${f(r.rps)} | ${f(r.cpu.livegate)}% | ${f(r.cpu.mediamtx)}% | ${
      f(r.cpu["load generator"])
    }% | ${r.stats.errors} / ${r.stats.stalledTracks} of ${r.stats.viewers * 2} |`,
  );
}
