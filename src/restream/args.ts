// The ffmpeg command line of one destination: read the stream from the local MediaMTX over RTSP/TCP with
// livegate's internal credential (MediaMTX's auth hook allows "read" only with it, src/auth/hook.ts), copy
// every track without re-encoding (-c copy), write FLV over RTMP(S) (certificate verified unless the
// destination opted out) or MPEG-TS over SRT, and report progress on stdout (-progress pipe:1).
// For WHIP, ffmpeg writes plain RTP per track to loopback UDP ports (the video copied; the audio copied when
// it is Opus, else encoded to Opus, the one audio codec WebRTC requires) and livegate's WHIP client
// (whip-client.ts) sends it on over WebRTC.
import type { DestinationKind } from "../store/restream.ts";
import { targetUrl } from "./destination-url.ts";

export interface ArgsInput {
  kind: DestinationKind;
  url: string;
  key: string;
  /** The stream path at MediaMTX. */
  path: string;
  /** MediaMTX's RTSP port on 127.0.0.1. */
  rtspPort: number;
  internalUser: string;
  internalPass: string;
  /** rtmps:// only: false turns certificate verification off (default: verified). */
  tlsVerify?: boolean;
}

/** The input half shared by every destination: the local MediaMTX over RTSP/TCP, progress on stdout. */
function inputArgs(i: Pick<ArgsInput, "path" | "rtspPort" | "internalUser" | "internalPass">): string[] {
  const source = `rtsp://${encodeURIComponent(i.internalUser)}:${
    encodeURIComponent(i.internalPass)
  }@127.0.0.1:${i.rtspPort}/${i.path}`;
  return [
    ...["-hide_banner", "-nostdin", "-loglevel", "error", "-nostats"],
    ...["-progress", "pipe:1", "-stats_period", "0.5"],
    // timeout: socket I/O timeout of the RTSP input in µs (ffmpeg ≥ 5): a gone MediaMTX ends the run.
    // A short probe: MediaMTX describes the tracks in its SDP, so ffmpeg starts writing sooner.
    ...["-analyzeduration", "500000", "-fpsprobesize", "0"],
    ...["-rtsp_transport", "tcp", "-timeout", "10000000", "-i", source],
  ];
}

/**
 * ffmpeg's arguments for an RTMP(S) or SRT destination (secrets in them: never log them). WHIP destinations
 * use whipFfmpegArgs. RTMPS: `-tls_verify 1` (ffmpeg's tls protocol option, off by default in ffmpeg; with
 * GnuTLS it checks the chain against the system's CAs and the host name), left out only when `tlsVerify` is
 * false. Throws Error for a WHIP destination.
 */
export function ffmpegArgs(i: ArgsInput): string[] {
  const head = [...inputArgs(i), ...["-map", "0", "-c", "copy"]];
  switch (i.kind) {
    case "rtmp":
    case "rtmps":
      // rw_timeout (µs): a destination that stops reading ends the write instead of blocking forever.
      return [
        ...head,
        ...(i.kind === "rtmps" && i.tlsVerify !== false ? ["-tls_verify", "1"] : []),
        ...["-rw_timeout", "10000000", "-f", "flv", targetUrl(i.kind, i.url, i.key)],
      ];
    case "srt":
      // -srt_streamid: libsrt's streamid option (-streamid is ffmpeg's own option of another meaning).
      return [...head, "-f", "mpegts", "-srt_streamid", i.key, i.url];
    case "whip":
      throw new Error("a WHIP destination is fed by whipFfmpegArgs");
  }
}

export interface WhipArgsInput
  extends Pick<ArgsInput, "path" | "rtspPort" | "internalUser" | "internalPass"> {
  /** Loopback UDP port the video RTP goes to (null: no video track). */
  videoPort: number | null;
  /** Loopback UDP port the audio RTP goes to (null: no audio track). */
  audioPort: number | null;
  /** Whether the source audio is Opus already (copied) or must be encoded to Opus (libopus, 48 kHz). */
  audioIsOpus: boolean;
  /** RTP payload types to write (the ones negotiated do not matter: the WHIP client rewrites them). */
  videoPt?: number;
  audioPt?: number;
}

/**
 * ffmpeg's arguments for a WHIP destination: the first video track copied (H.264; in-band SPS/PPS repeated
 * before every keyframe with dump_extra so a receiver joining late can decode) and the first audio track as
 * Opus, each to its own `rtp://127.0.0.1:<port>` (RTP muxer, one stream per output as RFC 3550 sessions
 * need). `pkt_size` 1200 keeps every RTP packet under a typical path MTU after SRTP and ICE overhead.
 */
export function whipFfmpegArgs(i: WhipArgsInput): string[] {
  const out: string[] = [...inputArgs(i)];
  if (i.videoPort !== null) {
    out.push(
      ...["-map", "0:v:0", "-c:v", "copy", "-bsf:v", "dump_extra=freq=keyframe"],
      ...["-payload_type", String(i.videoPt ?? 96), "-f", "rtp"],
      `rtp://127.0.0.1:${i.videoPort}?pkt_size=1200`,
    );
  }
  if (i.audioPort !== null) {
    out.push(
      "-map",
      "0:a:0",
      ...(i.audioIsOpus ? ["-c:a", "copy"] : ["-c:a", "libopus", "-ar", "48000", "-ac", "2", "-b:a", "96k"]),
      ...["-payload_type", String(i.audioPt ?? 111), "-f", "rtp"],
      `rtp://127.0.0.1:${i.audioPort}?pkt_size=1200`,
    );
  }
  return out;
}

/** Every spelling of the key that may show up in ffmpeg's output (as typed, URL-encoded). */
export function keySpellings(key: string): string[] {
  return [...new Set([key, encodeURIComponent(key)])].filter((s) => s.length > 0);
}
