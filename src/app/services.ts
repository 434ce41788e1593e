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
import { RecordingSync } from "../recordings/recording-sync.ts";
import { Thumbnailer } from "../clips/thumbs.ts";
import { ClipCutter } from "../clips/cut.ts";
import type { ClipServices } from "../clips/routes.ts";
import { RESTREAM_KEY_ENV, Restreamer } from "../restream/restreamer.ts";
import { Analytics } from "../analytics/aggregator.ts";
import { QoeMetrics } from "../analytics/qoe-metrics.ts";
import { EdgeDelivery } from "../edge/delivery.ts";
import { LadderManager } from "../ladder/manager.ts";
import { SourceManager } from "../sources/manager.ts";
import { loadSecretBox } from "../sources/key.ts";
import type { SecretBox } from "../core/secret-box.ts";
import { ChatHub } from "../chat/hub.ts";

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
  /** The key sealing source credentials (default: LIVEGATE_SECRET_KEY or <data dir>/secret.key). */
  secretBox?: () => Promise<SecretBox>;
  /**
   * "worker": a request-serving isolate (LIVEGATE_WORKERS > 1, src/app/worker.ts): the same services, but
   * nothing that acts on MediaMTX or runs processes follows the store's changes (the main isolate does).
   */
  role?: "main" | "worker";
  /** The viewer tracker (default: a new one; a worker's reports to the main isolate, src/cluster/). */
  viewers?: ViewerTracker;
}

export interface Services extends AppDeps {
  /** The app's one HLS proxy (shared upstream fetches and kept media files). */
  hls: HlsProxy;
  /** Per-stream recording choices applied to MediaMTX. */
  recording: RecordingSync;
  /** Stills of live streams (issue #22; started by serve.ts). */
  thumbs: Thumbnailer;
  /** Clip cutting (issue #22). */
  clips: ClipServices;
  /** Restream destinations and their ffmpeg processes (started by src/events/ops.ts). */
  restream: Restreamer;
  /** Stream analytics: samples, broadcasts, quality reports (src/analytics/). */
  analytics: Analytics;
  /** The players' quality reports as Prometheus histograms (in metrics' registry). */
  qoe: QoeMetrics;
  /** Edge delivery: signed path prefixes for edges/CDNs, replica credentials (src/edge/). */
  edge: EdgeDelivery;
  /** Quality ladders: one supervised ffmpeg per live laddered stream (src/ladder/; started by serve.ts). */
  ladder: LadderManager;
  /** Pulled sources (src/sources/): stored, applied to MediaMTX, their state. */
  sources: SourceManager;
  /** The live chat (rooms, connections, fan-out; src/chat/). */
  chat: ChatHub;
  /** Stops following the store's changes. */
  close(): void;
}

/** Builds every per-app service once, wired to each other; the store's changes clear what they must. */
export function createServices(inputs: ServiceInputs): Services {
  const clock = inputs.clock ?? systemClock;
  const { store, cfg, secrets } = inputs;
  const mtx = inputs.mtx ?? new MtxClient(cfg, secrets, clock);
  const tickets = new PublishTickets(clock);
  const edge = new EdgeDelivery(cfg.edge, cfg.dataDir, store, clock);
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
    viewers: inputs.viewers ?? new ViewerTracker(),
    tickets,
    ledger: new PublishLedger(),
    metrics: new Metrics(),
    readers: new ReaderLedger(),
    mtxState: inputs.mtxState ?? (() => "external"),
    replicaCheck: edge.replicasEnabled ? (user, password) => edge.isReplica(user, password) : undefined,
    jwt: new MediaMtxJwt({ store, clock, cfg: cfg.jwt, issuer: cfg.publicUrl }),
    oidc: new Oidc({ cfg: cfg.oidc, store, clock, log }),
  };
  const recording = new RecordingSync(deps);
  const worker = inputs.role === "worker";
  const unfollowRecording = worker ? () => {} : recording.follow();
  const restream = new Restreamer({
    store,
    access: deps.access,
    secrets,
    rtspPort: cfg.mediamtx.ports.rtsp,
    live: deps.live,
    log: deps.log,
    dataDir: cfg.dataDir,
    keyEnv: Deno.env.get(RESTREAM_KEY_ENV),
  });
  const chat = new ChatHub({ store, access: deps.access, clock, log: deps.log });
  const unfollow = followChanges(deps, { restream: worker ? undefined : restream, chat });
  const sources = new SourceManager({
    ...deps,
    box: inputs.secretBox ?? (() => loadSecretBox(cfg.dataDir, Deno.env.get("LIVEGATE_SECRET_KEY"))),
  });
  // A deleted stream's source goes with it (its MediaMTX path configuration too).
  const unfollowSources = worker ? () => {} : store.changes.subscribe((c) => {
    if (c.kind === "stream" && c.op === "delete") sources.forget(c.path).catch(() => {});
  });
  const hls = new HlsProxy(deps);
  return {
    ...deps,
    restream,
    hls,
    recording,
    thumbs: new Thumbnailer(deps),
    clips: { cutter: new ClipCutter(deps) },
    analytics: new Analytics({ ...deps, cfg: cfg.analytics }),
    qoe: new QoeMetrics(deps.metrics),
    edge,
    ladder: new LadderManager(deps, {
      ffmpeg: Deno.env.get("LIVEGATE_FFMPEG") || "ffmpeg",
      wake: async (p) => await (await hls.answer(p, "index.m3u8", "", undefined)).body?.cancel(),
    }),
    sources,
    chat,
    close: () => {
      unfollow();
      unfollowRecording();
      unfollowSources();
      chat.close();
    },
  };
}
