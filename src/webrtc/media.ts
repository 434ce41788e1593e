// GET /api/streams/<path>/media: what a stream carries and whether WebRTC can deliver it, so the player can
// pick WebRTC or LL-HLS and say why, or say that nothing can carry the video to a browser. Asks MediaMTX's API
// (tracks of the path). The player also polls it to notice the end or a restart of the stream (`since`).
// (WebRTC viewers are counted by MediaMTX as readers.)
import { Hono } from "hono";
import { NAME_RE } from "../core/names.ts";
import { MtxError } from "../core/errors.ts";
import { codecsOf, type RawPath } from "../mediamtx/client.ts";
import { mediamtxUnavailable } from "../mediamtx/unavailable.ts";
import type { AppDeps, Env } from "../http/context.ts";
import { refusal } from "../http/refusal.ts";

/** Codecs MediaMTX can send over WebRTC (internal/protocols/webrtc/from_stream.go). */
const WEBRTC_VIDEO = ["AV1", "VP9", "VP8", "H265", "H264"];
const WEBRTC_AUDIO = ["Opus", "G722", "G711", "LPCM"];
const VIDEO = [...WEBRTC_VIDEO, "MPEG-4 Video", "MPEG-1/2 Video", "M-JPEG"];
/** Video codecs MediaMTX's HLS muxer carries; it skips other video tracks (internal/protocols/hls/from_stream.go). */
const HLS_VIDEO = ["AV1", "VP9", "H265", "H264"];

export interface MediaInfo {
  path: string;
  live: boolean;
  video: string | null;
  audio: string | null;
  /** WebRTC can play this stream's video. */
  webrtc: boolean;
  /** WebRTC also carries its audio (false when there is audio WebRTC cannot carry, e.g. AAC). */
  webrtcAudio: boolean;
  /** MediaMTX's LL-HLS carries this stream's video (false: HLS would be sound only, or nothing). */
  hlsVideo: boolean;
  /** Human explanation when WebRTC cannot carry everything. */
  note: string;
  /**
   * When the current publish became available (ISO time from MediaMTX's `availableTime`), null when offline:
   * a new value means the publisher restarted, so the player starts a new session instead of waiting.
   */
  since: string | null;
}

export function describeTracks(path: string, codecs: string[]): MediaInfo {
  const video = codecs.find((c) => VIDEO.includes(c)) ?? null;
  const audio = codecs.find((c) => !VIDEO.includes(c)) ?? null;
  const webrtc = video ? WEBRTC_VIDEO.includes(video) : !!audio && WEBRTC_AUDIO.includes(audio);
  const webrtcAudio = audio === null || WEBRTC_AUDIO.includes(audio);
  let note = "";
  if (!webrtc) note = `WebRTC cannot carry ${video ?? audio ?? "this stream"}; playing LL-HLS.`;
  else if (!webrtcAudio) {
    const name = audio === "MPEG-4 Audio" ? "AAC" : audio;
    note =
      `The audio is ${name}, which WebRTC cannot carry (it needs Opus); playing LL-HLS to keep the sound.`;
  }
  const hlsVideo = video !== null && HLS_VIDEO.includes(video);
  return { path, live: true, video, audio, webrtc, webrtcAudio, hlsVideo, note, since: null };
}

export function mediaRoutes(deps: Pick<AppDeps, "access" | "mtx" | "mtxState">) {
  const app = new Hono<Env>();
  app.get("/api/streams/:path/media", async (c) => {
    const path = c.req.param("path");
    if (!NAME_RE.test(path)) return c.json({ error: "unknown stream path" }, 404);
    const d = await deps.access.authorize({ actor: c.get("actor"), action: "watch", path });
    if (!d.allow) return refusal(c, d);
    let body: RawPath | null;
    try {
      body = await deps.mtx.rawPath(path);
    } catch (e) {
      if (e instanceof MtxError && e.kind === "unreachable") return mediamtxUnavailable(deps);
      if (e instanceof MtxError) return c.json({ error: `MediaMTX API answered ${e.status}` }, 502);
      throw e;
    }
    if (!body) {
      const off: MediaInfo = {
        path,
        live: false,
        video: null,
        audio: null,
        webrtc: false,
        webrtcAudio: false,
        hlsVideo: false,
        note: "offline",
        since: null,
      };
      return c.json(off);
    }
    const info = describeTracks(path, codecsOf(body));
    info.live = !!(body.available ?? body.ready);
    if (info.live) info.since = body.availableTime ?? body.readyTime ?? null;
    else Object.assign(info, { webrtc: false, note: "offline" });
    return c.json(info, 200, { "cache-control": "no-store" });
  });
  return app;
}
