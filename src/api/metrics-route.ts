// GET /metrics: livegate's metrics followed by MediaMTX's own (fetched from its loopback metrics listener
// with the internal credential), in Prometheus text format. Access needs the bearer token
// (LIVEGATE_METRICS_TOKEN) or a client IP on LIVEGATE_METRICS_ALLOW; with neither configured /metrics is off.
import { Hono } from "hono";
import { safeEqualString } from "../core/crypto.ts";
import { ipAllowed } from "../metrics/ip-allow.ts";
import type { AppDeps, Env } from "../http/context.ts";

async function mediamtxMetrics(deps: Pick<AppDeps, "mtx">): Promise<string> {
  try {
    const text = await deps.mtx.metricsText();
    return "# HELP livegate_mediamtx_metrics_up 1 when MediaMTX's metrics below could be read\n" +
      "# TYPE livegate_mediamtx_metrics_up gauge\nlivegate_mediamtx_metrics_up 1\n" +
      "# MediaMTX metrics (names as MediaMTX exports them)\n" +
      (text.endsWith("\n") || !text ? text : text + "\n");
  } catch {
    return "# HELP livegate_mediamtx_metrics_up 1 when MediaMTX's metrics below could be read\n" +
      "# TYPE livegate_mediamtx_metrics_up gauge\nlivegate_mediamtx_metrics_up 0\n";
  }
}

/** GET /metrics: the app's metrics (deps.metrics), then MediaMTX's own. */
export function metricsRoutes(deps: Pick<AppDeps, "cfg" | "mtx" | "metrics">) {
  const registry = deps.metrics.registry;
  const app = new Hono<Env>();
  app.get("/metrics", async (c) => {
    const { token, allow } = deps.cfg.metrics;
    if (!token && allow.length === 0) {
      return c.text("metrics are off: set LIVEGATE_METRICS_TOKEN or LIVEGATE_METRICS_ALLOW\n", 404);
    }
    const auth = c.req.header("authorization") ?? "";
    const bearer = /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
    const byToken = !!token && !!bearer && safeEqualString(bearer, token);
    const byIp = allow.length > 0 && ipAllowed(c.get("clientIp"), allow);
    if (!byToken && !byIp) {
      if (token) c.header("WWW-Authenticate", 'Bearer realm="livegate metrics"');
      return c.text(
        bearer ? "invalid metrics token\n" : "metrics need a bearer token or an allowed IP\n",
        bearer ? 403 : 401,
      );
    }
    const own = await deps.metrics.text(); // all isolates' counts (LIVEGATE_WORKERS)
    const body = own + (own.endsWith("\n") ? "" : "\n") + await mediamtxMetrics(deps);
    return c.body(body, 200, { "content-type": registry.contentType, "cache-control": "no-store" });
  });
  return app;
}
