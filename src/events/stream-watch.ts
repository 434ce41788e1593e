// Detects streams starting and stopping from the snapshots of MediaMTX's path list that the live-state
// poller takes (src/mediamtx/live-state.ts; no hook commands, no extra tools on the server), and turns them
// into webhook events: stream.started, stream.stopped and, when the stream was recorded,
// recording.finished with the recorded span(s) from the playback server and their download links. When
// MediaMTX dies its streams count as stopped once the restarted MediaMTX answers.
import type { LivePath } from "../mediamtx/client.ts";
import type { Snapshot } from "../mediamtx/live-state.ts";
import { listSpans } from "../recordings/playback.ts";
import { recordsPath } from "../config/recording-policy.ts";
import { getStream } from "../store/streams.ts";
import { downloadLink, splitSpan } from "../recordings/range.ts";
import type { AppDeps } from "../http/context.ts";
import type { Webhooks } from "./webhooks.ts";
import { isRungPath } from "../core/rungs.ts";

export interface StreamWatchOptions {
  intervalMs?: number;
  /** Wait after a stop before asking for the recording (MediaMTX closes the last segment). */
  recordingDelayMs?: number;
  log?: (line: string) => void;
}

export class StreamWatch {
  #live = new Map<string, { since: Date }>();
  #unsubscribe?: () => void;
  #stopped = false;
  #pending = new Set<Promise<void>>();
  readonly intervalMs: number;
  readonly recordingDelayMs: number;
  #log: (line: string) => void;

  constructor(
    private deps: Pick<AppDeps, "cfg" | "mtx" | "live" | "metrics" | "store">,
    private hooks: Webhooks,
    opts: StreamWatchOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 2000;
    this.recordingDelayMs = opts.recordingDelayMs ?? 2000;
    this.#log = opts.log ?? ((l) => console.log(l));
  }

  /** Follows every snapshot of the live-state poller (which polls every intervalMs once started). */
  start(): void {
    this.#unsubscribe = this.deps.live.subscribe((s) => this.update(s));
  }

  /** Compares one snapshot with the known live paths and emits the events; exported for tests. */
  update(snap: Snapshot | { paths: LivePath[] }): void {
    if (this.#stopped) return;
    const paths = snap.paths;
    const now = new Date();
    // A quality ladder's rung paths come and go with their stream: no events of their own.
    const ready = new Set(paths.filter((p) => p.online && !isRungPath(p.name)).map((p) => p.name));
    for (const name of ready) {
      if (this.#live.has(name)) continue;
      this.#live.set(name, { since: now });
      this.#log(`[livegate] stream '${name}' started`);
      this.deps.metrics.streamEvents.inc({ event: "started" });
      this.hooks.emit("stream.started", { path: name, startedAt: now.toISOString() });
    }
    for (const [name, { since }] of [...this.#live]) {
      if (ready.has(name)) continue;
      this.#live.delete(name);
      const seconds = Math.round((now.getTime() - since.getTime()) / 100) / 10;
      this.#log(`[livegate] stream '${name}' stopped after ${seconds} s`);
      this.deps.metrics.streamEvents.inc({ event: "stopped" });
      this.hooks.emit("stream.stopped", {
        path: name,
        startedAt: since.toISOString(),
        stoppedAt: now.toISOString(),
        durationSeconds: seconds,
      });
      this.#track(this.#ifRecorded(name, () => this.#recordingFinished(name, since, now)));
    }
  }

  /** Runs `then` when the path is recorded (its stream's own choice, else the server's settings). */
  async #ifRecorded(name: string, then: () => Promise<void>): Promise<void> {
    if (recordsPath(this.deps.cfg, name, await getStream(this.deps.store, name))) await then();
  }

  #track(p: Promise<void>) {
    this.#pending.add(p);
    p.finally(() => this.#pending.delete(p));
  }

  async #recordingFinished(path: string, since: Date, until: Date): Promise<void> {
    await new Promise((r) => setTimeout(r, this.recordingDelayMs));
    if (this.#stopped) return;
    // The poll interval blurs start and stop: widen the window by two intervals on each side.
    const pad = 2 * this.intervalMs + 1000;
    let spans;
    try {
      spans = await listSpans(
        this.deps,
        path,
        new Date(since.getTime() - pad).toISOString(),
        new Date(until.getTime() + pad).toISOString(),
      );
    } catch (e) {
      this.#log(`[livegate] cannot list the recording of '${path}': ${(e as Error).message}`);
      return;
    }
    if (spans.length === 0) return;
    const base = this.deps.cfg.publicUrl;
    this.deps.metrics.streamEvents.inc({ event: "recording_finished" });
    this.hooks.emit("recording.finished", {
      path,
      // downloadUrl: the whole span in one link (the first part for a span longer than 24 h, whose
      // parts are listed too); links as the recordings page prints them (range.ts).
      spans: spans.map((s) => {
        const parts = splitSpan(s).map((p) => ({ ...p, downloadUrl: base + downloadLink(path, p) }));
        return { ...s, downloadUrl: parts[0].downloadUrl, ...(parts.length > 1 ? { parts } : {}) };
      }),
      pageUrl: `${base}/recordings/${path}`,
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    await Promise.allSettled([...this.#pending]);
  }
}
