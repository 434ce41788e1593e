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

const HOST_RE =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The scheme and host the browser reached livegate on (behind a trusted proxy on this host: its
 * X-Forwarded-Host), or null when the Host is malformed.
 */
function reachedBase(c: Context<Env>, deps: Pick<AppDeps, "cfg">): string | null {
  const remote = remoteAddr(c);
  const fwd = deps.cfg.trustProxy && isLoopback(remote) ? c.req.header("x-forwarded-host") : undefined;
  const host = (fwd ?? c.req.header("host") ?? "").split(",")[0].trim();
  return HOST_RE.test(host) ? `${c.get("https") ? "https" : "http"}://${host}` : null;
}

/**
 * The base URL for links livegate hands out (share links, the player): LIVEGATE_PUBLIC_URL when set, else
 * the scheme and host the browser reached livegate on (reachedBase), so a link made on a server reached at
 * https://stream.example.org never says localhost. A malformed host falls back to the configured default.
 */
export function publicBase(c: Context<Env>, deps: Pick<AppDeps, "cfg">): string {
  if (deps.cfg.publicUrlSet) return deps.cfg.publicUrl;
  return reachedBase(c, deps) ?? deps.cfg.publicUrl;
}

/** The host streamers publish to: LIVEGATE_PUBLISH_HOST when set, else the public base's host name. */
export function publishHostOf(c: Context<Env>, deps: Pick<AppDeps, "cfg">): string {
  if (deps.cfg.publishHostSet || deps.cfg.publicUrlSet) return deps.cfg.publishHost;
  return new URL(publicBase(c, deps)).hostname;
}

/** Whether the request reached livegate on a loopback name or address (localhost, 127.x, [::1]). */
export function reachedOnLoopback(c: Context<Env>, deps: Pick<AppDeps, "cfg">): boolean {
  const h = new URL(reachedBase(c, deps) ?? deps.cfg.publicUrl).hostname;
  return h === "localhost" || h.startsWith("127.") || h === "[::1]";
}
