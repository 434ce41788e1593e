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

/**
 * The client's IP: the connection's address, or with LIVEGATE_TRUST_PROXY and a loopback peer (the reverse
 * proxy on this host) the last X-Forwarded-For entry.
 */
export function clientIpOf(remote: string, xff: string | null | undefined, trustProxy: boolean): string {
  if (trustProxy && xff && isLoopback(remote)) return xff.split(",").pop()!.trim().slice(0, 64) || remote;
  return remote;
}

/** Whether cookies get the Secure flag: LIVEGATE_SECURE_COOKIES, "auto" meaning when over HTTPS. */
export function secureCookie(https: boolean, deps: Pick<AppDeps, "cfg">): boolean {
  return deps.cfg.secureCookies === "always" || (deps.cfg.secureCookies === "auto" && https);
}

/** Sets clientIp, https and secureCookies on every request. */
export function clientInfo(deps: Pick<AppDeps, "cfg">): MiddlewareHandler<Env> {
  return async (c, next) => {
    const remote = remoteAddr(c);
    let https = new URL(c.req.url).protocol === "https:";
    if (deps.cfg.trustProxy && isLoopback(remote) && c.req.header("x-forwarded-proto") === "https") {
      https = true;
    }
    c.set("clientIp", clientIpOf(remote, c.req.header("x-forwarded-for"), deps.cfg.trustProxy));
    c.set("https", https);
    c.set("secureCookies", secureCookie(https, deps)); // every cookie livegate sets follows it
    await next();
  };
}
