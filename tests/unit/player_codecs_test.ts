// The player's pure decisions (static/codecs.ts, static/frames.ts): which way plays a stream in a browser
// that can or cannot decode its codecs, what the viewer is told, and the wait between failed tries.
import assert from "node:assert/strict";
import { playable } from "../../static/codecs.ts";
import { retryDelay } from "../../static/frames.ts";

/** A browser decoding exactly `codecs` (the same set over LL-HLS and WebRTC unless `rtc` is given). */
const browser = (
  codecs: string[],
  rtc = codecs,
) => [(c: string) => codecs.includes(c), (c: string) => rtc.includes(c)];

const info = (video: string | null, audio: string | null) => ({
  video,
  audio,
  webrtc: ["AV1", "VP9", "VP8", "H265", "H264"].includes(video ?? "") || (!video && audio === "Opus"),
  hlsVideo: ["AV1", "VP9", "H265", "H264"].includes(video ?? ""),
});

Deno.test("player codecs: H.265 in a browser without an H.265 decoder gives a message, not a try", () => {
  for (const audio of ["MPEG-4 Audio", "Opus"]) {
    const [hls, rtc] = browser(["H264", "MPEG-4 Audio", "Opus"]);
    const p = playable(info("H265", audio), hls, rtc);
    assert.deepEqual([p.webrtc, p.hls, p.soundOnly], [false, false, false]);
    assert.equal(p.message?.text, "This browser cannot play H.265 (HEVC) video.");
    assert.match(p.message!.detail, /hardware decoder/);
    assert.match(p.message!.detail, /Streamer: send H\.264 video without B-frames/);
  }
  // AV1 in a browser without AV1: the same kind, its own name.
  const [hls, rtc] = browser(["H264", "MPEG-4 Audio"]);
  assert.equal(
    playable(info("AV1", "MPEG-4 Audio"), hls, rtc).message?.text,
    "This browser cannot play AV1 video.",
  );
});

Deno.test("player codecs: a browser with H.265 over one way only plays it that way", () => {
  const [hls, rtc] = browser(["H265", "MPEG-4 Audio"], []);
  assert.deepEqual(
    [
      playable(info("H265", "MPEG-4 Audio"), hls, rtc).hls,
      playable(info("H265", "MPEG-4 Audio"), hls, rtc).webrtc,
    ],
    [true, false],
  );
  const [hls2, rtc2] = browser([], ["H265", "Opus"]);
  const p = playable(info("H265", "Opus"), hls2, rtc2);
  assert.deepEqual([p.webrtc, p.hls, p.message], [true, false, null]);
});

Deno.test("player codecs: video no browser gets from MediaMTX plays sound only and says so", () => {
  const [hls, rtc] = browser(["H264", "MPEG-4 Audio", "Opus"]);
  const p = playable(info("MPEG-1/2 Video", "MPEG-4 Audio"), hls, rtc);
  assert.deepEqual([p.hls, p.soundOnly], [true, true]);
  assert.equal(p.message?.text, "No picture: MPEG-1/2 video cannot play in a web browser. Sound only.");
  const silent = playable(info("M-JPEG", null), hls, rtc);
  assert.deepEqual([silent.hls, silent.soundOnly], [false, false]);
  assert.equal(silent.message?.text, "No picture: M-JPEG video cannot play in a web browser.");
  // Audio only: undecodable audio is the message.
  const g = playable(info(null, "LPCM"), hls, rtc);
  assert.equal(g.message?.text, "This browser cannot play LPCM audio.");
  assert.equal(playable(info(null, "Opus"), hls, rtc).message, null);
});

Deno.test("player codecs: H.264 plays both ways", () => {
  const [hls, rtc] = browser(["H264", "Opus", "MPEG-4 Audio"]);
  assert.deepEqual(playable(info("H264", "MPEG-4 Audio"), hls, rtc), {
    webrtc: true,
    hls: true,
    soundOnly: false,
    message: null,
  });
});

Deno.test("player retries: the wait grows after each failed try and stays bounded", () => {
  const waits = [0, 1, 2, 3, 4, 5, 6, 20].map(retryDelay);
  assert.deepEqual(waits, [500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000]);
});
