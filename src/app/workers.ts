// The main isolate's side of LIVEGATE_WORKERS > 1 (issue #20 item 4, "every core"): starts N Deno Workers
// (worker.ts) that serve the HTTP port with SO_REUSEPORT, answers the requests they forward (everything
// that keeps state in one place: src/cluster/routing.ts) with the main isolate's own app, relays the
// store's changes both ways (src/cluster/relay.ts), merges the viewers they report, sums their counters
// into /metrics, and tells them MediaMTX's state (so HLS answers 503 while it restarts, as with one
// isolate). The main isolate keeps the one MediaMTX supervisor and every background loop (serve.ts).
import type { Config } from "../config/config.ts";
import type { Log } from "../core/log.ts";
import type { MtxSecrets } from "../mediamtx/secrets.ts";
import type { ServeHandler } from "../http/context.ts";
import type { Services } from "./services.ts";
import type { WorkerInit } from "./worker.ts";
import { answerForwarded, type ForwardedHead } from "../cluster/forward.ts";
import { mergeViewers } from "../cluster/viewers.ts";
import type client from "prom-client";

export interface WorkerPool {
  /** Stops every worker (each closes its listener and finishes its answers first). */
  stop(): Promise<void>;
  /** Resolves when a worker ended on its own (an uncaught error): livegate stops, its service restarts it. */
  failed: Promise<string>;
}

type Metric = client.MetricObjectWithValues<client.MetricValue<string>>;

/** How long a worker may take to start listening, ms. */
const START_MS = 60_000;
/** How long /metrics waits for a worker's counts, ms (a worker that does not answer is left out). */
const METRICS_MS = 2000;

/**
 * Starts `n` workers serving `cfg.port`. `handler` answers what they forward (the main isolate's front
 * handler, whose app upgrades the chat's WebSockets through the tunnel). Throws when one cannot start
 * (the port in use, a module error), after stopping those that did.
 */
export async function startWorkers(opts: {
  n: number;
  cfg: Config;
  secrets: MtxSecrets;
  deps: Services;
  handler: ServeHandler;
  log: Log;
}): Promise<WorkerPool> {
  const { n, cfg, secrets, deps, handler, log } = opts;
  const workers: Worker[] = [];
  const pending = new Map<number, (json: Metric[]) => void>();
  let nextId = 0;
  let stopping = false;
  let fail!: (why: string) => void;
  const failed = new Promise<string>((r) => fail = r);
  const debugHeader = Deno.env.get("LIVEGATE_DEBUG_ISOLATE") === "1";

  const stopAll = async () => {
    stopping = true;
    await Promise.all(workers.map((w) =>
      new Promise<void>((done) => {
        const t = setTimeout(() => {
          w.terminate();
          done();
        }, 10_000);
        w.addEventListener("message", (e) => {
          if ((e as MessageEvent).data?.t === "stopped") {
            clearTimeout(t);
            w.terminate();
            done();
          }
        });
        w.postMessage({ t: "stop" });
      })
    ));
  };

  try {
    for (let i = 1; i <= n; i++) {
      const w = new Worker(new URL("./worker.ts", import.meta.url), {
        type: "module",
        name: `livegate-http-${i}`,
      });
      workers.push(w);
      const listening = new Promise<void>((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`HTTP isolate ${i} did not start in ${START_MS} ms`)),
          START_MS,
        );
        w.onmessage = (e: MessageEvent) => {
          const m = e.data;
          if (m?.t === "req") {
            answerForwarded(m as ForwardedHead, e.ports[0], handler);
          } else if (m?.t === "viewers") {
            mergeViewers(deps.viewers, m.report);
          } else if (m?.t === "metrics") {
            pending.get(m.id)?.(m.json);
          } else if (m?.t === "listening") {
            clearTimeout(t);
            resolve();
          } else if (m?.t === "failed") {
            clearTimeout(t);
            reject(new Error(`HTTP isolate ${i} could not start: ${m.message}`));
          }
        };
        w.onerror = (e: ErrorEvent) => {
          e.preventDefault();
          clearTimeout(t);
          const why = `HTTP isolate ${i} failed: ${e.message}`;
          reject(new Error(why));
          if (!stopping) {
            log(`[livegate] ${why}; stopping (the service manager restarts livegate)`);
            fail(why);
          }
        };
      });
      const init: WorkerInit = { cfg, secrets, index: i, debugHeader, mtxState: deps.mtxState() };
      w.postMessage({ t: "init", init });
      await listening;
    }
  } catch (e) {
    await stopAll();
    throw e;
  }

  deps.metrics.peers = () =>
    Promise.all(workers.map((w) =>
      new Promise<Metric[]>((resolve) => {
        const id = ++nextId;
        const t = setTimeout(() => {
          pending.delete(id);
          resolve([]);
        }, METRICS_MS);
        pending.set(id, (json) => {
          clearTimeout(t);
          pending.delete(id);
          resolve(json);
        });
        w.postMessage({ t: "metrics", id });
      })
    ));

  let lastState = deps.mtxState();
  const stateTimer = setInterval(() => {
    const s = deps.mtxState();
    if (s === lastState) return;
    lastState = s;
    for (const w of workers) w.postMessage({ t: "mtx", state: s });
  }, 250);

  return {
    failed,
    stop: async () => {
      clearInterval(stateTimer);
      deps.metrics.peers = undefined;
      await stopAll();
    },
  };
}
