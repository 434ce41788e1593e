// A publisher whose every video frame carries the wall clock at the moment it is handed to the encoder:
// a 640x120 strip of 48 black/white 40x40 blocks (40 bits of Date.now() + an 8-bit checksum), stacked on
// ffmpeg's testsrc2 pattern (so the encoder has real work) with a sine tone, H.264 + AAC over RTMP.
// A viewer that decodes a frame and reads the blocks gets glass-to-glass latency on the same clock.
import { needTool } from "../tests/e2e/harness.ts";

export const W = 640;
export const STRIP_H = 120;
export const BLOCK = 40;
export const COLS = W / BLOCK; // 16
export const BITS = 48;
const FPS = 30;

/** 48 bits, MSB first: t mod 2^40, then the byte sum of those 5 bytes mod 256. */
export function stampBits(t: number): number[] {
  const low = t % 2 ** 40;
  const bytes: number[] = [];
  for (let i = 4; i >= 0; i--) bytes.push(Math.floor(low / 2 ** (8 * i)) % 256);
  bytes.push(bytes.reduce((a, b) => a + b, 0) % 256);
  const bits: number[] = [];
  for (const b of bytes) for (let i = 7; i >= 0; i--) bits.push((b >> i) & 1);
  return bits;
}

/** Inverse of stampBits; null when the checksum does not match. `near` resolves the 2^40 wrap. */
export function decodeBits(bits: number[], near: number): number | null {
  const bytes: number[] = [];
  for (let i = 0; i < 6; i++) {
    let b = 0;
    for (let j = 0; j < 8; j++) b = (b << 1) | bits[i * 8 + j];
    bytes.push(b);
  }
  if (bytes.slice(0, 5).reduce((a, b) => a + b, 0) % 256 !== bytes[5]) return null;
  let low = 0;
  for (let i = 0; i < 5; i++) low = low * 256 + bytes[i];
  return near - (near % 2 ** 40) + low;
}

function renderStrip(t: number, out: Uint8Array) {
  const bits = stampBits(t);
  for (let i = 0; i < BITS; i++) {
    const v = bits[i] ? 255 : 0;
    const x0 = (i % COLS) * BLOCK;
    const y0 = Math.floor(i / COLS) * BLOCK;
    for (let y = y0; y < y0 + BLOCK; y++) out.fill(v, y * W + x0, y * W + x0 + BLOCK);
  }
}

export function startClockSource(url: string) {
  const args = [
    "-hide_banner",
    "-loglevel",
    "error",
    "-f",
    "rawvideo",
    "-pix_fmt",
    "gray",
    "-s",
    `${W}x${STRIP_H}`,
    "-framerate",
    String(FPS),
    "-i",
    "pipe:0",
    "-f",
    "lavfi",
    "-i",
    `testsrc2=size=${W}x240:rate=${FPS}`,
    "-f",
    "lavfi",
    "-i",
    "sine=frequency=440:sample_rate=48000",
    "-filter_complex",
    `[0:v]pad=${W}:360:0:0:black[c];[c][1:v]overlay=0:${STRIP_H}:eof_action=pass,format=yuv420p[v]`,
    "-map",
    "[v]",
    "-map",
    "2:a",
    "-c:v",
    "libx264",
    "-preset",
    "veryfast",
    "-tune",
    "zerolatency",
    "-g",
    String(FPS),
    "-b:v",
    "1500k",
    "-maxrate",
    "1500k",
    "-bufsize",
    "1500k",
    "-c:a",
    "aac",
    "-b:a",
    "96k",
    "-f",
    "flv",
    url,
  ];
  const proc = new Deno.Command(needTool("ffmpeg"), { args, stdin: "piped", stdout: "null", stderr: "piped" })
    .spawn();
  const errs: string[] = [];
  (async () => {
    const dec = new TextDecoder();
    for await (const b of proc.stderr) errs.push(dec.decode(b));
  })().catch(() => {});
  let stopped = false;
  const writer = proc.stdin.getWriter();
  const frame = new Uint8Array(W * STRIP_H);
  const done = (async () => {
    const t0 = performance.now();
    for (let i = 0; !stopped; i++) {
      const due = t0 + (i * 1000) / FPS;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      renderStrip(Date.now(), frame);
      try {
        await writer.write(frame);
      } catch {
        break;
      }
    }
  })();
  return {
    errors: () => errs.join("").trim(),
    async stop() {
      stopped = true;
      await done;
      await writer.close().catch(() => {});
      try {
        proc.kill("SIGKILL");
      } catch { /* gone */ }
      await proc.status;
    },
  };
}
