// A long recording made in seconds: ffmpeg writes one fragmented-MP4 segment of `segmentSeconds` (H.264 at
// 30 fps + AAC, so a realistic number of samples per second, at a tiny size), and it is hard-linked into the
// record dir under MediaMTX's segment names (%Y-%m-%d_%H-%M-%S-%f.mp4, local time, as recordstore parses
// them), one every `segmentSeconds`. The segments carry no `mtxi` box, so MediaMTX joins them by time (its
// "legacy" rule: a segment starting within 1 s of the previous one's end continues the span;
// internal/playback/segment_fmp4.go, segmentFMP4CanBeConcatenated).
import { join } from "node:path";
import { needTool, run } from "./harness.ts";

/** A segment file name in MediaMTX's format for the local time `d` (microseconds are 0). */
export function segmentName(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}_${p(d.getHours())}-${
    p(d.getMinutes())
  }-${p(d.getSeconds())}-000000.mp4`;
}

/** Encodes one segment (fragment per 1 s GOP) of `seconds` into `file`. */
export async function makeSegment(file: string, seconds: number): Promise<void> {
  const r = await run(needTool("ffmpeg"), [
    ...["-hide_banner", "-loglevel", "error", "-y"],
    ...["-f", "lavfi", "-i", `testsrc2=size=160x90:rate=30:duration=${seconds}`],
    ...["-f", "lavfi", "-i", `sine=frequency=440:sample_rate=48000:duration=${seconds}`],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-bf", "0", "-pix_fmt", "yuv420p"],
    ...["-c:a", "aac", "-b:a", "32k"],
    ...["-movflags", "+frag_keyframe+empty_moov+default_base_moof", file],
  ]);
  if (r.code !== 0) throw new Error(`ffmpeg could not make a segment: ${r.stderr}`);
}

/**
 * Writes a continuous recording of `count` × `segmentSeconds` starting at `start` into
 * `<recordDir>/<path>/`; returns the segment template file (outside the record dir, in `scratch`).
 */
export async function writeRecording(
  opts: {
    recordDir: string;
    path: string;
    start: Date;
    count: number;
    segmentSeconds: number;
    scratch: string;
  },
): Promise<string> {
  const template = join(opts.scratch, `segment-${opts.segmentSeconds}s.mp4`);
  try {
    await Deno.stat(template);
  } catch {
    await makeSegment(template, opts.segmentSeconds);
  }
  const dir = join(opts.recordDir, opts.path);
  await Deno.mkdir(dir, { recursive: true });
  for (let i = 0; i < opts.count; i++) {
    const at = new Date(opts.start.getTime() + i * opts.segmentSeconds * 1000);
    await Deno.link(template, join(dir, segmentName(at)));
  }
  return template;
}

/** The pid of the MediaMTX that livegate process `parent` runs (from /proc). Throws when there is none. */
export function mediamtxPid(parent: number): number {
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === parent && Deno.readTextFileSync(`/proc/${e.name}/comm`).startsWith("mediamtx")) {
        return Number(e.name);
      }
    } catch { /* gone */ }
  }
  throw new Error(`no MediaMTX child of process ${parent}`);
}

/** How many files under `dir` process `pid` has open right now (/proc/<pid>/fd). */
export function openFilesUnder(pid: number, dir: string): number {
  let n = 0;
  for (const e of Deno.readDirSync(`/proc/${pid}/fd`)) {
    try {
      if (Deno.readLinkSync(`/proc/${pid}/fd/${e.name}`).startsWith(dir + "/")) n++;
    } catch { /* closed meanwhile */ }
  }
  return n;
}

/** Resident memory of `pid` in MiB. */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) / 1024;
}
