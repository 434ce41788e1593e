// Counts every HTTP request by method, matched route pattern and status (registered first in app.ts).
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { Metrics } from "./registry.ts";

/** The middleware counting each request of the app into `metrics`. */
export function httpMetrics(metrics: Metrics): MiddlewareHandler {
  return async (c, next) => {
    const t0 = performance.now();
    let status = 500;
    try {
      await next();
      status = c.res.status;
    } finally {
      // The matched pattern keeps label values bounded; unmatched requests share one label.
      let route = routePath(c);
      if (!route || route === "*" || route === "/*") route = "unmatched";
      metrics.recordRequest(c.req.method, route, status, t0);
    }
  };
}
