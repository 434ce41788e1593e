// Time to first frame of the real player page in headless Chromium: from navigation start (the page's
// performance.timeOrigin) to the presentation time of the first video frame (requestVideoFrameCallback's
// metadata.presentationTime, registered by an init script before any page script runs), for LL-HLS
// (?mode=hls) and WebRTC (?mode=webrtc), alternating, each run in a new page of one logged-in browser
// context. Where the time goes: the same init script wraps fetch and RTCPeerConnection (no change to the
// player) and notes, in ms since navigation start, the HTML's arrival (Navigation Timing), the start of
// the player's scripts (their performance marks `livegate:*`), the WHEP POST and its answer, ICE+DTLS
// connected, the first video RTP packet (the video track's `unmute`) and the first frame.
// Part of `deno task bench` (--only=ttff); standalone it starts its own livegate and publisher:
//
//   deno run -A bench/ttff.ts [--runs 10] [--gops 1,0.5,2]
//
// --gops: the publisher's keyframe interval (s) for each round (ffmpeg -g at 30 fps); MediaMTX sends a
// WebRTC reader nothing of the video before the next keyframe, so the WebRTC figure depends on it.
import type { BrowserContext } from "playwright-core";
import { launchChromium } from "../tests/e2e/chromium.ts";
import { ADMIN_PASSWORD } from "../tests/e2e/harness.ts";
import { loadAverage } from "./results.ts";
/**
 * The variants measured, alternating: LL-HLS, WebRTC as the pages start it (early start,
 * static/whep-early.ts), and WebRTC started by the player bundle alone (?early=0: how it was before).
 */
export const VARIANTS = {
  hls: "mode=hls",
  webrtc: "mode=webrtc",
  "webrtc-late": "mode=webrtc&early=0",
} as const;
export type Variant = keyof typeof VARIANTS;

export interface TtffResult {
  mode: Variant;
  /** Milliseconds from navigation start to the first presented frame, one per run that showed one. */
  ms: number[];
  p50: number;
  p95: number;
  min: number;
  max: number;
  failures: number;
  /** Median of each step's time since navigation start (ms), over the runs that had it. */
  steps: Record<string, number>;
}

/** The steps noted by the init script, in the order they happen. */
export const STEPS = [
  "html", // the HTML's last byte (Navigation Timing responseEnd)
  "doc", // the document exists (this bench's init script ran)
  "early", // livegate's early-start script ran (performance mark livegate:early)
  "player", // player.js started (performance mark livegate:player)
  "pc", // the first RTCPeerConnection was created
  "whepPost", // the WHEP offer's POST left
  "whepAnswer", // its answer arrived
  "connected", // ICE + DTLS connected
  "firstRtp", // first video RTP packet (the remote video track unmuted)
  "frame", // the first presented frame
] as const;

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};

/**
 * Records the first presented frame's time into window.__ttff (ms since navigation start), and the steps
 * before it into window.__steps.
 */
const INIT = () => {
  const g = globalThis as unknown as { __ttff?: number; __steps: Record<string, number> };
  g.__steps = {};
  const note = (k: string, t = performance.now()) => g.__steps[k] ??= t;
  note("doc");
  const F = globalThis.fetch;
  globalThis.fetch = function (input: RequestInfo | URL, init?: RequestInit) {
    const url = String(input instanceof Request ? input.url : input);
    const p = F.call(this, input, init);
    if (/\/whep\//.test(url) && (init?.method ?? "GET") === "POST") {
      note("whepPost");
      p.then(() => note("whepAnswer"), () => {});
    }
    return p;
  };
  const PC = globalThis.RTCPeerConnection;
  if (PC) {
    globalThis.RTCPeerConnection = class extends PC {
      constructor(c?: RTCConfiguration) {
        super(c);
        note("pc");
        this.addEventListener("connectionstatechange", () => {
          if (this.connectionState === "connected") note("connected");
        });
        // Transceivers made now or later: their receivers' video track unmutes at its first RTP packet.
        const watch = () => {
          for (const r of this.getReceivers()) {
            if (r.track.kind === "video" && !(r.track as { __w?: 1 }).__w) {
              (r.track as { __w?: 1 }).__w = 1;
              if (!r.track.muted) note("firstRtp");
              else r.track.addEventListener("unmute", () => note("firstRtp"), { once: true });
            }
          }
        };
        const add = this.addTransceiver.bind(this);
        this.addTransceiver = (...a: Parameters<RTCPeerConnection["addTransceiver"]>) => {
          const t = add(...a);
          watch();
          return t;
        };
      }
    } as typeof RTCPeerConnection;
  }
  const hook = () => {
    const v = document.getElementById("video") as HTMLVideoElement | null;
    if (!v) return void setTimeout(hook, 1);
    v.requestVideoFrameCallback((_now, meta) => g.__ttff ??= meta.presentationTime);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", hook);
  else hook();
};

/** One run: a fresh page, `timeoutMs` for the first frame; its steps (ms) or null. */
async function once(
  ctx: BrowserContext,
  url: string,
  timeoutMs: number,
): Promise<Record<string, number> | null> {
  const page = await ctx.newPage();
  try {
    await page.addInitScript(INIT);
    await page.goto(url);
    const h = await page.waitForFunction(
      () => (globalThis as unknown as { __ttff?: number }).__ttff,
      undefined,
      { timeout: timeoutMs, polling: 50 },
    ).catch(() => null);
    if (!h) return null;
    const steps: Record<string, number> = await page.evaluate(() => {
      const g = globalThis as unknown as { __ttff: number; __steps: Record<string, number> };
      const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
      const marks: Record<string, number> = {};
      for (const m of performance.getEntriesByType("mark")) {
        if (m.name.startsWith("livegate:")) marks[m.name.slice(9)] ??= m.startTime;
      }
      return { html: nav.responseEnd, ...marks, ...g.__steps, frame: g.__ttff };
    });
    if (Deno.env.get("TTFF_DETAIL")) {
      console.error(
        url,
        STEPS.filter((k) => steps[k] !== undefined).map((k) => `${k} ${steps[k].toFixed(0)}`).join(", "),
      );
    }
    return steps;
  } finally {
    await page.close();
  }
}

/**
 * Time to first frame of `base`/watch/<path> for each of VARIANTS (in that order), `runs` each, alternating
 * (so load changes hit all alike), after one warm-up run of each (browser caches, MediaMTX's HLS muxer).
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
    const modes = Object.keys(VARIANTS) as Variant[];
    const out = new Map(modes.map((m) => [m, { runs: [] as Record<string, number>[], failures: 0 }]));
    for (let i = -1; i < runs; i++) {
      for (const mode of modes) {
        const steps = await once(ctx, `${base}/watch/${path}?${VARIANTS[mode]}`, 15_000);
        // The previous session ends; a random pause, so runs do not keep the same phase of the GOP.
        await new Promise((r) => setTimeout(r, 300 + Math.random() * 700));
        if (i < 0) continue; // warm-up
        if (steps === null) out.get(mode)!.failures++;
        else out.get(mode)!.runs.push(steps);
      }
    }
    return modes.map((mode) => {
      const { runs, failures } = out.get(mode)!;
      const ms = runs.map((r) => r.frame);
      const steps: Record<string, number> = {};
      for (const k of STEPS) {
        const xs = runs.map((r) => r[k]).filter((x) => typeof x === "number");
        if (xs.length) steps[k] = percentile(xs, 50);
      }
      return {
        mode,
        ms,
        p50: percentile(ms, 50),
        p95: percentile(ms, 95),
        min: Math.min(...ms),
        max: Math.max(...ms),
        failures,
        steps,
      };
    });
  } finally {
    await browser.close();
  }
}

/** One result as a line: p50/p95/min/max, then the median time of each step. */
export function ttffLine(r: TtffResult): string {
  const f = (x: number) => x.toFixed(0);
  const steps = STEPS.filter((k) => r.steps[k] !== undefined).map((k) => `${k} ${f(r.steps[k])}`).join(", ");
  return `${r.mode}: p50 ${f(r.p50)} ms, p95 ${f(r.p95)}, min ${f(r.min)}, max ${
    f(r.max)
  } (${r.ms.length} runs, ` +
    `${r.failures} without a frame); median steps: ${steps}`;
}

if (import.meta.main) {
  const { parseArgs } = await import("node:util");
  const { Client, publish, startLivegate, stopProc, waitHlsOnline } = await import("../tests/e2e/harness.ts");
  const { values } = parseArgs({
    args: Deno.args,
    options: { runs: { type: "string", default: "10" }, gops: { type: "string", default: "1" } },
  });
  const lg = await startLivegate();
  const admin = new Client(lg.url);
  await admin.login("admin", ADMIN_PASSWORD);
  try {
    for (const gop of values.gops.split(",").map(Number)) {
      // H.264 (GOP of `gop` s at 30 fps) + Opus over RTSP: WebRTC carries both.
      const pub = publish(`rtsp://127.0.0.1:${lg.env.LIVEGATE_RTSP_PORT}/live?token=${lg.key}`, 600, {
        format: "rtsp",
        audio: "opus",
        extra: ["-g", String(Math.round(gop * 30)), "-keyint_min", String(Math.round(gop * 30))],
      });
      try {
        await waitHlsOnline(admin, "live");
        const before = loadAverage();
        const res = await ttffBench(lg.url, "live", Number(values.runs));
        console.log(`GOP ${gop} s (load ${before} -> ${loadAverage()}):`);
        for (const r of res) console.log(`  ${ttffLine(r)}`);
      } finally {
        await stopProc(pub);
        await new Promise((r) => setTimeout(r, 2000)); // the stream goes offline before the next round
      }
    }
  } finally {
    await lg.stop();
  }
}
