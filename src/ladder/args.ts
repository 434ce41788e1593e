// The ladder's ffmpeg command line, built from the probed source and the stream's rungs: one input (the
// source read from the local MediaMTX over RTMP with livegate's internal credential), one decode, a `split`
// into one scaler per rung, and one RTMP output per rung into MediaMTX as the hidden path <path>/<H>p
// (src/core/rungs.ts). The source itself is never re-encoded: viewers get it from its own path.
//
// Timestamps: MediaMTX keeps a publisher's timestamps, and over RTMP it hands a reader the same ones, so
// with `-copyts` every rung carries the source's own timeline (measured: the same presentation times as
// the source's segments, within 12 ms), and keyframes where the source has them (`-force_key_frames
// source`). hls.js then switches between the source and a rung as between renditions of one encoder. (Read
// over RTSP instead, the rungs start their own timeline and hls.js stalls 1-3 s at every switch.) Rungs are
// video only: all rungs share the source's audio rendition.
import { rungPath } from "../core/rungs.ts";
import type { Rung } from "../store/ladder.ts";
import { encoderArgs, type EncoderKind, VAAPI_DEVICE } from "./encoders.ts";

/** What ffprobe found in the source. */
export interface SourceInfo {
  /** Video codec as ffmpeg names it (h264, hevc...). */
  codec: string;
  width: number;
  height: number;
  /** Audio codec (aac, opus...) or null without audio. */
  audio: string | null;
}

export interface LadderCommand {
  /** rtmp://127.0.0.1:PORT/<path>?user=..&pass=.. */
  input: string;
  /** The RTMP URL of a rung's hidden path, credential included. */
  output: (rungPath: string) => string;
  path: string;
  rungs: Rung[];
  encoder: EncoderKind;
  source: SourceInfo;
}

/** The rungs that fit under the source (height at most the source's); the others are skipped. */
export function fittingRungs(rungs: Rung[], sourceHeight: number): { use: Rung[]; skipped: Rung[] } {
  return {
    use: rungs.filter((r) => r.height <= sourceHeight),
    skipped: rungs.filter((r) => r.height > sourceHeight),
  };
}

/** The ffmpeg arguments for `cmd` (at least one rung); video only (the rungs share the source's audio). */
export function ladderArgs(cmd: LadderCommand): string[] {
  const n = cmd.rungs.length;
  if (n === 0) throw new Error("a ladder needs at least one rung");
  const hw = cmd.encoder === "vaapi" ? ",format=nv12,hwupload" : "";
  const scales = cmd.rungs.map((r, i) => `[s${i}]scale=-2:${r.height}${hw}[v${i}]`);
  const graph = n === 1
    ? `[0:v:0]scale=-2:${cmd.rungs[0].height}${hw}[v0]`
    : `[0:v:0]split=${n}${cmd.rungs.map((_, i) => `[s${i}]`).join("")};${scales.join(";")}`;
  return [
    ...["-hide_banner", "-loglevel", "warning", "-nostats", "-progress", "pipe:1", "-stats_period", "1"],
    ...(cmd.encoder === "vaapi" ? ["-vaapi_device", VAAPI_DEVICE] : []),
    ...["-copyts", "-i", cmd.input],
    ...["-filter_complex", graph],
    ...cmd.rungs.flatMap((r, i) => [
      ...["-map", `[v${i}]`],
      ...encoderArgs(cmd.encoder, r),
      "-an",
      ...["-f", "flv", cmd.output(rungPath(cmd.path, r.height))],
    ]),
  ];
}

/** Parses `ffprobe -of json -show_streams` output into SourceInfo; null when it has no video stream. */
export function parseProbe(json: string): SourceInfo | null {
  let v: { streams?: { codec_type?: string; codec_name?: string; width?: number; height?: number }[] };
  try {
    v = JSON.parse(json);
  } catch {
    return null;
  }
  const video = v.streams?.find((s) => s.codec_type === "video");
  if (!video || !video.width || !video.height) return null;
  const audio = v.streams?.find((s) => s.codec_type === "audio");
  return {
    codec: String(video.codec_name ?? "unknown"),
    width: video.width,
    height: video.height,
    audio: audio ? String(audio.codec_name ?? "unknown") : null,
  };
}
