// Pulled sources at work: sets a stream's source (validated, sealed into KV, applied to MediaMTX through
// its config API as recording settings are: src/recordings/path-config.ts), applies every source again
// after each MediaMTX (re)start, tells a source's state from MediaMTX's API and log, and wakes an
// on-demand source for a viewer. One per app, built by the composition root (src/app/services.ts).
//
// MediaMTX (v1.20.1) path configuration used: `source` (the URL; "publisher" = no source),
// `sourceOnDemand` (pull only while the path has readers; started by the first reader, closed
// `sourceOnDemandCloseAfter`, default 10 s, after the last). MediaMTX pulls by itself: no auth hook call is
// involved, and the readers are livegate's own (HLS as its CDN, WHEP with the internal credential), so
// every viewer is still decided by the door. A failed source is retried by MediaMTX every 5 s
// (internal/staticsources/handler.go retryPause) and logs "ERR [path P] [X source] reason".
import type { Config } from "../config/config.ts";
import type { Clock } from "../core/clock.ts";
import { MtxError, StoreError } from "../core/errors.ts";
import { type Log, redactSecrets } from "../core/log.ts";
import type { SecretBox } from "../core/secret-box.ts";
import type { MtxClient, RawPath } from "../mediamtx/client.ts";
import type { MtxSecrets } from "../mediamtx/secrets.ts";
import type { AuditInput } from "../store/audit.ts";
import type { Store } from "../store/kv.ts";
import { deleteSource, getSource, listSources, setSource, type SourceRecord } from "../store/sources.ts";
import { parseSourceUrl } from "./url.ts";

/**
 * A source's state: idle (on demand, nobody watches), connecting, live, error (`reason`, MediaMTX retries
 * every 5 s: `retrying`), unknown (MediaMTX cannot be asked).
 */
export type SourceStateName = "idle" | "connecting" | "live" | "error" | "unknown";

/** What pages and the API show of a source: never the URL's credentials. */
export interface SourceView {
  url: string;
  onDemand: boolean;
  updated: number;
  by: string;
  state: SourceStateName;
  reason: string;
  retrying: boolean;
  /** ISO time since when it is live, null otherwise. */
  since: string | null;
  /** MediaMTX readers of the path right now. */
  readers: number;
}

/** What a PATCH may change: `url` null or "" removes the source. */
export interface SourceInput {
  url?: string | null;
  onDemand?: boolean;
}

/** An error seen in MediaMTX's log is shown this long (ms): two of MediaMTX's 5 s retry pauses. */
export const ERROR_SHOWN_MS = 12_000;

const ERR_LINE = /\bERR \[path ([^\]]+)\] \[([^\]]+) source\] (.+)$/;

export interface SourceDeps {
  store: Store;
  cfg: Config;
  mtx: MtxClient;
  secrets: MtxSecrets;
  clock: Clock;
  log: Log;
  /** The key that seals URLs (loaded on first use: src/sources/key.ts). */
  box: () => Promise<SecretBox>;
}

export class SourceManager {
  #errors = new Map<string, { reason: string; at: number }>();
  #box: Promise<SecretBox> | undefined;
  constructor(private readonly deps: SourceDeps) {}

  #sealer(): Promise<SecretBox> {
    if (!this.#box) {
      this.#box = this.deps.box();
      this.#box.catch(() => this.#box = undefined);
    }
    return this.#box;
  }

  /** The MediaMTX path configuration for a source (or for none). */
  static pathConf(url: string | null, onDemand: boolean): Record<string, unknown> {
    return url === null
      ? { source: "publisher", sourceOnDemand: false }
      : { source: url, sourceOnDemand: onDemand };
  }

  /** The clear URL of a stored source. Throws when it cannot be opened (the key changed). */
  async #open(rec: SourceRecord): Promise<string> {
    return await (await this.#sealer()).open(rec.sealed, `source|${rec.path}`);
  }

  /**
   * Applies one path's configuration to MediaMTX. Returns false when MediaMTX is not reachable (applied
   * after its next start); throws StoreError "invalid" (400) when MediaMTX refuses the configuration.
   */
  async #apply(path: string, conf: Record<string, unknown>): Promise<boolean> {
    try {
      await this.deps.mtx.setPathConfig(path, conf);
      return true;
    } catch (e) {
      if (e instanceof MtxError && e.kind === "unreachable") return false;
      if (e instanceof MtxError && e.kind === "bad_request") {
        const msg = redactSecrets(e.message).replace(/^MediaMTX API \S+ \S+ answered 400 /, "");
        throw new StoreError("invalid", `source: MediaMTX refused it: ${msg.slice(0, 200)}`);
      }
      throw e;
    }
  }

  /**
   * Sets, changes or removes the source of `path` (a registered stream; the caller asked the door for
   * "manage"). Applied to MediaMTX first (a configuration it refuses is not kept), then stored. Returns the
   * view and whether MediaMTX has it now (false: MediaMTX down; applied when it is back). Throws
   * StoreError: invalid (bad URL, on-demand without a source, refused by MediaMTX), not_found.
   */
  async set(
    path: string,
    input: SourceInput,
    by: string,
    audit?: Omit<AuditInput, "action" | "target" | "detail">,
  ): Promise<{ source: SourceView | null; applied: boolean }> {
    const cur = await getSource(this.deps.store, path);
    if (input.url === null || input.url === "") {
      if (input.onDemand === true) throw new StoreError("invalid", "source: on demand needs a source URL");
      const applied = await this.#apply(path, SourceManager.pathConf(null, false));
      if (cur) {
        await deleteSource(
          this.deps.store,
          path,
          audit && { ...audit, action: "source.delete", target: path },
        );
        this.deps.log(`[livegate] stream '${path}' no longer pulls from ${cur.masked}`);
      }
      this.#errors.delete(path);
      return { source: null, applied };
    }
    if (input.onDemand !== undefined && typeof input.onDemand !== "boolean") {
      throw new StoreError("invalid", "sourceOnDemand must be true or false");
    }
    let url: string, masked: string;
    if (input.url === undefined) {
      if (!cur) throw new StoreError("invalid", "source: this stream has no source; send one (source: URL)");
      url = await this.#open(cur);
      masked = cur.masked;
    } else {
      const p = parseSourceUrl(input.url, this.deps.cfg);
      url = p.url;
      masked = p.masked;
    }
    const onDemand = input.onDemand ?? cur?.onDemand ?? false;
    const applied = await this.#apply(path, SourceManager.pathConf(url, onDemand));
    const rec: SourceRecord = {
      path,
      sealed: await (await this.#sealer()).seal(url, `source|${path}`),
      masked,
      onDemand,
      updated: this.deps.clock.now(),
      by,
    };
    const detail = `${masked}${onDemand ? " (on demand)" : " (always on)"}`;
    try {
      await setSource(
        this.deps.store,
        rec,
        audit && { ...audit, action: "source.set", target: path, detail },
      );
    } catch (e) {
      // Not stored: put MediaMTX back to what the store says.
      await this.applyOne(path).catch(() => {});
      throw e;
    }
    this.#errors.delete(path);
    this.deps.log(`[livegate] stream '${path}' pulls from ${masked}${onDemand ? " on demand" : ""}`);
    return { source: await this.view(rec), applied };
  }

  /** Applies what the store says for `path` (its source, or none). Throws like #apply, or MtxError unreachable. */
  async applyOne(path: string): Promise<void> {
    const rec = await getSource(this.deps.store, path);
    const conf = rec
      ? SourceManager.pathConf(await this.#open(rec), rec.onDemand)
      : SourceManager.pathConf(null, false);
    if (!(await this.#apply(path, conf))) throw new MtxError("unreachable", "MediaMTX is not reachable");
  }

  /**
   * Applies every stored source to MediaMTX (after each start: MediaMTX keeps API changes only in memory).
   * A source that cannot be applied is logged and skipped; throws only when MediaMTX is not reachable.
   */
  async applyAll(): Promise<number> {
    let n = 0;
    for (const rec of await listSources(this.deps.store)) {
      try {
        if (!(await this.#apply(rec.path, SourceManager.pathConf(await this.#open(rec), rec.onDemand)))) {
          throw new MtxError("unreachable", "MediaMTX is not reachable");
        }
        n++;
      } catch (e) {
        if (e instanceof MtxError && e.kind === "unreachable") throw e;
        this.deps.log(
          `[livegate] cannot apply the source of '${rec.path}': ${redactSecrets((e as Error).message)}`,
        );
      }
    }
    return n;
  }

  /** Removes MediaMTX's source of a deleted stream (its record is gone with it). Best effort. */
  async forget(path: string): Promise<void> {
    this.#errors.delete(path);
    const rec = await getSource(this.deps.store, path);
    if (rec) await deleteSource(this.deps.store, path).catch(() => {});
    await this.#apply(path, SourceManager.pathConf(null, false)).catch(() => {});
  }

  /** Reads one line of MediaMTX's log (already redacted): remembers a source's latest error. */
  observe(line: string): void {
    const m = ERR_LINE.exec(line);
    if (!m) return;
    this.#errors.set(m[1], {
      reason: redactSecrets(`${m[2]} source: ${m[3]}`).slice(0, 300),
      at: this.deps.clock.now(),
    });
  }

  /** The state of a source from MediaMTX's path (null: MediaMTX does not know it) and the log's errors. */
  stateOf(
    rec: SourceRecord,
    raw: RawPath | null | undefined,
  ): Pick<SourceView, "state" | "reason" | "retrying" | "since" | "readers"> {
    if (raw === undefined) {
      return {
        state: "unknown",
        reason: "MediaMTX is not reachable",
        retrying: false,
        since: null,
        readers: 0,
      };
    }
    const readers = raw?.readers?.length ?? 0;
    if (raw && (raw.available ?? raw.ready)) {
      this.#errors.delete(rec.path);
      return {
        state: "live",
        reason: "",
        retrying: false,
        since: raw.availableTime ?? raw.readyTime ?? null,
        readers,
      };
    }
    const err = this.#errors.get(rec.path);
    const recent = !!err && err.at >= rec.updated && this.deps.clock.now() - err.at < ERROR_SHOWN_MS;
    if (recent) return { state: "error", reason: err!.reason, retrying: true, since: null, readers };
    if (rec.onDemand && readers === 0) {
      return {
        state: "idle",
        reason: "on demand: starts when a viewer arrives",
        retrying: false,
        since: null,
        readers,
      };
    }
    return {
      state: "connecting",
      reason: "",
      retrying: !!err && err.at >= rec.updated,
      since: null,
      readers,
    };
  }

  /** The view of a stored source with its current state (asks MediaMTX). */
  async view(rec: SourceRecord): Promise<SourceView> {
    let raw: RawPath | null | undefined;
    try {
      raw = await this.deps.mtx.rawPath(rec.path);
    } catch {
      raw = undefined;
    }
    return {
      url: rec.masked,
      onDemand: rec.onDemand,
      updated: rec.updated,
      by: rec.by,
      ...this.stateOf(rec, raw),
    };
  }

  /** The view of `path`'s source, null when it has none. */
  async get(path: string): Promise<SourceView | null> {
    const rec = await getSource(this.deps.store, path);
    return rec ? await this.view(rec) : null;
  }

  /**
   * Starts an on-demand source for a viewer the door allowed, and waits (at most `timeoutMs`) until it is
   * live. MediaMTX starts an on-demand source when a reader arrives: the reader here is livegate's HLS
   * muxer session (a request as its CDN), which stays while viewers fetch HLS and closes
   * `hlsMuxerCloseAfter` after the last request. Returns whether the path is live; never throws.
   */
  async wake(path: string, timeoutMs = 12_000): Promise<boolean> {
    const rec = await getSource(this.deps.store, path).catch(() => null);
    if (!rec?.onDemand) return false;
    const live = async () => {
      const raw = await this.deps.mtx.rawPath(path).catch(() => null);
      return !!raw && !!(raw.available ?? raw.ready);
    };
    if (await live()) return true;
    const ac = new AbortController();
    const end = Date.now() + timeoutMs;
    this.deps.mtx.request(`${this.deps.mtx.urls.hls}/${path}/index.m3u8`, {
      headers: { authorization: `Bearer ${this.deps.secrets.cdn}` },
      signal: ac.signal,
    }, 0).then((r) => r.body?.cancel(), () => {});
    try {
      while (Date.now() < end) {
        await new Promise((r) => setTimeout(r, 200));
        if (await live()) return true;
      }
      return false;
    } finally {
      ac.abort();
    }
  }
}
