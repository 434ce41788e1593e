// A WHIP destination's plan and its per-attempt sidecar: which tracks of the stream go (the first H.264
// video, copied; the first audio, copied when Opus, else encoded to Opus), and for each attempt a WHIP
// session (whip-client.ts) whose peer connection state drives the runner: "connected" is live, "failed" or
// "closed" ends the attempt, "disconnected" for 5 s ends it as a lost connection (ICE consent freshness,
// RFC 7675, may bring it back within that time). Consent expires only after 30 s, so the destination's
// RTCP receiver reports are watched too: once some came, 5 s without any end the attempt (measured:
// MediaMTX sends one per second; after it drops the session, none).
import type { Verdict } from "./classify.ts";
import { type WhipArgsInput, whipFfmpegArgs } from "./args.ts";
import type { OpenSidecar, SidecarFactory } from "./runner.ts";
import { AUDIO_PT, type PeerState, VIDEO_PT, WhipSession } from "./whip-client.ts";

/** What a WHIP destination sends of a stream, from its codecs as MediaMTX names them ("H264", "Opus"...). */
export interface WhipPlan {
  video: boolean;
  audio: boolean;
  /** true: the audio is Opus and is copied; false: it is encoded to Opus. */
  audioIsOpus: boolean;
  /** Shown with the destination's state when the audio is encoded ("audio encoded to Opus (...)"). */
  note: string | null;
}

/** MediaMTX's names of video codecs (v1.20.1 API `tracks`). */
const VIDEO_CODECS = /^(H264|H265|AV1|VP8|VP9|MPEG-4 Video|MPEG-1\/2 Video|M-JPEG)$/;

/**
 * The plan for a stream with `codecs` (MediaMTX's track names). Throws Error with the words for the
 * dashboard: "codec not accepted ..." when the video is not H.264 (WebRTC ingest here carries H.264; the
 * video is never re-encoded), "the stream has no track ..." when there is nothing to send.
 */
export function planWhip(codecs: string[]): WhipPlan {
  const video = codecs.find((c) => VIDEO_CODECS.test(c));
  if (video && video !== "H264") {
    throw new Error(`codec not accepted: WHIP here carries H.264 video, the stream's is ${video}`);
  }
  const audio = codecs.find((c) => !VIDEO_CODECS.test(c));
  if (!video && !audio) throw new Error("the stream has no track WHIP can carry");
  const audioIsOpus = audio === "Opus";
  return {
    video: !!video,
    audio: !!audio,
    audioIsOpus,
    note: audio && !audioIsOpus
      ? `audio encoded to Opus (the stream's is ${audio}; WebRTC carries Opus), video copied`
      : null,
  };
}

/** How long "disconnected" may last before the attempt ends (ms). */
const DISCONNECTED_GRACE_MS = 5000;
/** How long the destination may send no RTCP, once it sent some, before the attempt ends (ms). */
const RTCP_SILENCE_MS = 5000;

/**
 * The runner's sidecar factory for a WHIP destination: each call opens a WHIP session (throws WhipError
 * with `retry`) and returns ffmpeg's arguments writing to its sockets.
 */
export function whipSidecar(
  o:
    & { url: string; token: string; plan: WhipPlan; httpTimeoutMs?: number }
    & Omit<
      WhipArgsInput,
      "videoPort" | "audioPort" | "audioIsOpus"
    >,
): SidecarFactory {
  return async (ev) => {
    let connected = false;
    let grace: ReturnType<typeof setTimeout> | undefined;
    let watch: ReturnType<typeof setInterval> | undefined = undefined;
    const down = (v: Verdict) => {
      clearTimeout(grace);
      clearInterval(watch);
      ev.down(v);
    };
    const onState = (s: PeerState) => {
      if (s !== "disconnected") clearTimeout(grace);
      if (s === "connected") {
        connected = true;
        ev.live();
      } else if (s === "failed") {
        down({
          error: connected ? "connection lost" : "no WebRTC connection to the destination (ICE failed)",
          retry: true,
        });
      } else if (s === "closed") {
        down({ error: "the destination closed the connection", retry: true });
      } else if (s === "disconnected") {
        clearTimeout(grace);
        grace = setTimeout(() => down({ error: "connection lost", retry: true }), DISCONNECTED_GRACE_MS);
      }
    };
    const session = await WhipSession.open({
      url: o.url,
      token: o.token,
      video: o.plan.video,
      audio: o.plan.audio,
      onState,
      signal: ev.signal,
      httpTimeoutMs: o.httpTimeoutMs,
    });
    watch = setInterval(() => {
      if (session.lastRtcp > 0 && Date.now() - session.lastRtcp > RTCP_SILENCE_MS) {
        down({ error: "connection lost (the destination stopped answering)", retry: true });
      }
    }, 1000);
    const sc: OpenSidecar = {
      args: whipFfmpegArgs({
        path: o.path,
        rtspPort: o.rtspPort,
        internalUser: o.internalUser,
        internalPass: o.internalPass,
        videoPort: session.videoPort,
        audioPort: session.audioPort,
        audioIsOpus: o.plan.audioIsOpus,
        videoPt: VIDEO_PT,
        audioPt: AUDIO_PT,
      }),
      bytes: () => session.bytes,
      close: () => {
        clearTimeout(grace);
        clearInterval(watch);
        return session.close();
      },
    };
    if (session.state === "connected") onState("connected");
    return sc;
  };
}
