// `deno task bench`: every benchmark against one set of processes (rig.ts), one table of side-by-side
// figures and ratios from the same run. Method: BENCHMARKS.md.
//
//   deno task bench                       full run (~12 min)
//   deno task bench --quick               short smoke run (~3 min; numbers only indicative)
//   deno task bench --only=latency,proxy  a subset: latency, ttff, restart, proxy, hook, scale, analytics, login, flood, chat
//   deno task bench --viewers=100,500     viewer counts for the scale test
//   deno task bench --write               also replace the results block in BENCHMARKS.md
import { parseArgs } from "node:util";
import { startRig } from "./rig.ts";
import { latencyDirect, latencyLivegate, type LatencyResult } from "./latency.ts";
import { proxyCost, type ProxyRow } from "./proxy_cost.ts";
import { hookBench, type HookRow } from "./hook.ts";
import { bareScale, scale, type ScaleRow } from "./scale.ts";
import type { MemorySample } from "./memory.ts";
import { type LoginRow, loginScenario, setupLoginUsers } from "./login.ts";
import { floodScenario } from "./post_flood.ts";
import { analyticsBench } from "./analytics.ts";
import { ttffBench } from "./ttff.ts";
import { figures as restartFigures, median, restartBench } from "./restart.ts";
import { chatScenario } from "./chat.ts";
import { loadAverage, reportResults } from "./results.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    write: { type: "boolean", default: false },
    only: { type: "string", default: "latency,ttff,restart,proxy,hook,scale,analytics,login,flood,chat" },
    viewers: { type: "string" },
    "chat-clients": { type: "string", default: "1000" },
  },
});
const quick = values.quick;
const only = new Set(values.only.split(","));
const viewerCounts = (values.viewers ?? (quick ? "100,500" : "100,500,1000,2000")).split(",").map(Number);
const D = quick
  ? {
    latWarm: 6000,
    latSample: 10_000,
    proxyRounds: 1,
    proxySec: 3,
    hookSec: 3,
    scaleSec: 15,
    ramp: 5,
    loginSec: 6,
    floodSec: 10,
    chatSec: 15,
  }
  : {
    latWarm: 30_000, // past RELAX_AFTER_MS (static/hls-config.ts): steady state after a start-up stall
    latSample: 30_000,
    proxyRounds: 3,
    proxySec: 5,
    hookSec: 5,
    scaleSec: 60,
    ramp: 10,
    loginSec: 15,
    floodSec: 30,
    chatSec: 60,
  };

const log = (s: string) => console.error(s);
const f = (x: number | undefined, d = 0) => x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(d);
/** " (malloc heap A, other anon B, files C; V8 heap D of E used, external F)" in MB. */
const memoryNote = (m: MemorySample | null) =>
  m
    ? ` (malloc heap ${f(m.mallocHeap)}, other anon ${f(m.anon)}, files ${f(m.file)}; V8 heap ${
      f(m.v8Used)
    } ` +
      `used of ${f(m.v8Total)}, external ${f(m.external)})`
    : "";
const pass = (ok: boolean) => ok ? "**met**" : "**missed**";

const rows: string[][] = [];
const add = (...r: string[]) => rows.push(r);

const rig = await startRig(log);
const started = new Date();
let load0 = "";
try {
  load0 = loadAverage();
  // Order matters: the login benchmark locks 'admin' out (by design), so it runs last.
  if (only.has("latency")) {
    log("glass-to-glass latency (Chromium)…");
    const lat: LatencyResult[] = [];
    lat.push(await latencyLivegate(rig, "hls", D.latWarm, D.latSample));
    lat.push(await latencyDirect(rig, D.latWarm, D.latSample));
    const ws = await latencyLivegate(rig, "webrtc", D.latWarm, D.latSample).catch((e) => ({
      name: "WebRTC via livegate (player, ?mode=webrtc)",
      dist: null,
      frames: 0,
      unreadable: 0,
      stalls: 0,
      note: `failed: ${(e as Error).message.split("\n")[0]}`,
    }));
    lat.push(ws);
    const [viaLg, direct, rtc] = lat;
    for (const r of lat) {
      const d = r.dist;
      let ratio = "";
      let target = "";
      if (r === viaLg && d && direct.dist) {
        const diff = d.p50 - direct.dist.p50;
        ratio = `${f(d.p50 / direct.dist.p50, 2)}x direct p50 (${diff >= 0 ? "+" : ""}${f(diff)} ms)`;
        target = `p50 <= 1500 ms: ${pass(d.p50 <= 1500)}`;
      }
      if (r === rtc && d) target = `p50 <= 400 ms: ${pass(d.p50 <= 400)}`;
      add(
        "Glass-to-glass",
        r.name,
        d
          ? `p50 ${f(d.p50)} ms, p95 ${
            f(d.p95)
          } ms (${r.frames} frames, ${r.unreadable} unreadable, ${r.stalls} stalls)`
          : "no frames",
        ratio,
        [target, r.note].filter(Boolean).join("; "),
      );
    }
  }

  if (only.has("ttff")) {
    log("time to first frame (Chromium)…");
    const [hls, rtc, late] = await ttffBench(rig.lg.url, "live", quick ? 4 : 10);
    const figures = (r: typeof hls) =>
      `p50 ${f(r.p50)} ms, p95 ${f(r.p95)}, min ${f(r.min)}, max ${f(r.max)} (${r.ms.length} runs${
        r.failures ? `, ${r.failures} without a frame` : ""
      })`;
    add("Time to first frame", "LL-HLS (player, ?mode=hls)", figures(hls), "", "");
    add(
      "Time to first frame",
      "WebRTC (player, ?mode=webrtc)",
      figures(rtc),
      `${f(rtc.p50 / hls.p50, 2)}x LL-HLS p50`,
      `p50 <= 500 ms: ${pass(rtc.p50 <= 500)}`,
    );
    add(
      "Time to first frame",
      "WebRTC started by the player alone (?early=0, as before the early start)",
      figures(late),
      `early start: ${f(rtc.p50 - late.p50)} ms at p50`,
      "",
    );
  }

  if (only.has("restart")) {
    // Its own two livegates (publishers are killed and restarted), next to the rig's.
    log("LL-HLS after a 2 s publisher restart (Chromium)…");
    const rows = await restartBench(quick ? 2 : 5, log);
    for (const r of rows.filter((r) => r.setup === "livegate")) {
      const peer = rows.find((p) => p.ingest === r.ingest && p.setup === "peer")!;
      add(
        "Publisher restart",
        `${r.ingest}, LL-HLS: restart -> new frames (after MediaMTX has the stream)`,
        `${restartFigures(r.fromRestart)} (${restartFigures(r.fromBack)})${
          r.failures ? `, ${r.failures} failed` : ""
        }`,
        `${f(median(r.fromBack) / median(peer.fromBack), 2)}x HLS muxer on demand`,
        `restart -> frames <= 3 s: ${pass(median(r.fromRestart) <= 3000)}`,
      );
    }
  }

  if (only.has("proxy")) {
    log("proxy cost (wrk)…");
    const px: ProxyRow[] = await proxyCost(
      rig,
      { rounds: D.proxyRounds, seconds: D.proxySec, connections: 32 },
      log,
    );
    for (const file of ["segment", "part"] as const) {
      const by = (t: string) => px.find((r) => r.file === file && r.target === t)!;
      const [d, n, l] = [by("direct"), by("nginx"), by("livegate")];
      for (const r of [d, n, l]) {
        let ratio = "";
        let target = "";
        if (r === l) {
          ratio = `${f(l.rps / d.rps, 2)}x direct, ${f(l.rps / n.rps, 2)}x nginx; added p50 ${
            f(l.p50 - d.p50, 3)
          } ms`;
          target = `>= 0.8x direct: ${pass(l.rps >= 0.8 * d.rps)}; >= nginx: ${pass(l.rps >= n.rps)}; ` +
            `added p50 <= 1 ms: ${pass(l.p50 - d.p50 <= 1)}`;
        } else if (r === n) ratio = `${f(n.rps / d.rps, 2)}x direct; added p50 ${f(n.p50 - d.p50, 3)} ms`;
        add(
          `HLS ${file} (${f(r.bytes / 1024)} KiB)`,
          r.target,
          `${f(r.rps)} req/s, ${f(r.mbps)} Mbit/s (c=32, p50 ${f(r.loadP50, 2)} ms, p99 ${
            f(r.loadP99, 1)
          } ms); ` +
            `c=1 p50 ${f(r.p50, 3)} ms, p99 ${f(r.p99, 2)} ms${r.errors ? `; ${r.errors} errors` : ""}`,
          ratio,
          target,
        );
      }
    }
  }

  if (only.has("hook")) {
    log("auth hook (wrk)…");
    const hk: HookRow[] = await hookBench(rig, D.hookSec, 8);
    for (const r of hk) {
      add(
        "Auth hook",
        `${r.action}, c=${r.connections}`,
        `${f(r.rps)} req/s, p50 ${f(r.p50, 2)} ms, p99 ${f(r.p99, 2)} ms${
          r.errors ? `; ${r.errors} errors` : ""
        }`,
        "",
        `p99 <= 2 ms: ${pass(r.p99 <= 2)}`,
      );
    }
  }

  if (only.has("scale")) {
    const scaleFigures = (r: ScaleRow, server: string) => {
      const sv = r.proc.server;
      const mtx = r.proc.mediamtx;
      const gen = r.proc["load generator"];
      return `${r.errors} errors${r.errors ? ` ${JSON.stringify(r.errorKinds)}` : ""}, ${r.stalls} stalls ` +
        `(${f(100 * r.stalledTracks / (2 * r.viewers), 1)}% of tracks), part fetch p50 ${
          f(r.partFetch?.p50)
        } ms ` +
        `p95 ${f(r.partFetch?.p95)} ms, ${f(r.requests / (D.scaleSec + D.ramp))} req/s; ` +
        `${server} CPU ${f(sv.cpuAvg)}% RSS max ${f(sv.rssMax)} MB${memoryNote(r.memory)}; ` +
        `MediaMTX CPU ${f(mtx.cpuAvg)}% RSS ${f(mtx.rssMax)} MB; generator CPU ${f(gen.cpuAvg)}%`;
    };
    const byCount = new Map<number, ScaleRow>();
    for (const n of viewerCounts) {
      log(`viewer scale: ${n} viewers for ${D.scaleSec} s (+${D.ramp} s ramp)…`);
      const r: ScaleRow = await scale(rig, n, D.scaleSec, D.ramp);
      byCount.set(n, r);
      const target = n === 1000
        ? `0 errors: ${pass(r.errors === 0)}; RSS <= 150 MB: ${pass(r.proc.server.rssMax <= 150)}`
        : "";
      add(
        "Viewer scale",
        `${n} LL-HLS viewers, ${D.scaleSec}+${D.ramp} s`,
        scaleFigures(r, "livegate"),
        `${f(r.bytes * 8 / 1e6 / (D.scaleSec + D.ramp))} Mbit/s delivered`,
        target,
      );
    }
    // The same load through the smallest proxy Deno can be (bare_proxy.ts): how much of livegate's CPU
    // and memory is Deno's HTTP server and fetch, and how much is livegate's own.
    const n = viewerCounts.includes(1000) ? 1000 : Math.max(...viewerCounts);
    log(
      `viewer scale floor: ${n} viewers through bench/bare_proxy.ts for ${D.scaleSec} s (+${D.ramp} s ramp)…`,
    );
    const bare = await bareScale(rig, n, D.scaleSec, D.ramp);
    const lg = byCount.get(n)!;
    add(
      "Viewer scale",
      `${n} viewers through a bare Deno.serve proxy (bench/bare_proxy.ts), same MediaMTX`,
      scaleFigures(bare, "bare proxy"),
      `livegate RSS ${f(lg.proc.server.rssMax / bare.proc.server.rssMax, 2)}x, CPU ${
        f(lg.proc.server.cpuAvg / bare.proc.server.cpuAvg, 2)
      }x the bare proxy's`,
      "",
    );
  }

  if (only.has("analytics")) {
    // Stream analytics at 1,000 viewers (bench/analytics.ts): KV writes and CPU per 10 s sample against a
    // write-per-viewer peer, same run.
    log("stream analytics at 1,000 viewers…");
    const r = await analyticsBench(1000, quick ? 10 : 60, 2);
    const a = r.aggregator, b = r.naive;
    add(
      "Stream analytics",
      `1,000 viewers, ${r.samples} samples of 10 s`,
      `${f(a.steadyWritesPerSec, 2)} KV writes/s (${
        f(a.commitsPerSec, 2)
      } commits/s, at most ${a.maxMutationsPerSample} ` +
        `in one sample); CPU per sample ${f(a.cpuAvgMs, 1)} ms avg, ${f(a.cpuP95Ms, 1)} ms p95 ` +
        `(${f(a.coreShare * 100, 3)}% of a core); API report of the run p50 ${f(r.reportP50Ms)} ms`,
      `${f(a.steadyWritesPerSec / b.steadyWritesPerSec, 3)}x the writes, ${f(a.cpuAvgMs / b.cpuAvgMs, 2)}x ` +
        `the CPU of a write per viewer per sample (${f(b.steadyWritesPerSec)} writes/s, ${f(b.cpuAvgMs)} ms)`,
      `<= 10 KV writes/s at 1,000 viewers: ${pass(a.steadyWritesPerSec <= 10)}`,
    );
  }

  if (only.has("login")) {
    log("login under brute force…");
    await setupLoginUsers(rig);
    const lr: LoginRow[] = [];
    let round = 1;
    for (const s of ["baseline", "one address", "distributed"] as const) {
      lr.push(await loginScenario(rig, s, D.loginSec, 4, round++));
    }
    const base = lr[0];
    for (const r of lr) {
      add(
        "Login under brute force",
        r.scenario,
        `legit ${r.legitOk}/${r.legitAttempts} ok, p50 ${f(r.legitMs?.p50)} ms, max ${f(r.legitMs?.max)} ms` +
          (r.scenario === "baseline"
            ? ""
            : `; attacker ${r.attackAttempts} tries (${
              f(r.attackPerSec)
            }/s): ${r.attack401} checked (401), ` +
              `${r.attack429} refused (429); then admin's own login: ${r.attackedUserStatus}`),
        r === base ? "" : `legit p50 ${f((r.legitMs?.p50 ?? NaN) / (base.legitMs?.p50 ?? NaN), 2)}x baseline`,
        r === base
          ? ""
          : `legit users still log in: ${pass(r.legitOk === r.legitAttempts && r.legitAttempts > 0)}`,
      );
    }
  }
  if (only.has("flood")) {
    const n = 200, posts = 5000;
    log(`viewers under a POST flood: ${n} viewers, ${D.floodSec} s without, then with ${posts} POST /login…`);
    const r = await floodScenario(rig, n, posts, D.floodSec, D.ramp);
    const p95 = (v: typeof r.quiet) => v.partFetch?.p95 ?? NaN;
    const ratio = p95(r.flood) / p95(r.quiet);
    add(
      "Viewers under a POST flood",
      `${n} LL-HLS viewers, ${D.floodSec}+${D.ramp} s; then the same with ${posts} anonymous POST /login`,
      `without: ${r.quiet.errors} errors, ${r.quiet.stalls} stalls, part fetch p50 ${
        f(r.quiet.partFetch?.p50)
      } ms ` +
        `p95 ${
          f(p95(r.quiet))
        } ms; with: ${r.flood.errors} errors, ${r.flood.stalls} stalls, part fetch p50 ${
          f(r.flood.partFetch?.p50)
        } ms p95 ${f(p95(r.flood))} ms; ${r.posts} POSTs in ${f(r.postSeconds, 1)} s ${
          JSON.stringify(r.postStatus)
        }`,
      `part fetch p95 ${f(ratio, 2)}x without the POSTs`,
      `p95 within 1.2x: ${pass(ratio <= 1.2)}`,
    );
  }
  if (only.has("chat")) {
    const clients = Number(values["chat-clients"]), rate = 20, viewers = 300;
    log(
      `chat: ${viewers} viewers, then ${clients} chat clients with ${rate} msg/s, then both, ${D.chatSec} s each…`,
    );
    const r = await chatScenario(rig, { clients, rate, viewers, seconds: D.chatSec, ramp: D.ramp });
    const chatFigures = (c: typeof r.chat) => {
      const d = c.delivery;
      return `delivery p50 ${f(d?.p50, 1)} ms, p99 ${f(d?.p99, 1)} ms, max ${f(d?.max)} ms over ${
        d?.n ?? 0
      } deliveries ` +
        `(p50 in the first fifth ${f(c.firstFifthP50 ?? NaN)} ms, last fifth ${
          f(c.lastFifthP50 ?? NaN)
        } ms); ` +
        `${c.accepted}/${c.posted} accepted${
          c.refused ? ` (${c.refused} refused ${JSON.stringify(c.refusedReasons)})` : ""
        }, ` +
        `${c.lost} lost of ${c.expected} expected${
          c.duplicates ? `, ${c.duplicates} duplicates` : ""
        }, ${c.readersJoined}/${c.readers} joined in ${f(c.joinSeconds, 1)} s` +
        `${c.connectFailures ? `, ${c.connectFailures} connect failures` : ""}${
          c.closedEarly ? `, ${c.closedEarly} dropped` : ""
        }; chat generator CPU ${f(c.generatorCpu)}%`;
    };
    const target = (c: typeof r.chat) =>
      `p99 <= 100 ms: ${pass((c.delivery?.p99 ?? Infinity) <= 100)}; 0 lost: ${
        pass(c.lost === 0 && c.duplicates === 0 && c.accepted > 0)
      }`;
    add(
      "Chat",
      `${clients} chat clients on one stream, ${rate} messages/s posted for ${D.chatSec} s`,
      `${chatFigures(r.alone)}; livegate CPU ${f(r.livegateAlone.cpuAvg)}% (max ${
        f(r.livegateAlone.cpuMax)
      }%), RSS max ${f(r.livegateAlone.rssMax)} MB`,
      `${f(r.cpuPerDeliveryUs, 1)} µs of livegate CPU per delivered message`,
      target(r.alone),
    );
    add(
      "Chat",
      `the same beside ${viewers} LL-HLS viewers of the stream`,
      `${chatFigures(r.chat)}; livegate CPU ${f(r.livegate.cpuAvg)}% (max ${
        f(r.livegate.cpuMax)
      }%), RSS max ${f(r.livegate.rssMax)} MB (viewers alone: ${f(r.livegateQuiet.cpuAvg)}%, ${
        f(r.livegateQuiet.rssMax)
      } MB)`,
      "",
      target(r.chat),
    );
    const p95 = (v: typeof r.quiet) => v.partFetch?.p95 ?? NaN;
    const ratio = p95(r.withChat) / p95(r.quiet);
    add(
      "Viewers beside the chat",
      `${viewers} LL-HLS viewers, ${D.chatSec}+${D.ramp} s; then the same with the chat load above`,
      `without: ${r.quiet.errors} errors, ${r.quiet.stalls} stalls, part fetch p50 ${
        f(r.quiet.partFetch?.p50)
      } ms ` +
        `p95 ${
          f(p95(r.quiet))
        } ms; with: ${r.withChat.errors} errors, ${r.withChat.stalls} stalls, part fetch p50 ${
          f(r.withChat.partFetch?.p50)
        } ms p95 ${f(p95(r.withChat))} ms`,
      `part fetch p95 ${f(ratio, 2)}x without the chat`,
      `p95 within 1.2x: ${pass(ratio <= 1.2)}`,
    );
  }
} finally {
  await rig.stop();
}

await reportResults(rows, { started, quick: !!quick, load0, block: values.write ? "bench" : undefined, log });
