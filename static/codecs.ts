// What this browser can decode of a stream, asked before playing instead of failing in a loop: the codec
// names come from GET /api/streams/<path>/media (MediaMTX's names), the answers from the browser itself
// (MediaSource.isTypeSupported / canPlayType for LL-HLS, RTCRtpReceiver.getCapabilities for WebRTC). When
// the video cannot play, playerMessage() gives the viewer a short sentence and the streamer's fix.

interface CodecInfo {
  /** Name for people. */
  label: string;
  /** MIME type with a representative codec string, as MediaMTX's fMP4 LL-HLS carries it. */
  mse?: string;
  /** RTP mime type as WebRTC names it (RTCRtpCodec.mimeType, compared case-insensitively). */
  rtc?: string[];
}

/** MediaMTX codec names (API `tracks2[].codec`). Unknown names count as not decodable. */
const CODECS: Record<string, CodecInfo> = {
  H264: { label: "H.264", mse: 'video/mp4; codecs="avc1.42E01E"', rtc: ["video/H264"] },
  H265: { label: "H.265 (HEVC)", mse: 'video/mp4; codecs="hvc1.1.6.L93.B0"', rtc: ["video/H265"] },
  AV1: { label: "AV1", mse: 'video/mp4; codecs="av01.0.08M.08"', rtc: ["video/AV1"] },
  VP9: { label: "VP9", mse: 'video/mp4; codecs="vp09.00.41.08"', rtc: ["video/VP9"] },
  VP8: { label: "VP8", rtc: ["video/VP8"] },
  "MPEG-4 Video": { label: "MPEG-4 Part 2" },
  "MPEG-1/2 Video": { label: "MPEG-1/2" },
  "M-JPEG": { label: "M-JPEG" },
  Opus: { label: "Opus", mse: 'audio/mp4; codecs="opus"', rtc: ["audio/opus"] },
  "MPEG-4 Audio": { label: "AAC", mse: 'audio/mp4; codecs="mp4a.40.2"' },
  G722: { label: "G.722", rtc: ["audio/G722"] },
  G711: { label: "G.711", rtc: ["audio/PCMU", "audio/PCMA"] },
  LPCM: { label: "LPCM", rtc: ["audio/L16"] },
};

export const codecLabel = (codec: string): string => CODECS[codec]?.label ?? codec;

/** Whether the browser can decode `codec` from LL-HLS (MSE, or native HLS as on older iPhones). */
export function hlsCanDecode(codec: string, video: HTMLVideoElement): boolean {
  const type = CODECS[codec]?.mse;
  if (!type) return false;
  const mse = (globalThis as { MediaSource?: { isTypeSupported(t: string): boolean } }).MediaSource ??
    (globalThis as { ManagedMediaSource?: { isTypeSupported(t: string): boolean } }).ManagedMediaSource;
  if (mse) return mse.isTypeSupported(type);
  return video.canPlayType(type) !== "";
}

/** Whether the browser can receive and decode `codec` over WebRTC (false without WebRTC). */
export function webrtcCanDecode(codec: string): boolean {
  const want = CODECS[codec]?.rtc;
  if (!want || typeof RTCRtpReceiver === "undefined" || !RTCRtpReceiver.getCapabilities) return false;
  const kind = want[0].startsWith("video/") ? "video" : "audio";
  const have = RTCRtpReceiver.getCapabilities(kind)?.codecs.map((c) => c.mimeType.toLowerCase()) ?? [];
  return want.some((m) => have.includes(m.toLowerCase()));
}

/** The codec fields of the media info that matter here. */
export interface StreamCodecs {
  video: string | null;
  audio: string | null;
  /** MediaMTX can send the video over WebRTC. */
  webrtc: boolean;
  /** MediaMTX's LL-HLS carries the video. */
  hlsVideo: boolean;
}

export interface Playable {
  /** WebRTC can show the video here (or the audio, for a stream without video). */
  webrtc: boolean;
  /** LL-HLS can show the video here (or the audio, for a stream without video). */
  hls: boolean;
  /** LL-HLS gives sound only (MediaMTX does not carry the video to browsers), with `message` saying so. */
  soundOnly: boolean;
  /** Set when the video (or, without video, the audio) cannot play in this browser. */
  message: PlayerMessage | null;
}

export interface PlayerMessage {
  /** One short sentence for the viewer. */
  text: string;
  /** Shown on demand: what the browser lacks and what the streamer can change. */
  detail: string;
}

const STREAMER_FIX =
  "Streamer: send H.264 video without B-frames, e.g. OBS Settings → Output → Video Encoder x264 (or a " +
  "hardware H.264 encoder), or ffmpeg -c:v libx264 -bf 0.";

/**
 * Which ways can play the stream in this browser. `hlsDecode`/`rtcDecode` default to the browser checks
 * above (parameters for tests).
 */
export function playable(
  s: StreamCodecs,
  hlsDecode: (codec: string) => boolean,
  rtcDecode: (codec: string) => boolean = webrtcCanDecode,
): Playable {
  if (!s.video) {
    // Audio only: whatever MediaMTX sends is the audio.
    const a = s.audio ?? "";
    const webrtc = s.webrtc && rtcDecode(a);
    const hls = hlsDecode(a);
    const message = webrtc || hls ? null : {
      text: `This browser cannot play ${codecLabel(a || "this stream's")} audio.`,
      detail: `The stream has no video and its audio is ${codecLabel(a || "unknown")}, which this browser ` +
        "cannot decode. Streamer: send AAC or Opus audio.",
    };
    return { webrtc, hls, soundOnly: false, message };
  }
  const label = codecLabel(s.video);
  const webrtc = s.webrtc && rtcDecode(s.video);
  const hls = s.hlsVideo && hlsDecode(s.video);
  if (webrtc || hls) return { webrtc, hls, soundOnly: false, message: null };
  if (!s.webrtc && !s.hlsVideo) {
    // MediaMTX sends this video to no browser; its LL-HLS still carries the sound.
    const sound = !!s.audio && hlsDecode(s.audio);
    return {
      webrtc: false,
      hls: sound,
      soundOnly: sound,
      message: {
        text: `No picture: ${label} video cannot play in a web browser.${sound ? " Sound only." : ""}`,
        detail: `The stream's video is ${label}, which MediaMTX sends to browsers neither over WebRTC nor ` +
          `LL-HLS. ${STREAMER_FIX}`,
      },
    };
  }
  return {
    webrtc: false,
    hls: false,
    soundOnly: false,
    message: {
      text: `This browser cannot play ${label} video.`,
      detail: `The stream is sent as ${label} and this browser has no decoder for it` +
        (s.video === "H265"
          ? " (Chrome and Edge play H.265 only with a hardware decoder, Firefox not at all)"
          : "") +
        `. Another browser or device may play it. ${STREAMER_FIX}`,
    },
  };
}
