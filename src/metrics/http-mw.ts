// Counts every HTTP request by method, matched route pattern and status (registered first in app.ts).
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { httpDuration, httpRequests } from "./registry.ts";

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

export function httpMetrics(): MiddlewareHandler {
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
      const method = METHODS.has(c.req.method) ? c.req.method : "OTHER";
      httpRequests.inc({ method, route, status: String(status) });
      httpDuration.observe({ route }, (performance.now() - t0) / 1000);
    }
  };
}
