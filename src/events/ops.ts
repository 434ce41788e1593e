// Starts what runs beside the HTTP server for operations: the live-state poller (src/mediamtx/live-state.ts)
// and what follows it (webhooks through the stream watcher, the recheck of running publishes), the metric
// sources of the app's gauges, and the low-disk warning for recordings. stop() ends them all.
import { diskUsage, formatBytes } from "../recordings/disk.ts";
import type { AppDeps } from "../http/context.ts";
import type { Supervisor } from "../mediamtx/supervisor.ts";
import { StreamWatch } from "./stream-watch.ts";
import { startPublishRecheck } from "../auth/publish-recheck.ts";
import { startReaderRecheck } from "../auth/reader-recheck.ts";
import { Webhooks } from "./webhooks.ts";
import type { Restreamer } from "../restream/restreamer.ts";
import { isRungPath } from "../core/rungs.ts";

/** How often the live-state poller asks MediaMTX for its paths (ms). */
const POLL_MS = 2000;

const DISK_CHECK_MS = 60_000;

/** Starts the operations of an app; `sources` are the app's metric sources (filled here, emptied on stop). */
export function startOps(
  deps: Pick<
    AppDeps,
    | "store"
    | "cfg"
    | "mtx"
    | "live"
    | "access"
    | "ledger"
    | "readers"
    | "viewers"
    | "clock"
    | "log"
    | "metrics"
  >,
  supervisor: Supervisor | undefined,
  log: (line: string) => void,
  /** Features that run beside the server: the restreamer (started and stopped here). */
  features: { restream?: Restreamer } = {},
) {
  const { cfg } = deps;
  const sources = deps.metrics.sources;
  deps.metrics.enableProcessMetrics();
  const hooks = new Webhooks({
    urls: cfg.webhooks.urls,
    secret: cfg.webhooks.secret ?? "",
    log,
    metrics: deps.metrics,
  });
  const watch = new StreamWatch(deps, hooks, { log, intervalMs: POLL_MS });
  watch.start();
  // Restream destinations follow the same snapshots; each state change is a webhook (no key in it).
  const { restream } = features;
  const unRestream = restream?.subscribe((e) => hooks.emit("restream.state", { ...e }));
  restream?.start().catch((e) => log(`[livegate] restream cannot start: ${(e as Error).message}`));
  if (restream) deps.metrics.sources.restream = () => restream.states();
  deps.live.start(POLL_MS);
  const recheck = startPublishRecheck({
    ledger: deps.ledger,
    access: deps.access,
    // The latest snapshot when it is fresh (a recheck right after a change polls again).
    live: async () =>
      (await deps.live.get(0)).flatMap((p) =>
        p.source ? [{ path: p.name, type: p.source.type, id: p.source.id }] : []
      ),
    kick: async (src) => (await deps.mtx.kick(src)) !== null,
    clock: deps.clock,
  }, log);

  // WebRTC readers and recording downloads whose access is gone are ended (reader-recheck.ts).
  const readerRecheck = startReaderRecheck({
    ledger: deps.readers,
    store: deps.store,
    access: deps.access,
    clock: deps.clock,
    log,
    webrtcSessions: () => {
      const snap = deps.live.latest;
      if (!snap || deps.clock.now() - snap.at > 10_000) return Promise.resolve(undefined);
      const ids = snap.paths.flatMap((p) => [...p.readers, ...(p.source ? [p.source] : [])])
        .filter((r) => r.type === "webRTCSession").map((r) => r.id);
      return Promise.resolve(new Set(ids));
    },
  });

  const viewers = deps.viewers;
  sources.streams = () =>
    // A quality ladder's rung paths are part of their stream, not streams of their own (src/ladder/).
    deps.live.latest?.paths.filter((p) => !isRungPath(p.name)).map((p) => ({
      path: p.name,
      ready: p.online,
      readers: p.readers.length,
      viewers: viewers.count(p.name),
    }));
  sources.mediamtx = () => ({
    up: supervisor ? supervisor.state === "running" : deps.live.reachable,
    restarts: supervisor?.restarts ?? 0,
  });
  sources.activeSessions = async () => {
    let n = 0;
    const now = deps.clock.now();
    for await (const e of deps.store.kv.list<{ expiresAt?: number }>({ prefix: ["sessions"] })) {
      if ((e.value?.expiresAt ?? Infinity) > now) n++;
    }
    return n;
  };
  // Walking the recordings is not free: scrapes reuse a result up to 15 s old.
  let cached: { at: number; value: ReturnType<typeof diskUsage> } | undefined;
  sources.disk = () => {
    if (!cached || Date.now() - cached.at > 15_000) cached = { at: Date.now(), value: diskUsage(cfg) };
    return cached.value;
  };

  let warned = false;
  const checkDisk = async () => {
    const d = await diskUsage(cfg);
    if (d.low && !warned) {
      log(
        `[livegate] WARNING: recordings disk almost full: ${
          formatBytes(d.fs?.freeBytes ?? 0)
        } free in ${cfg.recording.dir} (threshold LIVEGATE_RECORD_MIN_FREE ${
          formatBytes(cfg.recording.minFreeBytes)
        })`,
      );
    }
    warned = d.low;
  };
  const diskTimer = setInterval(() => checkDisk().catch(() => {}), DISK_CHECK_MS);
  checkDisk().catch(() => {});

  return {
    hooks,
    watch,
    async stop() {
      clearInterval(diskTimer);
      await restream?.stop();
      unRestream?.();
      await recheck.stop();
      await readerRecheck.stop();
      await watch.stop();
      await deps.live.stop();
      await hooks.close();
      for (const k of Object.keys(sources) as (keyof typeof sources)[]) delete sources[k];
    },
  };
}
