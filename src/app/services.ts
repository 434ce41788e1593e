// The composition root's first half: every per-app service, built once and handed to the routes and the
// operations (src/app/app.ts, src/events/ops.ts). Nothing else constructs these, and nothing finds them
// through module state: tests build their own with createServices and can pass a ManualClock, a memory
// store or a MediaMTX client of their own.
import type { Config } from "../config/config.ts";
import { type Clock, systemClock } from "../core/clock.ts";
import { consoleLog, type Log } from "../core/log.ts";
import { Access } from "../auth/access.ts";
import { PublishLedger } from "../auth/publish-recheck.ts";
import { PublishTickets } from "../auth/publish-tickets.ts";
import { ReaderLedger } from "../auth/reader-recheck.ts";
import { MediaCaches } from "../auth/session-cache.ts";
import { MediaMtxJwt } from "../auth/jwt-keys.ts";
import { Oidc } from "../auth/oidc.ts";
import { ViewerTracker } from "../auth/viewers.ts";
import { MtxClient } from "../mediamtx/client.ts";
import { LiveState } from "../mediamtx/live-state.ts";
import type { MtxSecrets } from "../mediamtx/secrets.ts";
import type { MtxState } from "../mediamtx/supervisor.ts";
import { Metrics } from "../metrics/registry.ts";
import type { Store } from "../store/kv.ts";
import type { AppDeps } from "../http/context.ts";
import { HlsProxy } from "../proxy/hls.ts";
import { followChanges } from "./invalidation.ts";

export interface ServiceInputs {
  store: Store;
  cfg: Config;
  secrets: MtxSecrets;
  clock?: Clock;
  log?: Log;
  /** MediaMTX's client (default: one for cfg's loopback ports and secrets). */
  mtx?: MtxClient;
  /** The supervisor's view of MediaMTX (default: "external"). */
  mtxState?: () => MtxState | "external";
}

export interface Services extends AppDeps {
  /** The app's one HLS proxy (shared upstream fetches and kept media files). */
  hls: HlsProxy;
  /** Stops following the store's changes. */
  close(): void;
}

/** Builds every per-app service once, wired to each other; the store's changes clear what they must. */
export function createServices(inputs: ServiceInputs): Services {
  const clock = inputs.clock ?? systemClock;
  const { store, cfg, secrets } = inputs;
  const mtx = inputs.mtx ?? new MtxClient(cfg, secrets, clock);
  const tickets = new PublishTickets(clock);
  const log = inputs.log ?? consoleLog;
  const deps: AppDeps = {
    store,
    cfg,
    secrets,
    clock,
    log,
    mtx,
    live: new LiveState(mtx, clock),
    access: new Access({ store, tickets, clock }),
    caches: new MediaCaches(),
    viewers: new ViewerTracker(),
    tickets,
    ledger: new PublishLedger(),
    metrics: new Metrics(),
    readers: new ReaderLedger(),
    mtxState: inputs.mtxState ?? (() => "external"),
    jwt: new MediaMtxJwt({ store, clock, cfg: cfg.jwt, issuer: cfg.publicUrl }),
    oidc: new Oidc({ cfg: cfg.oidc, store, clock, log }),
  };
  const close = followChanges(deps);
  return {
    ...deps,
    hls: new HlsProxy(deps),
    close,
  };
}
