// The ffmpeg command line of one destination: read the stream from the local MediaMTX over RTSP/TCP with
// livegate's internal credential (MediaMTX's auth hook allows "read" only with it, src/auth/hook.ts), copy
// every track without re-encoding (-c copy), write FLV over RTMP(S), MPEG-TS over SRT, or WebRTC over WHIP
// (ffmpeg's whip muxer, ffmpeg 7.1 or later), and report progress on stdout (-progress pipe:1).
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
}

/** ffmpeg's arguments for one destination (secrets in them: never log them). */
export function ffmpegArgs(i: ArgsInput): string[] {
  const source = `rtsp://${encodeURIComponent(i.internalUser)}:${
    encodeURIComponent(i.internalPass)
  }@127.0.0.1:${i.rtspPort}/${i.path}`;
  const head = [
    ...["-hide_banner", "-nostdin", "-loglevel", "error", "-nostats"],
    ...["-progress", "pipe:1", "-stats_period", "0.5"],
    // timeout: socket I/O timeout of the RTSP input in µs (ffmpeg ≥ 5): a gone MediaMTX ends the run.
    // A short probe: MediaMTX describes the tracks in its SDP, so ffmpeg starts writing sooner.
    ...["-analyzeduration", "500000", "-fpsprobesize", "0"],
    ...["-rtsp_transport", "tcp", "-timeout", "10000000", "-i", source],
    ...["-map", "0", "-c", "copy"],
  ];
  switch (i.kind) {
    case "rtmp":
    case "rtmps":
      // rw_timeout (µs): a destination that stops reading ends the write instead of blocking forever.
      return [...head, "-rw_timeout", "10000000", "-f", "flv", targetUrl(i.kind, i.url, i.key)];
    case "srt":
      // -srt_streamid: libsrt's streamid option (-streamid is ffmpeg's own option of another meaning).
      return [...head, "-f", "mpegts", "-srt_streamid", i.key, i.url];
    case "whip":
      return [...head, "-f", "whip", "-authorization", i.key, i.url];
  }
}

/** Every spelling of the key that may show up in ffmpeg's output (as typed, URL-encoded). */
export function keySpellings(key: string): string[] {
  return [...new Set([key, encodeURIComponent(key)])].filter((s) => s.length > 0);
}
