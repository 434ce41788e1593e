// Counts every HTTP request by method, matched route pattern and status (registered first in app.ts).
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { countRequest, httpDuration } from "./registry.ts";

const routeLabels = new Map<string, { route: string }>();
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** Counts one answered request (also used by the handlers in front of the app: src/http/front.ts). */
export function recordRequest(method: string, route: string, status: number, t0: number): void {
  countRequest(METHODS.has(method) ? method : "OTHER", route, status);
  let labels = routeLabels.get(route);
  if (!labels) routeLabels.set(route, labels = { route });
  httpDuration.observe(labels, (performance.now() - t0) / 1000);
}

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
      recordRequest(c.req.method, route, status, t0);
    }
  };
}
