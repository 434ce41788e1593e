// The restreamer: keeps one DestinationRunner (runner.ts) per enabled destination of every live stream.
// It follows MediaMTX's path list (the live-state poller: a publish starting or ending is seen within one
// poll, 2 s) and the store's destination changes (passed on by src/app/invalidation.ts: a toggle, edit or
// delete takes effect at once; a stream's deletion deletes its destinations). State changes are handed to
// subscribers (src/events/ops.ts turns them into webhooks) and written to the audit log.
// It also holds what the JSON API needs: validating input, sealing keys (AES-GCM, src/core/seal.ts) and the
// public view of a destination, in which the key is only ever masked.
import type { Change } from "../core/changes.ts";
import type { Log } from "../core/log.ts";
import { loadSealer, type Sealer } from "../core/seal.ts";
import { StoreError } from "../core/errors.ts";
import type { Snapshot } from "../mediamtx/live-state.ts";
import type { MtxSecrets } from "../mediamtx/secrets.ts";
import type { AuditInput } from "../store/audit.ts";
import type { Store } from "../store/kv.ts";
import { getStream } from "../store/streams.ts";
import { getUser } from "../store/users.ts";
import type { Access } from "../auth/access.ts";
import {
  auditDestination,
  createDestination,
  deleteDestination,
  deleteDestinationsOf,
  type Destination,
  type DestinationInput,
  getDestination,
  listAllDestinations,
  listDestinations,
  newDestinationId,
  updateDestination,
} from "../store/restream.ts";
import { ffmpegArgs, keySpellings } from "./args.ts";
import {
  checkDestinationKey,
  checkDestinationName,
  checkDestinationUrl,
  checkTlsVerify,
  maskKey,
} from "./destination-url.ts";
import { DestinationRunner, type RestreamState, type RunnerStatus } from "./runner.ts";
import { planWhip, type WhipPlan, whipSidecar } from "./whip.ts";
import { containWerift } from "./contain.ts";

/** The environment variable holding the sealing key (base64 of 32 bytes). */
export const RESTREAM_KEY_ENV = "LIVEGATE_RESTREAM_KEY";
/** The key file in the data dir used when the variable is not set (created on first use, mode 0600). */
export const RESTREAM_KEY_FILE = "restream.key";

/** A destination as the API and the page show it: no secret, the key masked. */
export interface DestinationView {
  id: string;
  name: string;
  kind: Destination["kind"];
  url: string;
  /** The key masked ("••••1234"). */
  key: string;
  enabled: boolean;
  /** rtmps:// only: whether the destination's certificate is verified (false: the explicit opt-out). */
  tlsVerify: boolean;
  /** Who created or last changed it (it runs while they may manage the stream). */
  by: string;
  created: number;
  updated: number;
  status: RunnerStatus;
}

/** What subscribers get on every state change of a destination (no secret in it). */
export interface RestreamEvent {
  path: string;
  id: string;
  name: string;
  kind: Destination["kind"];
  state: RestreamState;
  error: string | null;
  reconnects: number;
}

export interface RestreamerOptions {
  store: Store;
  /** The door: a destination runs only while its `by` user may "manage" the stream. */
  access: Pick<Access, "authorize">;
  secrets: Pick<MtxSecrets, "internalUser" | "internalPass">;
  /** MediaMTX's RTSP port on 127.0.0.1 (the runners read there). */
  rtspPort: number;
  /** Snapshots of MediaMTX's paths (the live-state poller). */
  live: { subscribe(fn: (s: Snapshot) => void): () => void; latest: Snapshot | undefined };
  log: Log;
  /** Where the key file lives and the variable's value (RESTREAM_KEY_ENV). */
  dataDir: string;
  keyEnv?: string;
  /** ffmpeg executable (default "ffmpeg" from PATH). */
  ffmpeg?: string;
  /** Runner timings (tests shorten them). */
  backoff?: { baseMs: number; maxMs: number };
}

const IDLE = (): RunnerStatus => ({
  state: "idle",
  since: Date.now(),
  bitrate: null,
  uptimeSeconds: null,
  reconnects: 0,
  lastError: null,
  retryAt: null,
});

/** What a runner was started for: a change of either means a new runner. */
const signature = (d: Destination, blocked?: string) => `${d.updated}|${blocked ?? ""}`;

export class Restreamer {
  #o: RestreamerOptions;
  #sealer: Promise<Sealer> | undefined;
  /** Every destination, by id (loaded at start, kept current from the store's changes). */
  #dests = new Map<string, Destination>();
  #runners = new Map<string, { runner: DestinationRunner; sig: string }>();
  /** The last status of destinations without a runner (their last error stays visible). */
  #last = new Map<string, RunnerStatus>();
  #online = new Set<string>();
  #subs = new Set<(e: RestreamEvent) => void>();
  #started = false;
  #unsubscribe: (() => void) | undefined;
  /** Stops containing werift's errors (contain.ts), set while started. */
  #uncontain: (() => void) | undefined;
  /** Reconciliations run one after another. */
  #chain: Promise<void> = Promise.resolve();

  constructor(opts: RestreamerOptions) {
    this.#o = opts;
  }

  /**
   * The sealing key (loaded once: RESTREAM_KEY_ENV, else the key file). Throws StoreError "unavailable"
   * naming the cause (a malformed variable, an unreadable key file).
   */
  sealer(): Promise<Sealer> {
    return this.#sealer ??= loadSealer({
      envName: RESTREAM_KEY_ENV,
      envValue: this.#o.keyEnv,
      dataDir: this.#o.dataDir,
      fileName: RESTREAM_KEY_FILE,
    }).catch((e) => {
      this.#sealer = undefined;
      throw new StoreError("unavailable", `restream keys cannot be sealed: ${(e as Error).message}`);
    });
  }

  /** Calls `fn` on every state change; returns the function that unsubscribes it. */
  subscribe(fn: (e: RestreamEvent) => void): () => void {
    this.#subs.add(fn);
    return () => this.#subs.delete(fn);
  }

  // ---- the API's operations -------------------------------------------------------------------------

  /** The public view of one destination record with its current status. */
  view(d: Destination): DestinationView {
    return {
      id: d.id,
      name: d.name,
      kind: d.kind,
      url: d.url,
      key: d.keyHint,
      enabled: d.enabled,
      tlsVerify: d.tlsVerify !== false,
      by: d.by,
      created: d.created,
      updated: d.updated,
      status: this.#runners.get(d.id)?.runner.status ?? this.#last.get(d.id) ?? IDLE(),
    };
  }

  /** The destinations of `path` with their status. */
  async list(path: string): Promise<DestinationView[]> {
    return (await listDestinations(this.#o.store, path)).map((d) => this.view(d));
  }

  /**
   * Adds a destination from a JSON body {name, url, key, enabled?} on behalf of user `by`. Throws
   * StoreError: invalid (with the field's problem), not_found (no such stream).
   */
  async create(
    path: string,
    body: Record<string, unknown>,
    by: string,
    audit?: AuditInput,
  ): Promise<DestinationView> {
    const name = checkDestinationName(body.name);
    const { kind, url } = checkDestinationUrl(body.url);
    const key = checkDestinationKey(body.key);
    if (body.enabled !== undefined && typeof body.enabled !== "boolean") {
      throw new StoreError("invalid", "enabled must be true or false");
    }
    const tlsVerify = checkTlsVerify(body.tlsVerify, kind);
    const id = newDestinationId();
    const input: DestinationInput = {
      name,
      kind,
      url,
      secret: await (await this.sealer()).seal(key, id),
      keyHint: maskKey(key),
      enabled: body.enabled ?? true,
      ...(tlsVerify === false ? { tlsVerify } : {}),
      by,
    };
    const d = await createDestination(
      this.#o.store,
      path,
      id,
      input,
      audit &&
        { ...audit, detail: `${name} ${url}${tlsVerify === false ? " (certificate not verified)" : ""}` },
    );
    return this.view(d);
  }

  /**
   * Changes a destination from a JSON body with any of {name, url, key, enabled}; user `by` becomes the
   * one it runs for. A new key is sealed; an absent or empty key keeps the old one. Throws StoreError
   * invalid, not_found.
   */
  async update(
    path: string,
    id: string,
    body: Record<string, unknown>,
    by: string,
    audit?: AuditInput,
  ): Promise<DestinationView> {
    const cur = await getDestination(this.#o.store, path, id);
    if (!cur) throw new StoreError("not_found", `no destination '${id}' on stream '${path}'`);
    const patch: Partial<DestinationInput> = {};
    if (body.name !== undefined) patch.name = checkDestinationName(body.name);
    if (body.url !== undefined) Object.assign(patch, checkDestinationUrl(body.url));
    if (body.key !== undefined && body.key !== "") {
      const key = checkDestinationKey(body.key);
      patch.secret = await (await this.sealer()).seal(key, id);
      patch.keyHint = maskKey(key);
    }
    if (body.enabled !== undefined) {
      if (typeof body.enabled !== "boolean") throw new StoreError("invalid", "enabled must be true or false");
      patch.enabled = body.enabled;
    }
    if (body.tlsVerify !== undefined) {
      patch.tlsVerify = checkTlsVerify(body.tlsVerify, patch.kind ?? cur.kind);
    } else if (patch.kind && patch.kind !== "rtmps" && cur.tlsVerify === false) {
      patch.tlsVerify = true; // the opt-out belonged to the rtmps:// URL it was given for
    }
    if (Object.keys(patch).length === 0) throw new StoreError("invalid", "nothing to change");
    patch.by = by;
    const detail = Object.entries(patch).filter(([k]) => k !== "secret" && k !== "keyHint" && k !== "by")
      .map(([k, v]) => `${k}=${v}`).concat(patch.secret ? ["key changed"] : []).join(" ");
    const d = await updateDestination(this.#o.store, path, id, patch, audit && { ...audit, detail });
    return this.view(d);
  }

  /** Deletes a destination (its ffmpeg is stopped by the change it announces). Throws StoreError not_found. */
  async remove(path: string, id: string, audit?: AuditInput): Promise<void> {
    await deleteDestination(this.#o.store, path, id, audit);
  }

  // ---- following the streams ------------------------------------------------------------------------

  /** Starts following the live paths and the destinations. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    for (const d of await listAllDestinations(this.#o.store)) this.#dests.set(d.id, d);
    this.#uncontain = containWerift(this.#o.log);
    this.#unsubscribe = this.#o.live.subscribe((s) => this.#onSnapshot(s));
    if (this.#o.live.latest) this.#onSnapshot(this.#o.live.latest);
  }

  #onSnapshot(s: Snapshot) {
    const online = new Set(s.paths.filter((p) => p.online).map((p) => p.name));
    const same = online.size === this.#online.size && [...online].every((p) => this.#online.has(p));
    this.#online = online;
    if (!same) this.#reconcile();
  }

  /** Follows a store change (called by src/app/invalidation.ts). */
  onChange(c: Change): void {
    if (c.kind === "destination") {
      this.#queue(async () => {
        const d = await getDestination(this.#o.store, c.path, c.id);
        if (d) this.#dests.set(d.id, d);
        else {
          this.#dests.delete(c.id);
          this.#last.delete(c.id);
        }
      });
      this.#reconcile();
    } else if (c.kind === "stream" && c.op === "delete") {
      this.#queue(async () => {
        for (const [id, d] of this.#dests) if (d.path === c.path) this.#dests.delete(id);
        await deleteDestinationsOf(this.#o.store, c.path);
      });
      this.#reconcile();
    } else if (c.kind === "user" || c.kind === "stream") {
      // A role, a disabled or deleted user, a new owner: whose destinations may run changes.
      this.#reconcile();
    } else if (c.kind === "restore") {
      this.#queue(async () => {
        this.#dests.clear();
        for (const d of await listAllDestinations(this.#o.store)) this.#dests.set(d.id, d);
      });
      this.#reconcile();
    }
  }

  #queue(fn: () => Promise<void>) {
    this.#chain = this.#chain.then(fn).catch((e) => {
      this.#o.log(`[livegate] restream: ${(e as Error).message}`);
    });
  }

  /** Starts what should run and stops what should not (queued behind the changes before it). */
  #reconcile() {
    this.#queue(async () => {
      /** Destinations that should have a runner, with a reason to fail at once when they may not run. */
      const want = new Map<string, { d: Destination; blocked?: string }>();
      if (this.#started) {
        // Only streams that still have a record (one deleted from the CLI, by another process, leaves
        // destinations behind until this server sees the deletion).
        const registered = new Map<string, boolean>();
        for (const d of this.#dests.values()) {
          if (!d.enabled || !this.#online.has(d.path)) continue;
          if (!registered.has(d.path)) {
            registered.set(d.path, (await getStream(this.#o.store, d.path)) !== null);
          }
          if (registered.get(d.path)) want.set(d.id, { d, blocked: await this.#blocked(d) });
        }
      }
      const stops: Promise<void>[] = [];
      for (const [id, r] of this.#runners) {
        const w = want.get(id);
        if (!w || signature(w.d, w.blocked) !== r.sig) {
          this.#runners.delete(id);
          stops.push(
            r.runner.stop().then(() => {
              this.#last.set(id, r.runner.status);
            }),
          );
        }
      }
      await Promise.all(stops);
      for (const w of want.values()) {
        if (!this.#runners.has(w.d.id)) await this.#startRunner(w.d, w.blocked);
      }
    });
  }

  /**
   * Why `d` may not run (undefined: it may): the door's "manage" for the user it runs for, so a channel of
   * a user who lost the stream (demoted, disabled, deleted, another owner) stops receiving it.
   */
  async #blocked(d: Destination): Promise<string | undefined> {
    const user = d.by ? await getUser(this.#o.store, d.by) : null;
    const ok = user &&
      (await this.#o.access.authorize({ actor: { kind: "user", user }, action: "manage", path: d.path }))
        .allow;
    return ok
      ? undefined
      : `'${
        d.by || "?"
      }', who set it up, may no longer manage this stream: an owner or admin must enable it again`;
  }

  async #startRunner(d: Destination, blocked?: string) {
    let key = "";
    let preflight: string | undefined = blocked;
    if (!preflight) {
      try {
        key = await (await this.sealer()).open(d.secret, d.id);
      } catch (e) {
        preflight = `the key cannot be read: ${(e as Error).message}; enter it again`;
      }
    }
    // WHIP: ffmpeg writes RTP, livegate's WHIP client sends it (whip.ts); the tracks come from the stream's
    // codecs as MediaMTX reports them.
    let plan: WhipPlan | undefined;
    if (!preflight && d.kind === "whip") {
      try {
        plan = planWhip(this.#o.live.latest?.paths.find((p) => p.name === d.path)?.codecs ?? []);
      } catch (e) {
        preflight = (e as Error).message;
      }
    }
    const source = {
      path: d.path,
      rtspPort: this.#o.rtspPort,
      internalUser: this.#o.secrets.internalUser,
      internalPass: this.#o.secrets.internalPass,
    };
    const label = `'${d.path}' -> '${d.name}'`;
    const prev = this.#last.get(d.id);
    let reported: RestreamState | undefined = prev?.state === "idle" ? "idle" : undefined;
    const runner = new DestinationRunner({
      ffmpeg: this.#o.ffmpeg ?? "ffmpeg",
      args: d.kind === "whip"
        ? []
        : ffmpegArgs({ kind: d.kind, url: d.url, key, tlsVerify: d.tlsVerify, ...source }),
      sidecar: plan && whipSidecar({ url: d.url, token: key, plan, ...source }),
      note: plan?.note ?? undefined,
      secrets: [...keySpellings(key), this.#o.secrets.internalPass],
      label,
      log: this.#o.log,
      preflight,
      backoff: this.#o.backoff,
      onState: (s) => {
        // "connecting" between two "retrying" is not news: events and audit entries skip it.
        if (s.state === "connecting" || s.state === reported) return;
        reported = s.state;
        this.#announce(d, s);
      },
    });
    this.#runners.set(d.id, { runner, sig: signature(d, blocked) });
    runner.start();
  }

  #announce(d: Destination, s: RunnerStatus) {
    const e: RestreamEvent = {
      path: d.path,
      id: d.id,
      name: d.name,
      kind: d.kind,
      state: s.state,
      error: s.state === "live" || s.state === "idle" ? null : s.lastError,
      reconnects: s.reconnects,
    };
    this.#o.log(
      `[livegate] restream '${d.path}' -> '${d.name}': ${s.state}${e.error ? ` (${e.error})` : ""}`,
    );
    for (const fn of this.#subs) {
      try {
        fn(e);
      } catch (err) {
        this.#o.log(`[livegate] restream subscriber failed: ${(err as Error).message}`);
      }
    }
    auditDestination(this.#o.store, {
      actor: "livegate",
      action: "restream.state",
      target: `${d.path}/${d.name}`,
      detail: e.error ? `${s.state}: ${e.error}` : s.state,
    }).catch(() => {/* a full disk must not stop the restream; the log line above has it */});
  }

  /** Path and state of every destination with a runner (the metric livegate_restream_destinations). */
  states(): { path: string; state: RestreamState }[] {
    return [...this.#runners.entries()].flatMap(([id, r]) => {
      const d = this.#dests.get(id);
      return d ? [{ path: d.path, state: r.runner.status.state }] : [];
    });
  }

  /** Resolves when the changes and reconciliations queued so far are done (tests wait on it). */
  async settled(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.#chain;
      await seen;
    } while (seen !== this.#chain);
  }

  /** The pids of the running ffmpeg processes (tests check none is left). */
  get pids(): number[] {
    return [...this.#runners.values()].flatMap((r) => r.runner.pid ? [r.runner.pid] : []);
  }

  /** Stops following and ends every ffmpeg (each within ~1 s). */
  async stop(): Promise<void> {
    this.#started = false;
    this.#unsubscribe?.();
    this.#reconcile();
    await this.#chain;
    this.#uncontain?.();
    this.#uncontain = undefined;
  }
}
