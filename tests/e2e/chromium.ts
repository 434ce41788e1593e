// Headless Debian Chromium for the e2e tests and benchmarks that need a real browser.
import { chromium, type Page } from "playwright-core";

export const CHROMIUM = Deno.env.get("CHROMIUM_BIN") ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--autoplay-policy=no-user-gesture-required",
];

/** Fake camera + microphone (a test pattern and a beep), no permission prompt. */
export const FAKE_MEDIA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"];

export async function launchChromium(extraArgs: string[] = []) {
  try {
    Deno.statSync(CHROMIUM);
  } catch {
    throw new Error(`Chromium not found at ${CHROMIUM}: run scripts/test.sh (installs Debian's chromium)`);
  }
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    headless: true,
  });
}

/** The player's <video id=video>: position, paused, width, and audio bytes decoded (Chromium only). */
export async function videoInfo(page: Page) {
  return await page.evaluate(() => {
    const el = document.getElementById("video") as HTMLVideoElement & {
      webkitAudioDecodedByteCount?: number;
    };
    return {
      t: el.currentTime,
      paused: el.paused,
      w: el.videoWidth,
      audioBytes: el.webkitAudioDecodedByteCount ?? -1,
    };
  });
}

/**
 * An init script (`addInitScript`) counting the frames the page's <video id=video> presents into
 * window.probe (`frames`, `last`: Date.now() of the latest), independent of the player; re-armed whenever
 * the player loads a new source (which may drop pending callbacks).
 */
export const FRAME_PROBE = () => {
  const w = globalThis as unknown as { probe: { frames: number; last: number } };
  w.probe = { frames: 0, last: 0 };
  document.addEventListener("DOMContentLoaded", () => {
    const v = document.getElementById("video") as HTMLVideoElement | null;
    if (!v) return;
    let chain = 0;
    const arm = () => {
      const mine = ++chain;
      const cb = () => {
        if (mine !== chain) return;
        w.probe.frames++;
        w.probe.last = Date.now();
        v.requestVideoFrameCallback(cb);
      };
      v.requestVideoFrameCallback(cb);
    };
    arm();
    v.addEventListener("loadstart", arm);
  });
};
