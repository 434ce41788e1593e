// Glass-to-glass latency in real headless Chromium. The publisher (clock_source.ts) paints the wall clock
// into every frame; the page reads it back from each frame the video element presents
// (requestVideoFrameCallback + canvas) and subtracts it from the frame's expected display time. Same
// machine, same clock: the number covers encode, RTMP, MediaMTX, the proxy, the player's buffer, decode.
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../tests/e2e/chromium.ts";
import { LL_HLS_CONFIG, RELAX_AFTER_MS, relaxLatencyAfterStalls } from "../static/hls-config.ts";
import { ADMIN_PASSWORD, ROOT } from "../tests/e2e/harness.ts";
import { BITS, BLOCK, COLS, STRIP_H, W } from "./clock_source.ts";
import type { Rig } from "./rig.ts";
import { type Dist, dist } from "./stats.ts";

/** Headless Chromium with the test suite's flags (tests/e2e/chromium.ts). */
export const launch = (extra: string[] = []): Promise<Browser> => launchChromium(extra);

export interface LatencyResult {
  name: string;
  dist: Dist | null;
  frames: number;
  unreadable: number;
  /** "waiting" events on the video element while sampling. */
  stalls: number;
  note?: string;
}

/** Installs the frame reader on the page's <video id=video>; samples land in globalThis.__lat. */
function installSampler(page: Page) {
  return page.evaluate(
    ({ W, STRIP_H, BLOCK, COLS, BITS }) => {
      const g = globalThis as unknown as { __lat: number[]; __bad: number; __on: boolean; __stalls: number };
      g.__lat = [];
      g.__bad = 0;
      g.__stalls = 0;
      g.__on = false;
      const v = document.getElementById("video") as HTMLVideoElement;
      v.addEventListener("waiting", () => {
        if (g.__on) g.__stalls++;
      });
      const cv = document.createElement("canvas");
      cv.width = W;
      cv.height = STRIP_H;
      const ctx = cv.getContext("2d", { willReadFrequently: true })!;
      const onFrame = (_now: number, meta: VideoFrameCallbackMetadata) => {
        if (g.__on) {
          ctx.drawImage(v, 0, 0, W, STRIP_H, 0, 0, W, STRIP_H);
          const d = ctx.getImageData(0, 0, W, STRIP_H).data;
          const bits: number[] = [];
          for (let i = 0; i < BITS; i++) {
            const cx = (i % COLS) * BLOCK + BLOCK / 2;
            const cy = Math.floor(i / COLS) * BLOCK + BLOCK / 2;
            let sum = 0;
            for (let y = cy - 4; y < cy + 4; y++) {
              for (let x = cx - 4; x < cx + 4; x++) sum += d[(y * W + x) * 4];
            }
            bits.push(sum / 64 > 128 ? 1 : 0);
          }
          const bytes: number[] = [];
          for (let i = 0; i < 6; i++) {
            let b = 0;
            for (let j = 0; j < 8; j++) b = (b << 1) | bits[i * 8 + j];
            bytes.push(b);
          }
          if (bytes.slice(0, 5).reduce((a, b) => a + b, 0) % 256 !== bytes[5]) g.__bad++;
          else {
            let low = 0;
            for (let i = 0; i < 5; i++) low = low * 256 + bytes[i];
            const shown = performance.timeOrigin + meta.expectedDisplayTime;
            const stamp = shown - (shown % 2 ** 40) + low;
            g.__lat.push(shown - stamp);
          }
        }
        v.requestVideoFrameCallback(onFrame);
      };
      v.requestVideoFrameCallback(onFrame);
    },
    { W, STRIP_H, BLOCK, COLS, BITS },
  );
}

async function waitPlaying(page: Page, ms: number) {
  await page.waitForFunction(
    () => {
      const v = document.getElementById("video") as HTMLVideoElement | null;
      return !!v && v.currentTime > 0.5 && !v.paused;
    },
    undefined,
    { timeout: ms, polling: 250 },
  );
}

async function measure(page: Page, name: string, warmupMs: number, sampleMs: number): Promise<LatencyResult> {
  await waitPlaying(page, 30_000);
  await installSampler(page);
  await page.waitForTimeout(warmupMs); // let the player settle at its live-sync position
  await page.evaluate(() => (globalThis as unknown as { __on: boolean }).__on = true);
  await page.waitForTimeout(sampleMs);
  const r = await page.evaluate(() => {
    const g = globalThis as unknown as { __lat: number[]; __bad: number; __on: boolean; __stalls: number };
    g.__on = false;
    return { lat: g.__lat, bad: g.__bad, stalls: g.__stalls };
  });
  return { name, dist: dist(r.lat), frames: r.lat.length, unreadable: r.bad, stalls: r.stalls };
}

/** Through livegate: the real player page (forced to LL-HLS or WebRTC) after a real form login. */
export async function latencyLivegate(
  rig: Rig,
  mode: "hls" | "webrtc",
  warmupMs: number,
  sampleMs: number,
): Promise<LatencyResult> {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const watch = `/watch/live?mode=${mode}`;
    await page.goto(`${rig.lg.url}/login?next=${encodeURIComponent(watch)}`);
    await page.fill("input[name=user]", "admin");
    await page.fill("input[name=password]", ADMIN_PASSWORD);
    await Promise.all([page.waitForURL(`${rig.lg.url}${watch}`), page.click("button[type=submit]")]);
    const name = mode === "hls"
      ? "LL-HLS via livegate (player, ?mode=hls)"
      : "WebRTC via livegate (player, ?mode=webrtc)";
    const r = await measure(page, name, warmupMs, sampleMs);
    const used = await page.evaluate(() =>
      (globalThis as unknown as { livegate?: { mode?: string } }).livegate?.mode
    );
    if (used !== mode) r.note = `player used ${used ?? "unknown"} instead of ${mode}`;
    return r;
  } finally {
    await browser.close();
  }
}

/**
 * LL-HLS straight from MediaMTX's loopback listener: a bare page with the same hls.js build and the same
 * hls.js settings as static/player.ts, sending the CDN bearer header (web security off for the
 * cross-origin request; nothing else differs).
 */
export async function latencyDirect(
  rig: Rig,
  warmupMs: number,
  sampleMs: number,
  name = "LL-HLS direct from MediaMTX (same hls.js)",
  hlsOverrides: Record<string, unknown> = {},
): Promise<LatencyResult> {
  const browser = await launch(["--disable-web-security"]);
  try {
    const page = await browser.newPage();
    const hlsJs = await Deno.readTextFile(join(ROOT, "node_modules/hls.js/dist/hls.min.js"));
    await page.route("http://bench.invalid/**", (route) => {
      const u = new URL(route.request().url());
      if (u.pathname === "/hls.js") {
        return route.fulfill({ contentType: "text/javascript", body: hlsJs });
      }
      return route.fulfill({
        contentType: "text/html",
        body:
          `<!doctype html><video id="video" muted autoplay playsinline></video><script src="/hls.js"></script>`,
      });
    });
    await page.goto("http://bench.invalid/");
    await page.evaluate(({ src, cdn, base, over, relax, relaxAfter }) => {
      // deno-lint-ignore no-explicit-any
      const Hls = (globalThis as any).Hls;
      const cfg: Record<string, unknown> = {
        ...base, // the player's settings (static/hls-config.ts)
        xhrSetup: (xhr: XMLHttpRequest) => xhr.setRequestHeader("authorization", `Bearer ${cdn}`),
      };
      for (const [k, v] of Object.entries(over)) {
        if (v === null) delete cfg[k];
        else cfg[k] = v;
      }
      const hls = new Hls(cfg);
      const v = document.getElementById("video") as HTMLVideoElement;
      hls.loadSource(src);
      hls.attachMedia(v);
      hls.on(Hls.Events.MANIFEST_PARSED, () => v.play().catch(() => {}));
      // The player's latency-target relaxing after stalls (static/hls-config.ts), from its source.
      (0, eval)(`(${relax})`)(hls, v, base.liveSyncDuration, relaxAfter);
    }, {
      src: `${rig.mtxHls}/live/index.m3u8`,
      cdn: rig.secrets.cdn,
      base: LL_HLS_CONFIG,
      over: hlsOverrides,
      relax: relaxLatencyAfterStalls.toString(),
      relaxAfter: RELAX_AFTER_MS,
    });
    return await measure(page, name, warmupMs, sampleMs);
  } finally {
    await browser.close();
  }
}
