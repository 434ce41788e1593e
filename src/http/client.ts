// Client facts behind an optional reverse proxy: IP address and whether the request came over HTTPS.
import type { Context, MiddlewareHandler } from "hono";
import { getConnInfo } from "hono/deno";
import type { AppDeps, Env } from "./context.ts";

function remoteAddr(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown"; // in-process requests (app.request) have no connection
  }
}

const isLoopback = (ip: string) => ip === "127.0.0.1" || ip === "::1" || ip.startsWith("::ffff:127.");

export function clientInfo(deps: AppDeps): MiddlewareHandler<Env> {
  return async (c, next) => {
    let ip = remoteAddr(c);
    let https = new URL(c.req.url).protocol === "https:";
    if (deps.cfg.trustProxy && isLoopback(ip)) {
      const xff = c.req.header("x-forwarded-for");
      if (xff) ip = xff.split(",").pop()!.trim().slice(0, 64) || ip;
      if (c.req.header("x-forwarded-proto") === "https") https = true;
    }
    c.set("clientIp", ip);
    c.set("https", https);
    await next();
  };
}
