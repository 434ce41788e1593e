// Thumbnails (issue #22): every THUMB_INTERVAL_MS a small JPEG still of every live stream, taken by ffmpeg
// from the local MediaMTX. livegate reads the stream's newest complete LL-HLS segment from MediaMTX's HLS
// server as its CDN (Authorization: Bearer hlsCDNSecret, the internal credential; it never leaves
// livegate, and is not on ffmpeg's command line) and pipes the init section + that segment into ffmpeg,
// which decodes its first frame (a segment starts with a keyframe: MediaMTX cuts segments at IDR frames)
// and writes a THUMB_WIDTH px wide JPEG to its stdout.
// Bounded: one grab at a time per stream, at most GRAB_CONCURRENCY at once for the whole server, ffmpeg with
// one thread, killed after GRAB_TIMEOUT_MS; a still bigger than MAX_THUMB_BYTES is dropped, and all stills
// together are kept under MAX_THUMBS_BYTES by deleting the oldest stills of streams that are not live.
// An offline stream keeps its last still. Stills are DATA_DIR/thumbs/<path>.jpg, their records in KV
// (store/clips.ts: ["thumbs", path]).
import type { AppDeps } from "../http/context.ts";
import { allThumbs, dropThumb, putThumb } from "../store/clips.ts";
import { listSources } from "../store/sources.ts";
import { NAME_RE } from "../core/names.ts";
import { removeFile, thumbFile, writeAtomic } from "./files.ts";

/** How often a live stream's still is refreshed (ms). */
export const THUMB_INTERVAL_MS = 10_000;
/** Width of a still (px; the height follows the aspect ratio). */
export const THUMB_WIDTH = 320;
/** Largest still kept (bytes). */
export const MAX_THUMB_BYTES = 512 * 1024;
/** All stills together (bytes): beyond it the oldest stills of offline streams are deleted. */
export const MAX_THUMBS_BYTES = 64 * 1024 * 1024;
/** Grabs running at once for the whole server. */
export const GRAB_CONCURRENCY = 2;
/** A grab (fetch + ffmpeg) that takes longer is abandoned and ffmpeg killed (ms). */
export const GRAB_TIMEOUT_MS = 15_000;
/** Largest HLS segment fed to ffmpeg (bytes). */
const MAX_SEGMENT_BYTES = 32 * 1024 * 1024;

type Deps =
  & Pick<AppDeps, "cfg" | "store" | "secrets" | "mtx" | "live" | "log" | "clock">
  & Partial<Pick<AppDeps, "viewers" | "readers">>;

/** The newest complete segment and the init section of an LL-HLS media playlist (URIs as written). */
export function newestSegment(playlist: string): { init: string; segment: string } | null {
  const init = /#EXT-X-MAP:.*?URI="([^"]+)"/.exec(playlist)?.[1];
  // RFC 8216 section 4.1: URI lines are the lines that do not start with '#'; the last one is the newest
  // complete segment (parts are only in EXT-X-PART tags).
  const uris = playlist.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  const segment = uris.at(-1);
  return init && segment ? { init, segment } : null;
}

/** The first URI of a multivariant playlist (MediaMTX lists one variant per path). */
export function firstVariant(playlist: string): string | null {
  return playlist.split(/\r?\n/).map((l) => l.trim()).find((l) => l && !l.startsWith("#")) ?? null;
}

export class Thumbnailer {
  #deps: Deps;
  #busy = new Set<string>();
  #running = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #procs = new Set<Deno.ChildProcess>();
  #stopped = false;
  #ffmpeg: string;
  /** The last failure logged per path: a stream that keeps failing (no video track) is logged once. */
  #lastError = new Map<string, string>();
  /** Stills taken and failed since the start (for tests and logs). */
  readonly counts = { taken: 0, failed: 0 };

  constructor(deps: Deps, ffmpeg = "ffmpeg") {
    this.#deps = deps;
    this.#ffmpeg = ffmpeg;
  }

  /** Starts refreshing the stills of live streams every THUMB_INTERVAL_MS (no-op when switched off). */
  start(): void {
    if (!this.#deps.cfg.clips.thumbnails || this.#timer) return;
    this.#stopped = false;
    const tick = () => this.tick().catch((e) => this.#deps.log(`[thumbs] ${(e as Error).message}`));
    this.#timer = setInterval(tick, THUMB_INTERVAL_MS);
    setTimeout(tick, 1000);
  }

  /** Stops the loop and kills any ffmpeg still running. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const p of this.#procs) {
      try {
        p.kill("SIGKILL");
      } catch { /* gone */ }
    }
    await Promise.allSettled([...this.#procs].map((p) => p.status));
  }

  /** One round: a grab for every live stream not already being grabbed (up to GRAB_CONCURRENCY at once). */
  async tick(): Promise<void> {
    const snap = this.#deps.live.latest;
    if (!snap) return;
    const live = snap.paths.filter((p) => p.online && NAME_RE.test(p.name)).map((p) => p.name);
    // An on-demand pulled source (src/sources/) runs only while someone watches: a still every 10 s would
    // be a reader that keeps the camera pulled for good. Such a stream gets stills only while a viewer of
    // its own is watching (an HLS viewer or a WHEP session): the grab then rides on a pull that happens
    // anyway, and stops with the last viewer, so MediaMTX can close the source. Otherwise it keeps its still.
    const onDemand = new Set(
      (await listSources(this.#deps.store)).filter((s) => s.onDemand).map((s) => s.path),
    );
    const queue = live.filter((p) => !this.#busy.has(p) && (!onDemand.has(p) || this.#watched(p)));
    const worker = async () => {
      for (let p = queue.shift(); p !== undefined && !this.#stopped; p = queue.shift()) {
        this.#busy.add(p);
        try {
          await this.grab(p);
          this.counts.taken++;
          this.#lastError.delete(p);
        } catch (e) {
          this.counts.failed++;
          const msg = (e as Error).message;
          if (this.#lastError.get(p) !== msg) this.#deps.log(`[thumbs] no still of '${p}': ${msg}`);
          this.#lastError.set(p, msg);
        } finally {
          this.#busy.delete(p);
        }
      }
    };
    await Promise.all(Array.from({ length: GRAB_CONCURRENCY }, worker));
    for (const p of this.#lastError.keys()) if (!live.includes(p)) this.#lastError.delete(p);
    await this.prune(new Set(live));
  }

  /** Whether a viewer other than the thumbnailer watches `path` now (HLS within the tracker's window, WHEP). */
  #watched(path: string): boolean {
    if ((this.#deps.viewers?.count(path) ?? 0) > 0) return true;
    return (this.#deps.readers?.entries() ?? []).some(([, r]) => r.kind === "whep" && r.path === path);
  }

  /** Takes one still of `path` now and stores it. Throws Error with the cause when it cannot. */
  async grab(path: string): Promise<void> {
    const signal = AbortSignal.timeout(GRAB_TIMEOUT_MS);
    const base = `${this.#deps.mtx.urls.hls}/${path}/`;
    const get = async (uri: string, max: number) => {
      const res = await this.#deps.mtx.request(new URL(uri, base).href, {
        headers: { authorization: `Bearer ${this.#deps.secrets.cdn}` },
        signal,
      }, GRAB_TIMEOUT_MS);
      if (!res.ok) {
        await res.body?.cancel();
        throw new Error(`MediaMTX HLS answered ${res.status} for ${uri}`);
      }
      const b = new Uint8Array(await res.arrayBuffer());
      if (b.length > max) throw new Error(`${uri} is larger than ${max} bytes`);
      return b;
    };
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    const multi = text(await get("index.m3u8", 64 * 1024));
    const variant = firstVariant(multi);
    if (!variant) throw new Error("no variant in the multivariant playlist");
    const seg = newestSegment(text(await get(variant, 256 * 1024)));
    if (!seg) throw new Error("no complete segment yet");
    const variantUrl = new URL(variant, base).href;
    const init = await get(new URL(seg.init, variantUrl).href, 1024 * 1024);
    const media = await get(new URL(seg.segment, variantUrl).href, MAX_SEGMENT_BYTES);
    const jpeg = await this.#decode(init, media, signal);
    if (jpeg.length === 0) throw new Error("ffmpeg wrote no image");
    if (jpeg.length > MAX_THUMB_BYTES) throw new Error(`still of ${jpeg.length} bytes is too large`);
    await Deno.mkdir(this.#deps.cfg.clips.thumbsDir, { recursive: true });
    await writeAtomic(thumbFile(this.#deps.cfg, path), jpeg);
    await putThumb(this.#deps.store, path, { at: this.#deps.clock.now(), bytes: jpeg.length });
  }

  /** ffmpeg: fMP4 (init + one segment) on stdin -> the first frame as a THUMB_WIDTH px JPEG on stdout. */
  async #decode(init: Uint8Array, media: Uint8Array, signal: AbortSignal): Promise<Uint8Array> {
    const proc = new Deno.Command(this.#ffmpeg, {
      args: [
        ...["-hide_banner", "-loglevel", "error", "-nostdin", "-threads", "1"],
        ...["-f", "mp4", "-i", "pipe:0", "-an", "-frames:v", "1"],
        ...["-vf", `scale=${THUMB_WIDTH}:-2`, "-q:v", "6", "-f", "image2", "-c:v", "mjpeg", "pipe:1"],
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#procs.add(proc);
    const kill = () => {
      try {
        proc.kill("SIGKILL");
      } catch { /* gone */ }
    };
    signal.addEventListener("abort", kill, { once: true });
    try {
      const w = proc.stdin.getWriter();
      const feed = (async () => {
        try {
          await w.write(init);
          await w.write(media);
          await w.close();
        } catch { /* ffmpeg stopped reading after its frame */ }
      })();
      const [out] = await Promise.all([proc.output(), feed]);
      if (!out.success) {
        const err = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1) ?? "";
        throw new Error(signal.aborted ? "ffmpeg took too long" : `ffmpeg failed: ${err.slice(0, 200)}`);
      }
      return out.stdout;
    } finally {
      signal.removeEventListener("abort", kill);
      this.#procs.delete(proc);
      kill();
      await proc.status.catch(() => {});
    }
  }

  /** Keeps all stills under MAX_THUMBS_BYTES: deletes the oldest stills of streams not in `live`. */
  async prune(live: Set<string>): Promise<void> {
    const all = await allThumbs(this.#deps.store);
    let total = 0;
    for (const t of all.values()) total += t.bytes;
    const old = [...all].filter(([p]) => !live.has(p)).sort((a, b) => a[1].at - b[1].at);
    for (const [p, t] of old) {
      if (total <= MAX_THUMBS_BYTES) break;
      await removeFile(thumbFile(this.#deps.cfg, p));
      await dropThumb(this.#deps.store, p);
      total -= t.bytes;
    }
  }
}
