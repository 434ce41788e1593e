// Time to first frame of the real player page in headless Chromium: from navigation start (the page's
// performance.timeOrigin) to the presentation time of the first video frame (requestVideoFrameCallback's
// metadata.presentationTime, registered by an init script before any page script runs), for LL-HLS
// (?mode=hls) and WebRTC (?mode=webrtc), alternating, each run in a new page of one logged-in browser
// context. Part of `deno task bench` (--only=ttff); standalone it starts its own livegate and publisher:
//
//   deno run -A bench/ttff.ts [--runs 10]
import type { BrowserContext } from "playwright-core";
import { launchChromium } from "../tests/e2e/chromium.ts";
import { ADMIN_PASSWORD } from "../tests/e2e/harness.ts";

export interface TtffResult {
  mode: "hls" | "webrtc";
  /** Milliseconds from navigation start to the first presented frame, one per run that showed one. */
  ms: number[];
  p50: number;
  min: number;
  max: number;
  failures: number;
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};

/** Records the first presented frame's time into window.__ttff (ms since navigation start). */
const INIT = () => {
  const g = globalThis as unknown as { __ttff?: number };
  const hook = () => {
    const v = document.getElementById("video") as HTMLVideoElement | null;
    if (!v) return void setTimeout(hook, 1);
    v.requestVideoFrameCallback((_now, meta) => g.__ttff ??= meta.presentationTime);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", hook);
  else hook();
};

/** One run: a fresh page, `timeoutMs` for the first frame; ms or null. */
async function once(ctx: BrowserContext, url: string, timeoutMs: number): Promise<number | null> {
  const page = await ctx.newPage();
  try {
    await page.addInitScript(INIT);
    await page.goto(url);
    const h = await page.waitForFunction(
      () => (globalThis as unknown as { __ttff?: number }).__ttff,
      undefined,
      { timeout: timeoutMs, polling: 50 },
    ).catch(() => null);
    if (h && Deno.env.get("TTFF_DETAIL")) {
      console.error(
        url,
        JSON.stringify(
          await page.evaluate(() => {
            const e = performance.getEntriesByType("resource") as PerformanceResourceTiming[];
            const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
            return {
              html: Math.round(nav.responseEnd),
              dcl: Math.round(nav.domContentLoadedEventEnd),
              res: e.map((r) =>
                `${new URL(r.name).pathname.slice(0, 30)} ${Math.round(r.startTime)}-${
                  Math.round(r.responseEnd)
                }`
              ),
            };
          }),
        ),
        Number(await h.jsonValue()).toFixed(0),
      );
    }
    return h ? Number(await h.jsonValue()) : null;
  } finally {
    await page.close();
  }
}

/**
 * Time to first frame of `base`/watch/<path> for both modes, `runs` each, alternating (so load changes hit
 * both alike), after one warm-up run of each (browser caches, MediaMTX's HLS muxer).
 */
export async function ttffBench(base: string, path: string, runs: number): Promise<TtffResult[]> {
  const browser = await launchChromium();
  try {
    const ctx = await browser.newContext();
    const login = await ctx.newPage();
    await login.goto(`${base}/login?next=/`);
    await login.fill("input[name=user]", "admin");
    await login.fill("input[name=password]", ADMIN_PASSWORD);
    await Promise.all([login.waitForURL(`${base}/`), login.click("button[type=submit]")]);
    await login.close();
    const modes = ["hls", "webrtc"] as const;
    const out = new Map(modes.map((m) => [m, { ms: [] as number[], failures: 0 }]));
    for (let i = -1; i < runs; i++) {
      for (const mode of modes) {
        const ms = await once(ctx, `${base}/watch/${path}?mode=${mode}`, 15_000);
        await new Promise((r) => setTimeout(r, 300)); // the previous session ends
        if (i < 0) continue; // warm-up
        if (ms === null) out.get(mode)!.failures++;
        else out.get(mode)!.ms.push(ms);
      }
    }
    return modes.map((mode) => {
      const { ms, failures } = out.get(mode)!;
      return { mode, ms, p50: percentile(ms, 50), min: Math.min(...ms), max: Math.max(...ms), failures };
    });
  } finally {
    await browser.close();
  }
}

if (import.meta.main) {
  const { parseArgs } = await import("node:util");
  const { Client, publish, startLivegate, stopProc, waitHlsOnline } = await import("../tests/e2e/harness.ts");
  const { values } = parseArgs({ args: Deno.args, options: { runs: { type: "string", default: "10" } } });
  const lg = await startLivegate();
  // H.264 (1 s GOP, as the rig's clock source) + Opus over RTSP: WebRTC carries both.
  const pub = publish(`rtsp://127.0.0.1:${lg.env.LIVEGATE_RTSP_PORT}/live?token=${lg.key}`, 600, {
    format: "rtsp",
    audio: "opus",
  });
  try {
    const admin = new Client(lg.url);
    await admin.login("admin", ADMIN_PASSWORD);
    await waitHlsOnline(admin, "live");
    for (const r of await ttffBench(lg.url, "live", Number(values.runs))) {
      console.log(
        `${r.mode}: p50 ${r.p50.toFixed(0)} ms, min ${r.min.toFixed(0)}, max ${r.max.toFixed(0)} ` +
          `(${r.ms.length} runs, ${r.failures} without a frame) [${
            r.ms.map((x) => x.toFixed(0)).join(", ")
          }]`,
      );
    }
  } finally {
    await stopProc(pub);
    await lg.stop();
  }
}
