// Keeps MediaMTX's per-path `record` in line with the streams' own recording choices (dashboard / PATCH
// /api/streams/<path> {"record": true|false|null}) and LIVEGATE_RECORD_PATHS: all of them after every
// MediaMTX (re)start (applyAll), and a stream's own when the store announces it was created or changed.
import type { Change } from "../core/changes.ts";
import type { Config } from "../config/config.ts";
import type { Log } from "../core/log.ts";
import type { MtxClient } from "../mediamtx/client.ts";
import type { Store } from "../store/kv.ts";
import { getStream, listStreams } from "../store/streams.ts";
import { applyRecordPaths, applyStreamRecording } from "./path-config.ts";

export class RecordingSync {
  /** Paths whose stream had its own choice when last applied (clearing it must set the default back). */
  #own = new Set<string>();
  #closed = false;

  constructor(
    private readonly deps: { store: Store; cfg: Config; mtx: Pick<MtxClient, "setPathConfig">; log: Log },
  ) {}

  /** Applies every exception and own choice. Throws an Error naming the path MediaMTX refused. */
  async applyAll(): Promise<void> {
    const streams = await listStreams(this.deps.store);
    await applyRecordPaths(this.deps.cfg, this.deps.mtx, streams);
    this.#own = new Set(streams.filter((s) => typeof s.record === "boolean").map((s) => s.path));
  }

  /** Applies one stream's setting; failures are logged (MediaMTX down: applyAll runs at its next start). */
  async applyOne(path: string): Promise<void> {
    if (this.#closed) return;
    try {
      const s = await getStream(this.deps.store, path);
      if (!s || this.#closed) return;
      await applyStreamRecording(this.deps.cfg, this.deps.mtx, s, this.#own.has(path));
      if (typeof s.record === "boolean") this.#own.add(path);
      else this.#own.delete(path);
    } catch (e) {
      this.deps.log(`[livegate] recording setting of '${path}' not applied yet: ${(e as Error).message}`);
    }
  }

  /** Follows the store's stream changes; returns the function that stops (also work still under way). */
  follow(): () => void {
    const unsubscribe = this.deps.store.changes.subscribe((c: Change) => {
      if (c.kind === "stream" && c.op !== "delete") void this.applyOne(c.path);
    });
    return () => {
      this.#closed = true;
      unsubscribe();
    };
  }
}
