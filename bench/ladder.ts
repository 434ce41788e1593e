// Quality-ladder benchmark (issue #18): CPU per rung and the switch gap in the browser, measured against
// peers in the same run.
//   - CPU: the ladder's ffmpeg (one decode of the 640x360 30 fps source, scale, x264 veryfast) with a 360p
//     rung, a 180p rung, and both, as % of one core over a window, next to the publisher's ffmpeg in the
//     same window (it generates the test pattern and encodes 640x360 with x264 veryfast: the peer).
//   - Switch gap: Chromium plays the laddered stream (?mode=hls); the quality menu forces a switch every
//     4 s, alternating 180p and 360p; per switch the longest time currentTime stood still in the 3 s after
//     it. Peer: the same measure over windows of steady play without a switch, just before.
//
//   deno run -A bench/ladder.ts [--quick] [--write]   (--write replaces the ladder block in BENCHMARKS.md)
import { parseArgs } from "node:util";
import { ADMIN_PASSWORD, Client, publish, startLivegate, stopProc, waitFor } from "../tests/e2e/harness.ts";
import { launchChromium } from "../tests/e2e/chromium.ts";
import { cpuTicks } from "./procstat.ts";
import { dist } from "./stats.ts";
import { loadAverage, reportResults } from "./results.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { quick: { type: "boolean", default: false }, write: { type: "boolean", default: false } },
});
const WINDOW_S = values.quick ? 8 : 20;
const SWITCHES = values.quick ? 4 : 10;
const log = (s: string) => console.error(s);
const f = (x: number | undefined, d = 0) => x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(d);

/** CPU % of one core of each pid over `secs`. */
async function cpuOver(pids: number[], secs: number): Promise<number[]> {
  const t0 = pids.map(cpuTicks);
  const w0 = performance.now();
  await new Promise((r) => setTimeout(r, secs * 1000));
  const dt = (performance.now() - w0) / 1000;
  return pids.map((p, i) => (cpuTicks(p) - t0[i]) / 100 / dt * 100);
}

const lg = await startLivegate();
const admin = new Client(lg.url);
const pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 3600);
const rows: string[][] = [];
const started = new Date();
const load0 = loadAverage();
let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
try {
  await admin.login("admin", ADMIN_PASSWORD);
  const status = async () => (await admin.api("GET", "/api/streams/live/ladder")).body.status;
  const cpu: Record<string, { ladder: number; pub: number; speed: number }> = {};
  for (
    const rungs of [[{ height: 360, kbps: 700 }], [{ height: 180, kbps: 250 }], [{ height: 360, kbps: 700 }, {
      height: 180,
      kbps: 250,
    }]]
  ) {
    const name = rungs.map((r) => `${r.height}p`).join(" + ");
    const set = await admin.api("PATCH", "/api/streams/live", { ladder: { enabled: true, rungs } });
    if (set.status !== 200) throw new Error(JSON.stringify(set.body));
    const s = await waitFor(`ladder ${name} running`, async () => {
      const s = await status();
      return s.state === "running" && s.pid && s.speed !== null && s.rungs.length === rungs.length &&
          s.rungs.every((r: { height: number }, i: number) => r.height === rungs[i].height)
        ? s
        : undefined;
    }, 60_000);
    await new Promise((r) => setTimeout(r, 4000)); // past the start
    log(`CPU: ${name} for ${WINDOW_S} s…`);
    const [ladder, publisher] = await cpuOver([s.pid, pub.pid], WINDOW_S);
    cpu[name] = { ladder, pub: publisher, speed: (await status()).speed };
  }
  for (const [name, c] of Object.entries(cpu)) {
    rows.push([
      "Ladder CPU (x264 veryfast)",
      `${name} from 640x360 30 fps (one decode)`,
      `ladder ffmpeg ${f(c.ladder)}% of a core (speed ${
        f(c.speed, 2)
      }x); publisher ffmpeg (640x360 veryfast encode) ${f(c.pub)}%`,
      `${f(c.ladder / c.pub, 2)}x the publisher`,
      "",
    ]);
  }
  const both = cpu["360p + 180p"], r360 = cpu["360p"], r180 = cpu["180p"];
  rows.push([
    "Ladder CPU per rung",
    "marginal cost of each rung (both rungs minus the other one alone)",
    `360p +${f(both.ladder - r180.ladder)}%, 180p +${f(both.ladder - r360.ladder)}% of a core`,
    "",
    "",
  ]);

  // Switch gap in Chromium.
  await admin.api("PATCH", "/api/streams/live", {
    ladder: { enabled: true, rungs: [{ height: 180, kbps: 250 }] },
  });
  await waitFor("two variants", async () => {
    const t = await (await admin.fetch("/hls/live/index.m3u8")).text();
    return t.includes("180p/") ? true : undefined;
  }, 60_000);
  browser = await launchChromium();
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${lg.url}/login`);
  await page.fill("input[name=user]", "admin");
  await page.fill("input[name=password]", ADMIN_PASSWORD);
  await Promise.all([page.waitForURL(`${lg.url}/`), page.click("button[type=submit]")]);
  await page.goto(`${lg.url}/watch/live?mode=hls`);
  await waitFor("menu", async () => {
    const n = await page.evaluate(() => document.querySelectorAll("#quality option").length);
    return n === 3 ? true : undefined;
  }, 60_000);
  await page.evaluate(() => {
    const w = globalThis as unknown as { samples: [number, number][] };
    w.samples = [];
    const v = document.getElementById("video") as HTMLVideoElement;
    setInterval(() => w.samples.push([Date.now(), v.currentTime]), 20);
  });
  const stallIn = async (from: number, to: number) => {
    const s = await page.evaluate(() => (globalThis as unknown as { samples: [number, number][] }).samples);
    let gap = 0, lastMove = from, prev: number | null = null;
    for (const [t, ct] of s) {
      if (t < from || t > to) continue;
      if (prev !== null && ct > prev) lastMove = t;
      gap = Math.max(gap, t - lastMove);
      prev = ct;
    }
    return gap;
  };
  await new Promise((r) => setTimeout(r, 3000));
  log(`switch gap: ${SWITCHES} windows without, then ${SWITCHES} switches…`);
  const base: number[] = [];
  for (let i = 0; i < SWITCHES; i++) {
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 3000));
    base.push(await stallIn(t0, t0 + 3000));
  }
  const opts = await page.evaluate(() =>
    [...document.querySelectorAll<HTMLOptionElement>("#quality option")].map((
      o,
    ) => [o.value, o.textContent ?? ""])
  );
  const low = opts.find((o) => o[1].startsWith("180p"))![0];
  const high = opts.find((o) => o[1].startsWith("360p"))![0];
  const gaps: number[] = [];
  for (let i = 0; i < SWITCHES; i++) {
    const t0 = Date.now();
    await page.selectOption("#quality select", i % 2 === 0 ? low : high);
    await new Promise((r) => setTimeout(r, 4000));
    gaps.push(await stallIn(t0, t0 + 3000));
  }
  const g = dist(gaps)!, b = dist(base)!;
  rows.push([
    "Ladder switch gap (Chromium, hls.js)",
    `${SWITCHES} forced switches 360p <-> 180p; peer: ${SWITCHES} windows of steady play`,
    `longest stall after a switch p50 ${f(g.p50)} ms, p95 ${f(g.p95)} ms, max ${
      f(g.max)
    } ms; steady play p95 ${f(b.p95)} ms, max ${f(b.max)} ms`,
    `p95 ${f(g.p95 - b.p95)} ms over steady play`,
    `no gap over 1 s: ${g.max <= 1000 ? "**met**" : "**missed**"}`,
  ]);
  await ctx.close();
} finally {
  await browser?.close();
  await stopProc(pub);
  await lg.stop();
}

await reportResults(rows, {
  started,
  quick: !!values.quick,
  load0,
  block: values.write ? "ladder" : undefined,
  log,
});
