// Glass-to-glass latency of livegate's WebRTC path, browser to browser, in real headless Chromium:
// a publisher page paints the wall clock into a canvas as 48 black/white blocks (40 bits of the time in ms +
// an 8-bit checksum), captures it and goes live with WHIP through livegate (stream key as bearer token);
// the real player page plays it (WHEP through livegate, then ?mode=hls for comparison) and reads the clock
// back from every presented frame (requestVideoFrameCallback + canvas). One browser, one clock: the number
// covers capture, encode, WHIP, MediaMTX, WHEP, jitter buffer, decode and display.
//
//   deno run -A bench/webrtc_latency.ts [--seconds 15]
import type { Page } from "playwright-core";
import { launchChromium } from "../tests/e2e/chromium.ts";
import { ADMIN_PASSWORD, startLivegate } from "../tests/e2e/harness.ts";

const W = 640, H = 360, BLOCK = 40, COLS = W / BLOCK, BITS = 48;

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Publisher: canvas clock -> captureStream -> WHIP /whip/live with the stream key. */
async function startPublisher(page: Page, key: string) {
  return await page.evaluate(async ({ key, W, H, BLOCK, COLS, BITS }) => {
    const cv = document.createElement("canvas");
    cv.width = W;
    cv.height = H;
    document.body.append(cv);
    const ctx = cv.getContext("2d")!;
    const paint = () => {
      const t = Math.round(performance.timeOrigin + performance.now());
      const low = t % 2 ** 40;
      const bytes: number[] = [];
      for (let i = 4; i >= 0; i--) bytes.push(Math.floor(low / 2 ** (8 * i)) % 256);
      bytes.push(bytes.reduce((a, b) => a + b, 0) % 256);
      ctx.fillStyle = "#808080";
      ctx.fillRect(0, 0, W, H);
      for (let i = 0; i < BITS; i++) {
        const bit = (bytes[Math.floor(i / 8)] >> (7 - (i % 8))) & 1;
        ctx.fillStyle = bit ? "#fff" : "#000";
        ctx.fillRect((i % COLS) * BLOCK, Math.floor(i / COLS) * BLOCK, BLOCK, BLOCK);
      }
    };
    setInterval(paint, 10);
    paint();
    const stream = cv.captureStream(30);
    const pc = new RTCPeerConnection();
    const t = pc.addTransceiver(stream.getVideoTracks()[0], { direction: "sendonly" });
    const caps = RTCRtpSender.getCapabilities("video")?.codecs ?? [];
    const h264 = caps.filter((c) => c.mimeType.toLowerCase() === "video/h264");
    if (h264.length) t.setCodecPreferences([...h264, ...caps.filter((c) => !h264.includes(c))]);
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((r) => setTimeout(r, 500));
    const res = await fetch("/whip/live", {
      method: "POST",
      headers: { "content-type": "application/sdp", authorization: `Bearer ${key}` },
      body: pc.localDescription!.sdp,
    });
    if (res.status !== 201) throw new Error(`WHIP: ${res.status} ${await res.text()}`);
    await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
    (globalThis as unknown as { pub: RTCPeerConnection }).pub = pc;
  }, { key, W, H, BLOCK, COLS, BITS });
}

async function sample(page: Page, ms: number) {
  await page.waitForFunction(
    () => {
      const v = document.getElementById("video") as HTMLVideoElement | null;
      return !!v && v.currentTime > 0.5 && !v.paused;
    },
    undefined,
    { timeout: 30_000, polling: 250 },
  );
  await page.waitForTimeout(3000); // settle
  return await page.evaluate(async ({ ms, W, BLOCK, COLS, BITS }) => {
    const v = document.getElementById("video") as HTMLVideoElement;
    const cv = document.createElement("canvas");
    cv.width = W;
    cv.height = BLOCK * Math.ceil(BITS / COLS);
    const ctx = cv.getContext("2d", { willReadFrequently: true })!;
    const lat: number[] = [];
    let bad = 0;
    let on = true;
    const onFrame = (_now: number, meta: VideoFrameCallbackMetadata) => {
      if (!on) return;
      const scale = v.videoWidth / W;
      ctx.drawImage(v, 0, 0, W * scale, cv.height * scale, 0, 0, W, cv.height);
      const d = ctx.getImageData(0, 0, W, cv.height).data;
      const bytes = [0, 0, 0, 0, 0, 0];
      for (let i = 0; i < BITS; i++) {
        const cx = (i % COLS) * BLOCK + BLOCK / 2, cy = Math.floor(i / COLS) * BLOCK + BLOCK / 2;
        let sum = 0;
        for (let y = cy - 4; y < cy + 4; y++) for (let x = cx - 4; x < cx + 4; x++) sum += d[(y * W + x) * 4];
        if (sum / 64 > 128) bytes[Math.floor(i / 8)] |= 1 << (7 - (i % 8));
      }
      if (bytes.slice(0, 5).reduce((a, b) => a + b, 0) % 256 !== bytes[5]) bad++;
      else {
        let low = 0;
        for (let i = 0; i < 5; i++) low = low * 256 + bytes[i];
        const shown = performance.timeOrigin + meta.expectedDisplayTime;
        lat.push(shown - (shown - (shown % 2 ** 40) + low));
      }
      v.requestVideoFrameCallback(onFrame);
    };
    v.requestVideoFrameCallback(onFrame);
    await new Promise((r) => setTimeout(r, ms));
    on = false;
    const st = (globalThis as unknown as { livegate: { mode: string; latency: number } }).livegate;
    return { lat, bad, mode: st.mode, shown: st.latency };
  }, { ms, W, BLOCK, COLS, BITS });
}

const secIdx = Deno.args.indexOf("--seconds");
const seconds = secIdx >= 0 ? Number(Deno.args[secIdx + 1]) : 15;
const lg = await startLivegate();
const browser = await launchChromium();
try {
  const pub = await browser.newPage();
  await pub.goto(`${lg.url}/health`);
  await startPublisher(pub, lg.key);
  const viewer = await (await browser.newContext()).newPage();
  await viewer.goto(`${lg.url}/login?next=%2Fwatch%2Flive`);
  await viewer.fill("input[name=user]", "admin");
  await viewer.fill("input[name=password]", ADMIN_PASSWORD);
  await Promise.all([viewer.waitForURL(`${lg.url}/watch/live`), viewer.click("button[type=submit]")]);
  for (const mode of ["webrtc", "hls"]) {
    if (mode === "hls") await viewer.goto(`${lg.url}/watch/live?mode=hls`);
    const r = await sample(viewer, seconds * 1000);
    const s = r.lat.sort((a, b) => a - b);
    console.log(
      `browser WHIP -> livegate -> ${
        mode.padEnd(6)
      } (player on ${r.mode}): frames ${s.length}, unreadable ${r.bad}, ` +
        `glass-to-glass p50 ${percentile(s, 50).toFixed(0)} ms, p95 ${percentile(s, 95).toFixed(0)} ms, ` +
        `p99 ${percentile(s, 99).toFixed(0)} ms, max ${s.at(-1)?.toFixed(0)} ms; player shows ${
          (r.shown * 1000).toFixed(0)
        } ms`,
    );
  }
} finally {
  await browser.close();
  await lg.stop();
}
