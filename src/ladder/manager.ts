// The ladder's runtime: one supervised ffmpeg (transcoder.ts) per live stream whose ladder is on. It
// follows the live-state poller's snapshots (src/mediamtx/live-state.ts) and the store's changes
// ({kind: "ladder"} and "stream"): a publish starting on such a stream starts its ffmpeg, the publish
// ending (or the ladder turned off, the stream deleted) stops it, a change of rungs restarts it. Before each
// start the source is probed (ffprobe over RTMP, internal credential): rungs above the source's height are
// skipped (shown on the dashboard), a codec ffmpeg cannot decode is a clear state, not a crash loop at full
// speed. The encoder speed is kept per stream (/metrics, dashboard); below SLOW_SPEED for SLOW_REPORTS
// reports in a row the stream is marked "cannot keep up" and the log says so once. Recording: each rung path
// gets its own MediaMTX path configuration with `record` on only when the ladder's recordRungs is on and
// the stream itself is recorded (src/config/recording-policy.ts); that follows changes without restarting
// the ffmpeg.
import type { Log } from "../core/log.ts";
import { isRungPath, rungParent, rungPath } from "../core/rungs.ts";
import type { Config } from "../config/config.ts";
import type { LiveState, Snapshot } from "../mediamtx/live-state.ts";
import { ladderCredential, type MtxSecrets } from "../mediamtx/secrets.ts";
import type { MtxClient } from "../mediamtx/client.ts";
import type { Store } from "../store/kv.ts";
import { getLadder, type LadderSettings, listLadders, type Rung } from "../store/ladder.ts";
import { getStream } from "../store/streams.ts";
import { recordsPath } from "../config/recording-policy.ts";
import { fittingRungs, ladderArgs, parseProbe, type SourceInfo } from "./args.ts";
import { detectEncoders, type EncoderKind, type EncoderReport, pickEncoder } from "./encoders.ts";
import { Transcoder, type TranscoderState } from "./transcoder.ts";
import { reapOrphans } from "./orphans.ts";

/** Below this encoder speed (x real time)... */
export const SLOW_SPEED = 0.9;
/** ...for this many progress reports in a row (about 1 s each), the ladder "cannot keep up". */
export const SLOW_REPORTS = 3;
/** Probing the source gives up after this long (ms). */
const PROBE_TIMEOUT_MS = 10_000;

/**
 * One encoder-speed report (x real time) applied to `counter` (reports below SLOW_SPEED in a row): answers
 * whether the ladder cannot keep up now, and logs the moment it starts and stops (once each).
 */
export function slowness(
  counter: { slowCount: number },
  speed: number,
  wasSlow: boolean,
  log: (line: string) => void,
): boolean {
  counter.slowCount = speed < SLOW_SPEED ? counter.slowCount + 1 : 0;
  const slow = counter.slowCount >= SLOW_REPORTS;
  if (slow && !wasSlow) {
    log(
      `WARNING: the encoder cannot keep up (speed ${speed.toFixed(2)}x real time): ` +
        `use fewer or lower rungs, or a hardware encoder`,
    );
  }
  if (!slow && wasSlow) log(`the encoder keeps up again (speed ${speed.toFixed(2)}x)`);
  return slow;
}

export interface LadderDeps {
  store: Store;
  cfg: Config;
  secrets: MtxSecrets;
  live: LiveState;
  log: Log;
  mtx: Pick<MtxClient, "setPathConfig">;
}

/** What the dashboard and the multivariant playlist learn about one stream's ladder. */
export interface LadderStatus {
  /** The transcoder's state, "off" when none runs. */
  state: TranscoderState | "off";
  /** Rungs being encoded (those fitting under the source). */
  rungs: Rung[];
  /** Rungs left out because they are above the source's height. */
  skipped: Rung[];
  source: SourceInfo | null;
  encoder: EncoderKind | null;
  /** Encoder speed, x real time (null before the first report). */
  speed: number | null;
  /** Whether the encoder has been slower than real time lately. */
  slow: boolean;
  restarts: number;
  /** Why the last start failed or ffmpeg ended ("" when it never did). */
  error: string;
  /** A note for the streamer (hardware encoder not usable, rungs skipped). */
  note: string;
  /** The running ffmpeg's process id (null between starts). */
  pid: number | null;
}

interface Running {
  key: string;
  t: Transcoder;
  status: LadderStatus;
  slowCount: number;
  /** The `record` last applied to the rung paths (null before the first start applied it). */
  recorded: boolean | null;
}

/** What restarts the ffmpeg when it changes (the rungs, the encoder); recordRungs does not. */
const ffmpegKey = (l: LadderSettings) =>
  JSON.stringify({ enabled: l.enabled, rungs: l.rungs, encoder: l.encoder });

/** A ladder's status before anything ran: no rungs, no encoder, no errors. */
function blankStatus(state: LadderStatus["state"]): LadderStatus {
  return {
    state,
    rungs: [],
    skipped: [],
    source: null,
    encoder: null,
    speed: null,
    slow: false,
    restarts: 0,
    error: "",
    note: "",
    pid: null,
  };
}
export class LadderManager {
  readonly #deps: LadderDeps;
  readonly #ffmpeg: string;
  readonly #ffprobe: string;
  #running = new Map<string, Running>();
  #unsubs: (() => void)[] = [];
  #encoders?: Promise<EncoderReport>;
  #queue: Promise<void> = Promise.resolve();
  #stopped = false;
  /** Which streams' parents are online, from the latest snapshot. */
  #online = new Set<string>();

  /** Rung paths online in the latest snapshot. */
  #rungsOnline = new Set<string>();
  readonly #wake?: (rungPath: string) => Promise<void>;

  /**
   * `wake` asks MediaMTX for a rung's HLS muxer (its index.m3u8): MediaMTX creates a muxer only for a
   * multivariant request, and players already playing ask only for the rung's media playlist, so a rung
   * that comes back (ffmpeg restarted) is woken here as soon as it is online again.
   */
  constructor(
    deps: LadderDeps,
    opts: { ffmpeg?: string; ffprobe?: string; wake?: (rungPath: string) => Promise<void> } = {},
  ) {
    this.#deps = deps;
    this.#wake = opts.wake;
    this.#ffmpeg = opts.ffmpeg ?? "ffmpeg";
    this.#ffprobe = opts.ffprobe ?? this.#ffmpeg.replace(/ffmpeg$/, "ffprobe");
  }

  /** Follows the live-state snapshots and the store's changes (call once; stop() ends it). */
  start(): void {
    this.#stopped = false;
    reapOrphans(this.#deps.cfg.mediamtx.ports.rtmp, this.#deps.log);
    this.#unsubs.push(this.#deps.live.subscribe((s) => this.#onSnapshot(s)));
    this.#unsubs.push(this.#deps.store.changes.subscribe((c) => {
      if (c.kind === "ladder" || c.kind === "stream" || c.kind === "restore") this.#reconcile();
    }));
    const snap = this.#deps.live.latest;
    if (snap) this.#onSnapshot(snap);
  }

  /** Hardware encoders ffmpeg reports and which of them work here (detected once, lazily). */
  encoders(): Promise<EncoderReport> {
    return this.#encoders ??= detectEncoders(this.#ffmpeg);
  }

  /** The status of `path`'s ladder ("off" when no ffmpeg runs for it). */
  status(path: string): LadderStatus {
    const r = this.#running.get(path);
    if (!r) {
      return blankStatus("off");
    }
    return {
      ...r.status,
      state: r.t.state,
      restarts: r.t.restarts,
      error: r.t.lastError,
      pid: r.t.pid ?? null,
    };
  }

  /** Every running ladder's stream path, speed and slowness (for /metrics). */
  speeds(): { path: string; speed: number | null; slow: boolean; restarts: number }[] {
    return [...this.#running].map(([path, r]) => ({
      path,
      speed: r.status.speed,
      slow: r.status.slow,
      restarts: r.t.restarts,
    }));
  }

  /** The pid of `path`'s ffmpeg (tests kill it to see it come back). */
  pid(path: string): number | undefined {
    return this.#running.get(path)?.t.pid;
  }

  #onSnapshot(s: Snapshot): void {
    this.#online = new Set(s.paths.filter((p) => p.online && !isRungPath(p.name)).map((p) => p.name));
    const rungs = new Set(s.paths.filter((p) => p.online && isRungPath(p.name)).map((p) => p.name));
    for (const r of rungs) {
      if (!this.#rungsOnline.has(r) && this.#running.has(rungParent(r)!)) this.#wake?.(r).catch(() => {});
    }
    this.#rungsOnline = rungs;
    this.#reconcile();
  }

  /** Brings the running transcoders in line with the settings and what is live (one pass at a time). */
  #reconcile(): void {
    this.#queue = this.#queue.then(() => this.#reconcileNow()).catch((e) =>
      this.#deps.log(`[ladder] ${(e as Error).message}`)
    );
  }

  async #reconcileNow(): Promise<void> {
    if (this.#stopped) return;
    const ladders = await listLadders(this.#deps.store);
    const want = new Map<string, LadderSettings>();
    for (const [path, l] of ladders) {
      if (l.enabled && l.rungs.length && this.#online.has(path) && await getStream(this.#deps.store, path)) {
        want.set(path, l);
      }
    }
    for (const [path, r] of [...this.#running]) {
      const w = want.get(path);
      if (!w || ffmpegKey(w) !== r.key) {
        this.#running.delete(path);
        await r.t.stop();
        this.#deps.log(`[ladder ${path}] stopped${w ? " (settings changed)" : ""}`);
      }
    }
    for (const [path, l] of want) {
      const r = this.#running.get(path);
      if (!r && !this.#stopped) this.#startOne(path, l);
      else if (r && r.status.rungs.length) await this.#applyRecording(path, r, l);
    }
  }

  /** Whether `path`'s rungs are to be recorded now: recordRungs on and the stream itself recorded. */
  async #recordRungs(path: string, l: LadderSettings): Promise<boolean> {
    return l.recordRungs === true &&
      recordsPath(this.#deps.cfg, path, await getStream(this.#deps.store, path));
  }

  /**
   * Sets `record` on the path configuration of each rung of `r` (MediaMTX's config API) when it differs
   * from what was applied last; a failure is logged and tried again at the next change or restart.
   */
  async #applyRecording(path: string, r: Running, l: LadderSettings): Promise<void> {
    const record = await this.#recordRungs(path, l);
    if (record === r.recorded) return;
    let ok = true;
    for (const g of r.status.rungs) {
      await this.#deps.mtx.setPathConfig(rungPath(path, g.height), { record }).catch((e) => {
        ok = false;
        this.#deps.log(
          `[ladder ${path}] cannot switch recording ${record ? "on" : "off"} for ${g.height}p: ${
            (e as Error).message
          }`,
        );
      });
    }
    r.recorded = ok ? record : null;
    if (ok) this.#deps.log(`[ladder ${path}] rungs ${record ? "recorded" : "not recorded"}`);
  }

  #startOne(path: string, l: LadderSettings): void {
    const { cfg, secrets, log } = this.#deps;
    const status = blankStatus("starting");
    const rtmp = `rtmp://127.0.0.1:${cfg.mediamtx.ports.rtmp}`;
    // Scoped to this stream (read it, publish its rungs): it shows in the process list (secrets.ts).
    let cred = "";
    let input = "";
    const run: Running = { key: ffmpegKey(l), t: undefined!, status, slowCount: 0, recorded: null };
    run.t = new Transcoder({
      ffmpeg: this.#ffmpeg,
      path,
      log,
      prepare: async () => {
        const c = await ladderCredential(secrets, path);
        cred = `user=${encodeURIComponent(c.user)}&pass=${encodeURIComponent(c.pass)}`;
        input = `${rtmp}/${path}?${cred}`;
        const source = await this.#probe(input);
        status.source = source;
        const { use, skipped } = fittingRungs(l.rungs, source.height);
        status.rungs = use;
        status.skipped = skipped;
        const enc = pickEncoder(l.encoder, await this.encoders());
        status.encoder = enc.kind;
        const notes = [
          ...(enc.note ? [enc.note] : []),
          ...(skipped.length
            ? [`${skipped.map((r) => `${r.height}p`).join(", ")} skipped: above the ${source.height}p source`]
            : []),
        ];
        status.note = notes.join("; ");
        if (!use.length) throw new Error(`no rung fits under the ${source.height}p source`);
        // Recordings keep the source only unless recordRungs: each rung path gets its own MediaMTX path
        // config with `record` set, before ffmpeg publishes it.
        run.recorded = null;
        await this.#applyRecording(path, run, await getLadder(this.#deps.store, path));
        status.speed = null;
        return ladderArgs({
          input,
          output: (rung) => `${rtmp}/${rung}?${cred}`,
          path,
          rungs: use,
          encoder: enc.kind,
          source,
        });
      },
      onSpeed: (speed) => {
        status.speed = speed;
        status.slow = slowness(run, speed, status.slow, (l) => log(`[ladder ${path}] ${l}`));
      },
    });
    this.#running.set(path, run);
    log(`[ladder ${path}] starting: ${l.rungs.map((r) => `${r.height}p@${r.kbps}k`).join(", ")}`);
    run.t.start();
  }

  /** Probes the source at `input` (ffprobe); throws an Error saying why it cannot be laddered. */
  async #probe(input: string): Promise<SourceInfo> {
    const ac = new AbortController();
    const t = setTimeout(() => ac.abort(), PROBE_TIMEOUT_MS);
    try {
      const o = await new Deno.Command(this.#ffprobe, {
        args: [
          ...["-hide_banner", "-loglevel", "error"],
          ...["-show_streams", "-of", "json", input],
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        signal: ac.signal,
      }).output();
      const info = parseProbe(new TextDecoder().decode(o.stdout));
      if (!o.success || !info) {
        const err = new TextDecoder().decode(o.stderr).trim().split("\n").pop() ?? "";
        throw new Error(`cannot read the source${err ? `: ${err.replace(/\?[^\s:]*/g, "")}` : ""}`);
      }
      if (!["h264", "hevc", "vp8", "vp9", "av1", "mpeg2video", "mpeg4", "mjpeg"].includes(info.codec)) {
        throw new Error(`the source's video codec '${info.codec}' cannot be decoded for the ladder`);
      }
      return info;
    } finally {
      clearTimeout(t);
    }
  }

  /** The rung paths of `path` that are live in MediaMTX, with their rung (highest first). */
  liveRungs(path: string, paths: { name: string; online: boolean }[]): { path: string; rung: Rung }[] {
    const r = this.#running.get(path);
    if (!r) return [];
    const online = new Set(paths.filter((p) => p.online && rungParent(p.name) === path).map((p) => p.name));
    return r.status.rungs.filter((g) => online.has(rungPath(path, g.height))).map((g) => ({
      path: rungPath(path, g.height),
      rung: g,
    }));
  }

  /** Stops every ffmpeg and stops following; resolves once all are gone. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const u of this.#unsubs.splice(0)) u();
    await this.#queue;
    await Promise.all([...this.#running.values()].map((r) => r.t.stop()));
    this.#running.clear();
  }
}
