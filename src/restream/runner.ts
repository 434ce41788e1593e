// One destination's ffmpeg while its stream is live: `ffmpeg -c copy` reading the stream from the local
// MediaMTX (RTSP over TCP, with livegate's internal credential) and writing it to the destination, started
// again with backoff when it ends, until stop(). The state comes from the process itself: "live" once
// ffmpeg's -progress reports media written, the reason of an end from its stderr and exit (classify.ts).
// Secrets (the key, the internal credential) are removed from every line before it is kept or logged.
// A WHIP destination has a sidecar (the WHIP client, whip-client.ts): each attempt sets it up first, ffmpeg
// then writes RTP to it, and "live" and the attempt's end come from its peer connection, not from ffmpeg.
import { forEachLine } from "../mediamtx/lines.ts";
import { redactSecrets } from "../core/log.ts";
import { classifyExit, type Verdict } from "./classify.ts";

export type RestreamState = "idle" | "connecting" | "live" | "retrying" | "failed";

/** A destination's health as the dashboard shows it. */
export interface RunnerStatus {
  state: RestreamState;
  /** When the state was entered (ms since the epoch). */
  since: number;
  /** Bits per second written to the destination over the last progress reports (null unless live). */
  bitrate: number | null;
  /** Seconds since media started flowing in this attempt (null unless live). */
  uptimeSeconds: number | null;
  /** How many times ffmpeg was started again after the first attempt. */
  reconnects: number;
  /** Why the last attempt ended, in words (null before any ended). */
  lastError: string | null;
  /** When the next attempt starts (ms since the epoch; only while retrying). */
  retryAt: number | null;
  /** What livegate does to the stream for this destination, when not a plain copy (e.g. audio to Opus). */
  note?: string | null;
}

/** One attempt's sidecar as set up: ffmpeg's arguments for it, its byte count, and how to end it. */
export interface OpenSidecar {
  /** ffmpeg's arguments for this attempt (they write to the sidecar). */
  args: string[];
  /** Bytes the sidecar has sent on so far (the bitrate is computed from it). */
  bytes(): number;
  /** Ends it (idempotent; resolves within a few seconds). */
  close(): Promise<void>;
}

/**
 * Sets up the sidecar of one attempt (the WHIP client). `live()`: media reaches the destination; `down(v)`:
 * the attempt is over for the reason `v`; `signal` aborts a setup still under way (a stop). Throws an Error
 * with a `retry` boolean (WhipError) when it cannot be set up; its message is shown as the attempt's error.
 */
export type SidecarFactory = (
  events: { live(): void; down(v: Verdict): void; signal: AbortSignal },
) => Promise<OpenSidecar>;

export interface RunnerOptions {
  /** ffmpeg executable. */
  ffmpeg: string;
  /** Its arguments (ffmpegArgs in args.ts); a sidecar's replace them. */
  args: string[];
  /** The WHIP client: set up before each ffmpeg, which writes to it; it says when the attempt is live. */
  sidecar?: SidecarFactory;
  /** Shown in the status (e.g. "audio encoded to Opus"). */
  note?: string;
  /** Strings that must never leave this runner (the key in all its spellings, the internal password). */
  secrets: string[];
  /** Called on every state change with the new status. */
  onState: (s: RunnerStatus) => void;
  log: (line: string) => void;
  /** Label for log lines ("<path> -> <name>"). */
  label: string;
  /** A verdict known before starting (e.g. this ffmpeg cannot write WHIP): failed without a process. */
  preflight?: string;
  /** Retry delays (ms): min(baseMs * 2^n, maxMs). */
  backoff?: { baseMs: number; maxMs: number };
  /** A start that has not gone live within this many ms is ended as "timed out". */
  connectTimeoutMs?: number;
  /** A live attempt without a progress report for this many ms is ended as "timed out". */
  stallTimeoutMs?: number;
}

/** Grace between SIGTERM and SIGKILL when stopping (ms): a stop is complete within ~1 s. */
const KILL_GRACE_MS = 800;

/** Where a running attempt's sidecar events go (set once ffmpeg runs). */
interface AttemptControl {
  live(): void;
  down(v: Verdict): void;
  /** What came before ffmpeg ran. */
  early?: { live?: boolean; down?: Verdict };
}

export class DestinationRunner {
  #o: Required<Omit<RunnerOptions, "preflight" | "sidecar" | "note">> & RunnerOptions;
  #proc: Deno.ChildProcess | undefined;
  #exited: Promise<void> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #stopped = false;
  #failures = 0;
  #status: RunnerStatus = {
    state: "idle",
    since: Date.now(),
    bitrate: null,
    uptimeSeconds: null,
    reconnects: 0,
    lastError: null,
    retryAt: null,
  };
  #sidecar: OpenSidecar | undefined;
  /** Aborts the sidecar setup under way (stop). */
  #abort: AbortController | undefined;
  #liveAt = 0;
  #lastProgress = 0;
  #samples: { t: number; bytes: number }[] = [];

  constructor(opts: RunnerOptions) {
    this.#o = {
      ...opts,
      backoff: opts.backoff ?? { baseMs: 1000, maxMs: 10_000 },
      connectTimeoutMs: opts.connectTimeoutMs ?? 20_000,
      stallTimeoutMs: opts.stallTimeoutMs ?? 10_000,
    };
    if (opts.note) this.#status.note = opts.note;
  }

  /** The current health (uptime computed now). */
  get status(): RunnerStatus {
    const s = { ...this.#status };
    if (s.state === "live") s.uptimeSeconds = Math.round((Date.now() - this.#liveAt) / 1000);
    return s;
  }

  /** The process id of the running ffmpeg (tests check it is gone after a stop). */
  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  #set(patch: Partial<RunnerStatus>) {
    const prev = this.#status.state;
    this.#status = { ...this.#status, ...patch };
    if (patch.state && patch.state !== prev) {
      this.#status.since = Date.now();
      this.#o.onState(this.status);
    }
  }

  #scrub(line: string): string {
    let out = line;
    for (const s of this.#o.secrets) if (s) out = out.split(s).join("[redacted]");
    return redactSecrets(out);
  }

  /** Starts the first attempt (or fails at once with the preflight verdict). */
  start(): void {
    if (this.#o.preflight) {
      this.#set({ state: "failed", lastError: this.#o.preflight });
      return;
    }
    this.#spawn();
  }

  #spawn() {
    if (this.#stopped) return;
    this.#set({ state: "connecting", bitrate: null, uptimeSeconds: null, retryAt: null });
    if (!this.#o.sidecar) {
      this.#run(this.#o.args, undefined);
      return;
    }
    // The sidecar first (its sockets must exist before ffmpeg writes); its events may come at any time.
    // Events before ffmpeg runs are kept and replayed once it does.
    const ctl: AttemptControl = {
      live: () => (ctl.early = { ...ctl.early, live: true }),
      down: (v) => (ctl.early = { ...ctl.early, down: v }),
    };
    this.#abort = new AbortController();
    const attempt = this.#o.sidecar({
      live: () => ctl.live(),
      down: (v) => ctl.down(v),
      signal: this.#abort.signal,
    });
    this.#exited = attempt.then(async (sc) => {
      if (this.#stopped) return await sc.close();
      this.#sidecar = sc;
      this.#run(sc.args, { sc, ctl });
      await this.#exited;
    }, (e: Error & { retry?: boolean }) => {
      if (this.#stopped) return;
      this.#o.log(`[livegate] restream ${this.#o.label}: ${this.#scrub(e.message)}`);
      this.#ended(null, { error: this.#scrub(e.message), retry: e.retry !== false }, false);
    }).catch((e) => this.#internalError(e));
  }

  #internalError(e: unknown) {
    // Never an unhandled rejection (it would end livegate): say it and stay failed.
    this.#o.log(`[livegate] restream ${this.#o.label}: ${(e as Error).message}`);
    if (!this.#stopped) this.#set({ state: "failed", lastError: "internal error (see the log)" });
  }

  /** Runs one ffmpeg with `args` (and the attempt's open sidecar) until it ends. */
  #run(args: string[], side: { sc: OpenSidecar; ctl: AttemptControl } | undefined) {
    let proc: Deno.ChildProcess;
    try {
      proc = new Deno.Command(this.#o.ffmpeg, {
        args,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (e) {
      side?.sc.close();
      this.#set({ state: "failed", lastError: `cannot start ffmpeg: ${(e as Error).message}` });
      return;
    }
    this.#proc = proc;
    const started = Date.now();
    this.#lastProgress = started;
    this.#samples = [];
    let wasLive = false;
    const errLines: string[] = [];
    let block: Record<string, string> = {};
    const onProgress = (line: string) => {
      const i = line.indexOf("=");
      if (i < 0) return;
      const k = line.slice(0, i).trim(), v = line.slice(i + 1).trim();
      block[k] = v;
      if (k !== "progress") return;
      // With a sidecar, ffmpeg's total_size counts its first output only: the sidecar counts all it sent.
      const bytes = side ? side.sc.bytes() : Number(block.total_size);
      const outUs = Number(block.out_time_us ?? block.out_time_ms);
      block = {};
      const now = Date.now();
      this.#lastProgress = now;
      if (!(bytes > 0 && outUs > 0)) return;
      this.#samples.push({ t: now, bytes });
      while (this.#samples.length > 2 && now - this.#samples[0].t > 3000) this.#samples.shift();
      const first = this.#samples[0];
      const bitrate = now > first.t ? Math.round((bytes - first.bytes) * 8 * 1000 / (now - first.t)) : null;
      // With a sidecar, "live" is its word (the peer connection is connected), not ffmpeg's.
      if (!wasLive && !side) goLive(bitrate);
      else this.#status.bitrate = bitrate;
    };
    const goLive = (bitrate: number | null) => {
      if (wasLive || this.#stopped) return;
      wasLive = true;
      this.#liveAt = Date.now();
      this.#set({ state: "live", bitrate });
    };
    let verdict: Verdict | undefined;
    if (side) {
      side.ctl.live = () => goLive(this.#status.bitrate);
      side.ctl.down = (v) => {
        verdict ??= v;
        this.#kill(proc);
      };
      if (side.ctl.early?.live) side.ctl.live();
      if (side.ctl.early?.down) side.ctl.down(side.ctl.early.down);
    }
    const pumps = Promise.allSettled([
      forEachLine(proc.stdout, onProgress),
      forEachLine(proc.stderr, (l) => {
        const line = this.#scrub(l).trim();
        if (!line) return;
        errLines.push(line);
        if (errLines.length > 50) errLines.shift();
      }),
    ]);
    // A start that never goes live, or a live one whose progress stops (the destination stopped reading).
    let timedOut = false;
    this.#watchdog = setInterval(() => {
      const now = Date.now();
      const stuck = wasLive
        ? now - this.#lastProgress > this.#o.stallTimeoutMs
        : now - started > this.#o.connectTimeoutMs;
      if (stuck) {
        timedOut = true;
        this.#kill(proc);
      }
    }, 1000);
    this.#exited = proc.status.then(async (st) => {
      clearInterval(this.#watchdog);
      await pumps;
      // ffmpeg first, then the sidecar it wrote to (closing it first would make ffmpeg fail on its own).
      await side?.sc.close();
      if (this.#sidecar === side?.sc) this.#sidecar = undefined;
      if (this.#proc === proc) this.#proc = undefined;
      if (this.#stopped) return;
      const v = timedOut
        ? { error: "no answer from the destination (timed out)", retry: true }
        : verdict ?? classifyExit(errLines, wasLive, "rtsp://");
      this.#o.log(
        `[livegate] restream ${this.#o.label}: ffmpeg ended (code ${st.code}): ${v.error}` +
          (errLines.length ? ` | ${errLines.slice(-3).join(" | ")}` : ""),
      );
      this.#ended(st.code, v, wasLive);
    }).catch((e) => this.#internalError(e));
  }

  /** After an attempt ended by itself (`code` null: no ffmpeg was started): failed, or retrying later. */
  #ended(_code: number | null, verdict: Verdict, wasLive: boolean) {
    // A run that stayed live for a while starts the backoff over.
    if (wasLive && Date.now() - this.#liveAt > 10_000) this.#failures = 0;
    if (!verdict.retry) {
      this.#set({ state: "failed", lastError: verdict.error, bitrate: null, uptimeSeconds: null });
      return;
    }
    const delay = Math.min(this.#o.backoff.baseMs * 2 ** this.#failures, this.#o.backoff.maxMs);
    this.#failures++;
    this.#set({
      state: "retrying",
      lastError: verdict.error,
      bitrate: null,
      uptimeSeconds: null,
      retryAt: Date.now() + delay,
    });
    this.#timer = setTimeout(() => {
      this.#status.reconnects++;
      this.#spawn();
    }, delay);
  }

  #kill(proc: Deno.ChildProcess) {
    try {
      proc.kill("SIGTERM");
    } catch { /* gone */ }
    const t = setTimeout(() => {
      try {
        proc.kill("SIGKILL");
      } catch { /* gone */ }
    }, KILL_GRACE_MS);
    proc.status.finally(() => clearTimeout(t));
  }

  /** Stops for good: no more attempts, ffmpeg ended (SIGTERM, SIGKILL after 0.8 s); state idle. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#abort?.abort();
    const p = this.#proc;
    if (p) this.#kill(p);
    await this.#exited;
    await this.#sidecar?.close();
    clearInterval(this.#watchdog);
    this.#set({ state: "idle", bitrate: null, uptimeSeconds: null, retryAt: null });
  }
}
