// Headers every livegate response carries (set by app.ts's middleware, and by answered() for the handlers in
// front of the app: src/http/front.ts). HTML pages also get the CSP below and no-store.
import type { Metrics } from "../metrics/registry.ts";

export const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ["X-Content-Type-Options", "nosniff"],
  ["Referrer-Policy", "same-origin"],
  ["X-Frame-Options", "DENY"],
];

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

/** `res` with the security headers set. */
export function secured(res: Response): Response {
  for (const [k, v] of SECURITY_HEADERS) res.headers.set(k, v);
  return res;
}

/** A response answered in front of the app: the same headers and request metrics as through the app. */
export function answered(
  metrics: Metrics,
  res: Response,
  method: string,
  route: string,
  t0: number,
): Response {
  secured(res);
  metrics.recordRequest(method, route, res.status, t0);
  return res;
}
