// One supervised ffmpeg: spawned with the arguments a `prepare` function builds (fresh for each start, so
// a restart probes the source again), its stderr written to the log with a "[ladder <path>]" prefix, its
// progress (`-progress pipe:1`: speed=...) turned into the encoder speed, and restarted with exponential
// backoff (0.5 s doubling up to 15 s; back to 0.5 s after it ran 20 s) while it is wanted. stop() ends it
// with SIGTERM, then SIGKILL after 3 s, and waits for it: no ffmpeg outlives its Transcoder.
import { forEachLine } from "../mediamtx/lines.ts";
import type { Log } from "../core/log.ts";

export type TranscoderState = "starting" | "running" | "restarting" | "failed" | "stopped";

export interface TranscoderOptions {
  /** ffmpeg's path. */
  ffmpeg: string;
  /** The stream path (log prefix). */
  path: string;
  /** Builds the arguments of the next start; throwing counts as a failed start (retried with backoff). */
  prepare: () => Promise<string[]>;
  log: Log;
  /** Called with the encoder speed (1.0 = real time) about once a second. */
  onSpeed?: (speed: number) => void;
}

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 15_000;
const STABLE_MS = 20_000;

/** Parses ffmpeg's `speed=0.98x` progress value (null for "N/A" or junk). */
export function parseSpeed(line: string): number | null {
  const m = /^speed=\s*([0-9.]+)x\s*$/.exec(line.trim());
  return m ? Number(m[1]) : null;
}

export class Transcoder {
  state: TranscoderState = "stopped";
  /** Starts after the first (crashes or failed preparations). */
  restarts = 0;
  /** The last reason a start failed or ffmpeg exited (for the dashboard). */
  lastError = "";
  #child?: Deno.ChildProcess;
  #stopping = false;
  #loop?: Promise<void>;
  #wake?: () => void;

  constructor(readonly opts: TranscoderOptions) {}

  /** The running ffmpeg's pid (undefined between starts). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts the supervision loop (returns at once). */
  start(): void {
    if (this.#loop) return;
    this.#stopping = false;
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    const { log, path } = this.opts;
    let backoff = MIN_BACKOFF_MS;
    for (let first = true;; first = false) {
      if (this.#stopping) break;
      if (!first) this.restarts++;
      this.state = first ? "starting" : "restarting";
      const started = Date.now();
      let code: string;
      try {
        const args = await this.opts.prepare();
        if (this.#stopping) break;
        const child = new Deno.Command(this.opts.ffmpeg, {
          args,
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        this.#child = child;
        this.state = "running";
        log(`[ladder ${path}] ffmpeg started (pid ${child.pid})`);
        const pumps = [
          forEachLine(child.stderr, (l) => {
            if (l.trim()) log(`[ladder ${path}] ${l}`);
          }).catch(() => {}),
          forEachLine(child.stdout, (l) => {
            const s = l.startsWith("speed=") ? parseSpeed(l) : null;
            if (s !== null) this.opts.onSpeed?.(s);
          }).catch(() => {}),
        ];
        const status = await child.status;
        await Promise.allSettled(pumps);
        this.#child = undefined;
        code = `code ${status.code}${status.signal ? `, ${status.signal}` : ""}`;
      } catch (e) {
        code = (e as Error).message;
      }
      if (this.#stopping) break;
      this.lastError = code;
      if (Date.now() - started > STABLE_MS) backoff = MIN_BACKOFF_MS;
      this.state = "restarting";
      log(`[ladder ${path}] ffmpeg ended (${code}); restarting in ${backoff} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, backoff);
        this.#wake = () => {
          clearTimeout(t);
          r();
        };
      });
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
    this.state = "stopped";
  }

  /** Ends ffmpeg (SIGTERM, SIGKILL after `timeoutMs`) and the loop; resolves once the process is gone. */
  async stop(timeoutMs = 3000): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    const child = this.#child;
    if (child) {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      const t = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, timeoutMs);
      await child.status.catch(() => {});
      clearTimeout(t);
    }
    await this.#loop;
    this.#loop = undefined;
    this.state = "stopped";
  }
}
