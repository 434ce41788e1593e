// Which H.264 encoder the ladder's ffmpeg uses: x264 (software, always there) or a hardware encoder
// (VAAPI, NVENC, QSV) when ffmpeg reports it (`ffmpeg -encoders`, `ffmpeg -hwaccels`) and a one-frame
// test encode with it succeeds (a distribution's ffmpeg lists them whether or not the machine has the
// hardware). Hardware is used only when asked for: the ladder's `encoder` setting "auto" or its name.

import type { EncoderChoice, Rung } from "../store/ladder.ts";

export type EncoderKind = "x264" | "vaapi" | "nvenc" | "qsv";

/** What ffmpeg reports and what passed a test encode. */
export interface EncoderReport {
  /** Hardware encoders ffmpeg was built with (h264_vaapi, h264_nvenc, h264_qsv present). */
  listed: EncoderKind[];
  /** Of those, the ones a one-frame test encode worked with on this machine. */
  usable: EncoderKind[];
}

const HW: { kind: EncoderKind; encoder: string; hwaccel: string }[] = [
  { kind: "nvenc", encoder: "h264_nvenc", hwaccel: "cuda" },
  { kind: "qsv", encoder: "h264_qsv", hwaccel: "qsv" },
  { kind: "vaapi", encoder: "h264_vaapi", hwaccel: "vaapi" },
];

/** The VAAPI render node used for VAAPI encodes. */
export const VAAPI_DEVICE = "/dev/dri/renderD128";

/** Hardware encoders named in `ffmpeg -encoders` output whose hwaccel `ffmpeg -hwaccels` also lists. */
export function parseEncoders(encoders: string, hwaccels: string): EncoderKind[] {
  const accels = new Set(hwaccels.split("\n").map((l) => l.trim()));
  return HW.filter((h) =>
    new RegExp(`^\\s*V\\S*\\s+${h.encoder}\\s`, "m").test(encoders) && accels.has(h.hwaccel)
  )
    .map((h) => h.kind);
}

async function output(ffmpeg: string, args: string[]): Promise<{ ok: boolean; text: string }> {
  try {
    const o = await new Deno.Command(ffmpeg, { args, stdin: "null", stdout: "piped", stderr: "piped" })
      .output();
    return { ok: o.success, text: new TextDecoder().decode(o.stdout) + new TextDecoder().decode(o.stderr) };
  } catch (e) {
    return { ok: false, text: (e as Error).message };
  }
}

/**
 * Asks `ffmpeg` (its path) which hardware H.264 encoders it has and test-encodes one 128x72 frame with each
 * (about 0.1 s each; run once per app, lazily). Never throws: a missing ffmpeg reports nothing usable.
 */
export async function detectEncoders(ffmpeg: string): Promise<EncoderReport> {
  const [enc, acc] = await Promise.all([
    output(ffmpeg, ["-hide_banner", "-encoders"]),
    output(ffmpeg, ["-hide_banner", "-hwaccels"]),
  ]);
  const listed = parseEncoders(enc.text, acc.text);
  const usable: EncoderKind[] = [];
  for (const kind of listed) {
    const probe = [
      "-hide_banner",
      "-loglevel",
      "error",
      ...(kind === "vaapi" ? ["-vaapi_device", VAAPI_DEVICE] : []),
      ...["-f", "lavfi", "-i", "color=c=black:s=128x72:r=1", "-frames:v", "1"],
      ...(kind === "vaapi" ? ["-vf", "format=nv12,hwupload"] : []),
      ...["-c:v", HW.find((h) => h.kind === kind)!.encoder, "-f", "null", "-"],
    ];
    if ((await output(ffmpeg, probe)).ok) usable.push(kind);
  }
  return { listed, usable };
}

/**
 * The encoder for a ladder's `choice`: x264 unless a hardware encoder was asked for ("auto": the first
 * usable one) and passed its test encode. Returns the kind and, when a hardware encoder was asked for but
 * is not usable, a note saying x264 is used instead.
 */
export function pickEncoder(
  choice: EncoderChoice,
  report: EncoderReport,
): { kind: EncoderKind; note?: string } {
  if (choice === "x264") return { kind: "x264" };
  if (choice === "auto") return { kind: report.usable[0] ?? "x264" };
  if (report.usable.includes(choice)) return { kind: choice };
  return { kind: "x264", note: `${choice} encoder not usable on this machine; using x264` };
}

/**
 * ffmpeg output options for one rung (video only, before the output's -f): bitrate with a 2x buffer,
 * no B-frames (WebRTC and LL-HLS parts), keyframes where the source has them (`-force_key_frames source`,
 * so the rung's segments start where the source's do) and at least every 2 s.
 */
export function encoderArgs(kind: EncoderKind, rung: Rung): string[] {
  const rate = [`-b:v`, `${rung.kbps}k`, "-maxrate", `${rung.kbps}k`, "-bufsize", `${rung.kbps * 2}k`];
  const keys = ["-force_key_frames", "source", "-bf", "0"];
  switch (kind) {
    case "x264":
      return [
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-tune",
        "zerolatency",
        "-sc_threshold",
        "0",
        ...rate,
        ...keys,
      ];
    case "nvenc":
      return ["-c:v", "h264_nvenc", "-preset", "p3", "-tune", "ll", ...rate, ...keys];
    case "qsv":
      return ["-c:v", "h264_qsv", "-preset", "veryfast", ...rate, ...keys];
    case "vaapi":
      return ["-c:v", "h264_vaapi", ...rate, ...keys];
  }
}
