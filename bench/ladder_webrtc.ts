// Quality-ladder benchmark on WebRTC (issue #18, "on WebRTC the player can pick a lower rung"), measured
// against peers in the same run:
//   - Switch: Chromium plays a 640x360 H.264 + Opus stream with a 180p rung over WebRTC; the quality menu
//     forces a switch every 5 s, alternating the rung and the source. Per switch: how long until the new
//     rung's picture is shown (the <video>'s size changes), and the longest time no new frame was presented
//     in the 4 s after the choice (make-before-break should add none). Peer: the longest frame gap over
//     windows of steady play without a switch, just before.
//   (Auto's automatic steps are not measured here: no throttle reaches Chromium's WebRTC on this machine;
//   see tests/unit/rtc_auto_test.ts and docs/quality-ladder.md.)
//
//   deno run -A bench/ladder_webrtc.ts [--quick] [--write]   (--write replaces its block in BENCHMARKS.md)
import { parseArgs } from "node:util";
import type { Page } from "playwright-core";
import { ADMIN_PASSWORD, Client, publish, startLivegate, stopProc, waitFor } from "../tests/e2e/harness.ts";
import { launchChromium } from "../tests/e2e/chromium.ts";
import { dist } from "./stats.ts";
import { loadAverage, reportResults } from "./results.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { quick: { type: "boolean", default: false }, write: { type: "boolean", default: false } },
});
const SWITCHES = values.quick ? 4 : 10;
const log = (s: string) => console.error(s);
const f = (x: number | undefined, d = 0) => x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(d);

async function login(page: Page, url: string) {
  await page.goto(`${url}/login`);
  await page.fill("input[name=user]", "admin");
  await page.fill("input[name=password]", ADMIN_PASSWORD);
  await Promise.all([page.waitForURL(`${url}/`), page.click("button[type=submit]")]);
}

const state = (page: Page) =>
  page.evaluate(() => {
    const v = document.getElementById("video") as HTMLVideoElement;
    const q = document.getElementById("quality");
    const lg = (globalThis as unknown as { livegate: { mode: string; frames: number } }).livegate;
    return {
      mode: lg.mode,
      frames: lg.frames,
      size: `${v.videoWidth}x${v.videoHeight}`,
      current: q?.dataset.current ?? "",
      options: q ? q.querySelectorAll("option").length : 0,
    };
  });

const lg = await startLivegate({ LIVEGATE_THUMBNAILS: "false" });
const admin = new Client(lg.url);
const rows: string[][] = [];
const started = new Date();
const load0 = loadAverage();
let pub: Deno.ChildProcess | undefined;
const browsers: Awaited<ReturnType<typeof launchChromium>>[] = [];
try {
  await admin.login("admin", ADMIN_PASSWORD);
  await admin.api("PATCH", "/api/streams/live", {
    ladder: { enabled: true, rungs: [{ height: 180, kbps: 250 }] },
  });
  pub = publish(`rtsp://127.0.0.1:${lg.env.LIVEGATE_RTSP_PORT}/live?token=${lg.key}`, 3600, {
    format: "rtsp",
    audio: "opus",
  });
  await waitFor("the rung live", async () => {
    const r = await admin.api("GET", "/api/streams/live/rungs");
    return r.body.rungs?.length === 1 ? true : undefined;
  }, 60_000);

  // Forced switches.
  const browser = await launchChromium();
  browsers.push(browser);
  const page = await (await browser.newContext()).newPage();
  await login(page, lg.url);
  await page.goto(`${lg.url}/watch/live?mode=webrtc`);
  await waitFor("WebRTC with the menu", async () => {
    const s = await state(page);
    return s.mode === "webrtc" && s.frames > 30 && s.options === 3 ? true : undefined;
  }, 60_000);
  await page.evaluate(() => {
    const w = globalThis as unknown as { samples: [number, number, string][]; livegate: { frames: number } };
    w.samples = [];
    const v = document.getElementById("video") as HTMLVideoElement;
    setInterval(
      () => w.samples.push([Date.now(), w.livegate.frames, `${v.videoWidth}x${v.videoHeight}`]),
      20,
    );
  });
  const samples = () =>
    page.evaluate(() => (globalThis as unknown as { samples: [number, number, string][] }).samples);
  const gapIn = async (from: number, to: number) => {
    let gap = 0, last = from, prev: number | null = null;
    for (const [t, n] of await samples()) {
      if (t < from || t > to) continue;
      if (prev !== null && n > prev) last = t;
      gap = Math.max(gap, t - last);
      prev = n;
    }
    return gap;
  };
  log(`switch: ${SWITCHES} windows without, then ${SWITCHES} switches…`);
  const base: number[] = [];
  for (let i = 0; i < SWITCHES; i++) {
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 3000));
    base.push(await gapIn(t0, t0 + 3000));
  }
  const gaps: number[] = [];
  const shown: number[] = [];
  let failed = 0;
  for (let i = 0; i < SWITCHES; i++) {
    const [value, size] = i % 2 === 0 ? ["1", "320x180"] : ["0", "640x360"];
    const t0 = Date.now();
    await page.selectOption("#quality select", value);
    await new Promise((r) => setTimeout(r, 5000));
    gaps.push(await gapIn(t0, t0 + 4000));
    const at = (await samples()).find(([t, , s]) => t >= t0 && s === size)?.[0];
    if (at === undefined) failed++;
    else shown.push(at - t0);
  }
  const g = dist(gaps)!, b = dist(base)!, s = dist(shown);
  rows.push([
    "Ladder switch on WebRTC (Chromium)",
    `${SWITCHES} forced switches source <-> 180p (WHEP sessions, make-before-break); peer: ${SWITCHES} windows of steady play`,
    `new picture shown after p50 ${f(s?.p50)} ms, p95 ${f(s?.p95)} ms${
      failed ? ` (${failed} not shown)` : ""
    }; ` +
    `longest frame gap after a switch p50 ${f(g.p50)} ms, p95 ${f(g.p95)} ms, max ${f(g.max)} ms; ` +
    `steady play p95 ${f(b.p95)} ms, max ${f(b.max)} ms`,
    `gap p95 ${f(g.p95 - b.p95)} ms over steady play`,
    `no gap over 1 s: ${g.max <= 1000 ? "**met**" : "**missed**"}`,
  ]);
} finally {
  for (const b of browsers) await b.close();
  if (pub) await stopProc(pub);
  await lg.stop();
}

await reportResults(rows, {
  started,
  quick: !!values.quick,
  load0,
  block: values.write ? "ladder-webrtc" : undefined,
  log,
});
