// GET /ready: readiness for load balancers and orchestrators. 200 when MediaMTX's API answers (livegate
// can serve streams), 503 with the reason otherwise. /health stays pure liveness.
import { Hono } from "hono";
import type { AppDeps, Env } from "../http/context.ts";

export function readyRoutes(deps: Pick<AppDeps, "mtx" | "mtxState">) {
  const app = new Hono<Env>();
  app.get("/ready", async (c) => {
    const state = deps.mtxState();
    c.header("cache-control", "no-store");
    if (state === "starting" || state === "restarting" || state === "stopped") {
      return c.json({ ready: false, mediamtx: state, error: `MediaMTX is ${state}` }, 503);
    }
    try {
      await deps.mtx.globalConfig(1000);
      return c.json({ ready: true, mediamtx: state });
    } catch (e) {
      return c.json({
        ready: false,
        mediamtx: state,
        error: `MediaMTX API not reachable: ${(e as Error).message}`,
      }, 503);
    }
  });
  return app;
}
