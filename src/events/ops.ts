// Starts what runs beside the HTTP server for operations: webhooks, the stream watcher, the recheck of
// running publishes (publish-recheck.ts), the metric sources, and the low-disk warning for recordings.
// stop() ends them all.
import { enableProcessMetrics, sources } from "../metrics/registry.ts";
import { viewerTracker } from "../proxy/viewers.ts";
import { diskUsage, formatBytes } from "../recordings/disk.ts";
import type { AppDeps } from "../http/context.ts";
import type { Supervisor } from "../mediamtx/supervisor.ts";
import { StreamWatch } from "./stream-watch.ts";
import { startPublishRecheck } from "../mediamtx/publish-recheck.ts";
import { Webhooks } from "./webhooks.ts";

const DISK_CHECK_MS = 60_000;

export function startOps(
  deps: Pick<AppDeps, "kv" | "cfg" | "secrets">,
  supervisor: Supervisor | undefined,
  log: (line: string) => void,
) {
  const { cfg } = deps;
  enableProcessMetrics();
  const hooks = new Webhooks({ urls: cfg.webhooks.urls, secret: cfg.webhooks.secret ?? "", log });
  const watch = new StreamWatch(deps, hooks, { log });
  watch.start();
  const recheck = startPublishRecheck(deps, log);

  const viewers = viewerTracker(deps.kv);
  sources.streams = () =>
    watch.snapshot?.map((p) => ({
      path: p.name,
      ready: p.ready,
      readers: p.readers,
      viewers: viewers.count(p.name),
    }));
  sources.mediamtx = () => ({
    up: supervisor ? supervisor.state === "running" : watch.reachable,
    restarts: supervisor?.restarts ?? 0,
  });
  sources.activeSessions = async () => {
    let n = 0;
    const now = Date.now();
    for await (const e of deps.kv.list<{ expiresAt?: number }>({ prefix: ["sessions"] })) {
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
      await recheck.stop();
      await watch.stop();
      await hooks.close();
      for (const k of Object.keys(sources) as (keyof typeof sources)[]) delete sources[k];
    },
  };
}
