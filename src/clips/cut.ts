// Cutting clips (issue #22): a recorded range of a stream, asked from MediaMTX's playback server as a
// progressive MP4 (`/get?format=mp4`, internal credential, src/recordings/playback.ts) and copied into
// DATA_DIR/clips/<id>.mp4, so the clip outlives the recording retention. MediaMTX only remuxes the recorded
// samples (no re-encoding, no ffmpeg). Cut points (internal/playback/muxer_mp4.go, v1.20.1): the MP4 starts
// with the keyframe at or before the asked start, and an edit list hides the frames before the start, so a
// player begins at the asked time and can still decode the first picture (a player ignoring edit lists
// shows up to one keyframe interval more at the beginning); the end is cut at the last sample before the
// asked end, on any frame.
// Bounded: one cut at a time (CUT_CONCURRENCY), at most MAX_WAITING waiting, at most PER_USER per user;
// more gets 429 with Retry-After. Clips together stay under LIVEGATE_CLIPS_MAX_BYTES (507 beyond), one
// clip under MAX_CLIP_BYTES.
import type { AppDeps } from "../http/context.ts";
import { getRange, listSpans, type Span } from "../recordings/playback.ts";
import { formatTime, parseTime } from "../recordings/range.ts";
import { addClip, allClips, type Clip, newClipId } from "../store/clips.ts";
import { HttpError, MtxError } from "../core/errors.ts";
import { clipFile, removeFile } from "./files.ts";

/** Longest clip (seconds). */
export const MAX_CLIP_SECONDS = 300;
/** Shortest clip (seconds). */
export const MIN_CLIP_SECONDS = 1;
/** Largest clip file (bytes). */
export const MAX_CLIP_BYTES = 512 * 1024 * 1024;
/** Cuts running at once. */
export const CUT_CONCURRENCY = 1;
/** Cuts waiting for their turn; more are refused with 429. */
export const MAX_WAITING = 4;
/** Cuts one user may have running or waiting. */
export const PER_USER = 2;
/** A cut that takes longer is abandoned (ms). */
export const CUT_TIMEOUT_MS = 120_000;
/** How far the end of a range may lie behind what is recorded (s): MediaMTX flushes a part every second. */
const END_SLACK_S = 2;

/** A refusal with its status and message (4xx, 507), answered as {"error": message}. */
export class ClipRefusal extends Error {
  constructor(readonly status: 400 | 404 | 409 | 422 | 429 | 502 | 503 | 507, message: string) {
    super(message);
  }
}

type Deps = Pick<AppDeps, "cfg" | "store" | "mtx" | "clock" | "log">;

export interface CutRequest {
  path: string;
  /** Either `last` seconds of what is recorded, or `start` (RFC 3339) + `duration` seconds. */
  last?: number;
  start?: string;
  duration?: number;
  title: string;
  user: string;
}

const NS = 1_000_000_000n;
const spanEnd = (s: Span) => parseTime(s.start)! + BigInt(Math.round(s.duration * 1e9));

export class ClipCutter {
  #deps: Deps;
  #running = 0;
  #waiting: (() => void)[] = [];
  #perUser = new Map<string, number>();
  #bytes: number | null = null;
  /** Cuts running + waiting now (tests read it). */
  get pending(): number {
    return this.#running + this.#waiting.length;
  }

  constructor(deps: Deps) {
    this.#deps = deps;
  }

  /** Bytes all clips take (sum of the records; read once, then kept up to date). */
  async usedBytes(): Promise<number> {
    if (this.#bytes === null) {
      this.#bytes = (await allClips(this.#deps.store)).reduce((n, c) => n + c.bytes, 0);
    }
    return this.#bytes;
  }

  /** A clip was deleted: its bytes are free again. */
  released(bytes: number): void {
    if (this.#bytes !== null) this.#bytes = Math.max(0, this.#bytes - bytes);
  }

  /**
   * Cuts a clip and saves it (file + record). Throws ClipRefusal: 400 (range in the future, too long or
   * short), 422 (not recorded), 429 (too many cuts), 507 (clip storage full), 502/503 (MediaMTX).
   */
  async cut(req: CutRequest): Promise<Clip> {
    const mine = this.#perUser.get(req.user) ?? 0;
    if (mine >= PER_USER) {
      throw new ClipRefusal(429, `you already have ${mine} clips being cut; wait for them`);
    }
    if (this.#running >= CUT_CONCURRENCY && this.#waiting.length >= MAX_WAITING) {
      throw new ClipRefusal(429, "too many clips are being cut right now; try again in a few seconds");
    }
    this.#perUser.set(req.user, mine + 1);
    try {
      if (this.#running >= CUT_CONCURRENCY) await new Promise<void>((r) => this.#waiting.push(r));
      this.#running++;
      try {
        return await this.#cut(req);
      } finally {
        this.#running--;
        this.#waiting.shift()?.();
      }
    } finally {
      const n = (this.#perUser.get(req.user) ?? 1) - 1;
      if (n <= 0) this.#perUser.delete(req.user);
      else this.#perUser.set(req.user, n);
    }
  }

  async #cut(req: CutRequest): Promise<Clip> {
    const { path } = req;
    const nowNs = BigInt(this.#deps.clock.now()) * 1_000_000n;
    let start: bigint, duration: number;
    try {
      if (req.last !== undefined) {
        // The last N seconds of what is recorded (the live edge lags by about a second).
        const since = formatTime(nowNs - BigInt(req.last + 120) * NS);
        const spans = await listSpans(this.#deps, path, since);
        const last = spans.at(-1);
        if (!last) throw new ClipRefusal(422, "nothing of this stream was recorded in the last minutes");
        const end = spanEnd(last);
        start = end - BigInt(req.last) * NS;
        if (start < parseTime(last.start)!) {
          throw new ClipRefusal(
            422,
            `only the last ${
              last.duration.toFixed(1)
            } s are recorded without a gap (since the stream started, ` +
              "or since MediaMTX restarted its recording)",
          );
        }
        duration = req.last;
      } else {
        start = parseTime(req.start!)!;
        duration = req.duration!;
        const end = start + BigInt(Math.round(duration * 1e9));
        if (end > nowNs + NS) throw new ClipRefusal(400, "the range ends in the future");
        const spans = await listSpans(this.#deps, path, formatTime(start), formatTime(end));
        const covering = spans.find((s) =>
          parseTime(s.start)! <= start + NS / 2n && spanEnd(s) >= end - BigInt(END_SLACK_S) * NS
        );
        if (!covering) {
          const all = await listSpans(this.#deps, path, formatTime(nowNs - 7n * 86400n * NS));
          const window = all.length
            ? `recorded: ${all.map((s) => `${s.start} + ${s.duration.toFixed(1)} s`).slice(-3).join(", ")}`
            : "nothing of this stream is recorded";
          throw new ClipRefusal(422, `the range is not (wholly) in the recordings (${window})`);
        }
      }
    } catch (e) {
      throw asRefusal(e);
    }
    const used = await this.usedBytes();
    if (used >= this.#deps.cfg.clips.maxBytes) {
      throw new ClipRefusal(507, "clip storage is full (LIVEGATE_CLIPS_MAX_BYTES); delete clips first");
    }
    const id = newClipId();
    const file = clipFile(this.#deps.cfg, id);
    await Deno.mkdir(this.#deps.cfg.clips.dir, { recursive: true });
    const tmp = `${file}.part`;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new Error("timeout")), CUT_TIMEOUT_MS);
    let bytes = 0;
    try {
      const res = await getRange(this.#deps, path, formatTime(start), duration, "mp4", ac.signal);
      const limit = Math.min(MAX_CLIP_BYTES, this.#deps.cfg.clips.maxBytes - used);
      const out = await Deno.open(tmp, { write: true, create: true, truncate: true });
      try {
        for await (const chunk of res.body!) {
          bytes += chunk.length;
          if (bytes > limit) {
            ac.abort();
            throw new ClipRefusal(
              507,
              bytes > MAX_CLIP_BYTES
                ? `a clip may be at most ${MAX_CLIP_BYTES} bytes`
                : "clip storage is full",
            );
          }
          let off = 0;
          while (off < chunk.length) off += await out.write(chunk.subarray(off));
        }
      } finally {
        out.close();
      }
      if (bytes === 0) throw new ClipRefusal(422, "MediaMTX returned no media for that range");
      await Deno.rename(tmp, file);
    } catch (e) {
      await removeFile(tmp).catch(() => {});
      if (ac.signal.aborted && !(e instanceof ClipRefusal)) {
        throw new ClipRefusal(503, "cutting took too long");
      }
      throw asRefusal(e);
    } finally {
      clearTimeout(timer);
    }
    const clip: Clip = {
      id,
      path,
      title: req.title,
      start: formatTime(start),
      duration,
      bytes,
      createdBy: req.user,
      created: this.#deps.clock.now(),
    };
    try {
      await addClip(this.#deps.store, clip, {
        actor: req.user,
        action: "clip.create",
        target: `${path}/${id}`,
      });
    } catch (e) {
      await removeFile(file).catch(() => {});
      throw e;
    }
    this.#bytes = (this.#bytes ?? 0) + bytes;
    await clipStill(file).catch((e) => this.#deps.log(`[clips] no still for ${id}: ${(e as Error).message}`));
    return clip;
  }
}

/**
 * The clip's preview still (DATA_DIR/clips/<id>.jpg, 320 px wide, for its page's poster and og:image): the
 * first frame, decoded by ffmpeg (one thread, killed after 15 s). Throws Error when ffmpeg fails.
 */
export async function clipStill(file: string, ffmpeg = "ffmpeg"): Promise<void> {
  const out = file.replace(/\.mp4$/, ".jpg");
  const tmp = `${out}.${crypto.randomUUID()}.jpg`;
  const r = await new Deno.Command(ffmpeg, {
    args: [
      ...["-hide_banner", "-loglevel", "error", "-nostdin", "-threads", "1", "-i", file],
      ...["-frames:v", "1", "-vf", "scale=320:-2", "-q:v", "6", "-y", tmp],
    ],
    stdout: "null",
    stderr: "piped",
    signal: AbortSignal.timeout(15_000),
  }).output();
  if (!r.success) {
    await removeFile(tmp).catch(() => {});
    throw new Error(new TextDecoder().decode(r.stderr).trim().slice(-200) || `ffmpeg exited ${r.code}`);
  }
  await Deno.rename(tmp, out);
}

function asRefusal(e: unknown): unknown {
  if (e instanceof ClipRefusal) return e;
  if (e instanceof HttpError) {
    return new ClipRefusal(
      e.status === 404 ? 422 : 400,
      e.status === 404 ? "no recording in that range" : e.message,
    );
  }
  if (e instanceof MtxError) return new ClipRefusal(e.kind === "unreachable" ? 503 : 502, e.message);
  return e;
}
