// A request-serving isolate (LIVEGATE_WORKERS > 1): a Deno Worker started by the main isolate
// (src/app/workers.ts). It opens the same KV database, builds the same services and app through the
// composition root (services.ts with role "worker": nothing that acts on MediaMTX or runs processes
// follows changes; no background loop is started), and serves the port with SO_REUSEPORT next to the other
// workers, so the kernel spreads connections over them. What it answers itself and what it forwards to the
// main isolate: src/cluster/routing.ts. The store's changes travel between isolates (src/cluster/relay.ts).
//
//   main -> worker  {t:"init", init: WorkerInit} | {t:"metrics", id} | {t:"mtx", state} | {t:"stop"}
//   worker -> main  {t:"listening"} | {t:"failed", message} | {t:"viewers", report} | {t:"metrics", id, json}
//                   | {t:"stopped"} | a forwarded request's head with its port (src/cluster/forward.ts)
/// <reference lib="deno.worker" />
import type { Config } from "../config/config.ts";
import type { MtxSecrets } from "../mediamtx/secrets.ts";
import type { MtxState } from "../mediamtx/supervisor.ts";
import { redacting } from "../core/log.ts";
import { openStore } from "../store/kv.ts";
import { loadAssets } from "../web/assets.ts";
import { createServices } from "./services.ts";
import { createApp } from "./app.ts";
import { frontHandler } from "./front.ts";
import { changeChannelName, relayChanges } from "../cluster/relay.ts";
import { servedByWorker } from "../cluster/routing.ts";
import { forwardToMain } from "../cluster/forward.ts";
import { acceptTunnel } from "../cluster/ws-tunnel.ts";
import { REPORT_MS, ReportingViewerTracker } from "../cluster/viewers.ts";
import { ISOLATE_HEADER, isolateCounters } from "../cluster/isolate.ts";

/** What the main isolate hands a worker when it starts it. */
export interface WorkerInit {
  cfg: Config;
  secrets: MtxSecrets;
  /** 1..N, for logs, the debug header and livegate_isolate_requests_total. */
  index: number;
  /** Whether answers carry ISOLATE_HEADER (LIVEGATE_DEBUG_ISOLATE=1; tests and benchmarks). */
  debugHeader: boolean;
  mtxState: MtxState | "external";
}

const post = (m: unknown) => self.postMessage(m);

async function start(init: WorkerInit): Promise<void> {
  const { cfg, secrets, index } = init;
  const log = redacting(console.log);
  const store = await openStore(cfg.dataDir);
  const viewers = new ReportingViewerTracker();
  let mtxState = init.mtxState;
  const deps = createServices({
    store,
    cfg,
    secrets,
    log,
    role: "worker",
    viewers,
    mtxState: () => mtxState,
  });
  const unrelay = relayChanges(store.changes, changeChannelName(cfg.dataDir));
  const app = createApp(deps, await loadAssets());
  const local = frontHandler(deps, app.fetch);
  const name = String(index);
  let requests = 0;
  let websockets = 0;
  const label = (res: Response): Response => {
    if (!init.debugHeader || res.status === 101) return res;
    try {
      res.headers.set(ISOLATE_HEADER, name);
      return res;
    } catch { // immutable headers (a response passed through as fetched)
      const copy = new Response(res.body, res);
      copy.headers.set(ISOLATE_HEADER, name);
      return copy;
    }
  };
  const ac = new AbortController();
  const server = Deno.serve({
    hostname: cfg.host,
    port: cfg.port,
    reusePort: true,
    signal: ac.signal,
    onListen: () => post({ t: "listening" }),
  }, async (req, info) => {
    requests++;
    if (servedByWorker(req.method, new URL(req.url))) return label(await local(req, info));
    try {
      return label(
        await forwardToMain(self, req, info.remoteAddr, (port, head) => {
          websockets++;
          return acceptTunnel(req, port, head);
        }),
      );
    } catch (e) {
      if ((e as Error).name === "AbortError") return new Response(null, { status: 499 });
      return label(new Response(`livegate is busy: ${(e as Error).message}\n`, { status: 503 }));
    }
  });
  const reporter = setInterval(() => {
    const report = viewers.report();
    if (report.length) post({ t: "viewers", report });
  }, REPORT_MS);
  self.onmessage = async (e: MessageEvent) => {
    const m = e.data;
    if (m.t === "mtx") mtxState = m.state;
    else if (m.t === "metrics") {
      const json = await deps.metrics.countsJson();
      json.push(...isolateCounters(name, requests, websockets));
      post({ t: "metrics", id: m.id, json });
    } else if (m.t === "stop") {
      clearInterval(reporter);
      ac.abort();
      await server.finished;
      deps.close();
      unrelay();
      store.kv.close();
      post({ t: "stopped" });
      self.close();
    }
  };
}

// One stray rejection must not end the isolate and every connection it holds: logged, as Deno.serve
// logs a failing handler.
self.addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  console.error(`[livegate] HTTP isolate: unhandled rejection: ${(e.reason as Error)?.message ?? e.reason}`);
});

self.onmessage = (e: MessageEvent) => {
  if (e.data?.t !== "init") return;
  start(e.data.init as WorkerInit).catch((err) => post({ t: "failed", message: (err as Error).message }));
};
