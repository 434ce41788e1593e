// WebRTC through livegate: WHEP playback and WHIP publishing from the browser. Only the HTTP signalling
// passes here (SDP offer -> answer, trickle ICE, end); media flows between the browser and MediaMTX's ICE
// port. Every request needs the permission (src/auth/permissions.ts: a login unless the stream is public;
// publishing: admin or the stream's owner) and the CSRF token (X-CSRF-Token header). MediaMTX's Location header is rewritten to /whep|/whip/<path>/<session>, so the
// browser only ever talks HTTP to livegate.
// - WHEP: livegate reads from MediaMTX with its internal credential.
// - WHIP: livegate issues a single-use publish ticket for this user and path and hands it to MediaMTX as
//   the bearer token; MediaMTX's auth hook (src/auth/hook.ts) accepts it for exactly that path.
// - WHIP from OBS (or any WHIP client) without a login: `Authorization: Bearer <stream key>` is passed on
//   and the hook checks the key like any other publish; PATCH/DELETE need the same key.
import { Hono } from "hono";
import type { Context } from "hono";
import { csrfFailure } from "../http/csrf.ts";
import { NAME_RE } from "../core/names.ts";
import { basicAuth } from "../mediamtx/secrets.ts";
import { mediamtxUrls } from "../mediamtx/env.ts";
import { mediamtxUnavailable } from "../mediamtx/unavailable.ts";
import type { AppDeps, Env } from "../http/context.ts";
import { refusal } from "../http/refusal.ts";
import { PUBLISH_TICKET_PREFIX } from "../auth/publish-tickets.ts";
import { sameStarter, type Starter } from "../auth/reader-recheck.ts";
import { sha256Hex } from "../core/crypto.ts";
import { HttpError } from "../core/errors.ts";
import {
  fragProblem,
  MAX_FRAG_BYTES,
  MAX_SDP_BYTES,
  mediaType,
  readLimited,
  sdpProblem,
  SESSION_RE,
} from "./sdp.ts";

type Kind = "whep" | "whip";
const UPSTREAM_TIMEOUT_MS = 15_000;

async function upstreamError(res: Response): Promise<string> {
  try {
    const j = await res.json();
    if (j && typeof j.error === "string") return j.error.slice(0, 300);
  } catch { /* not JSON */ }
  return `MediaMTX answered ${res.status}`;
}

export function webrtcRoutes(
  deps: Pick<AppDeps, "cfg" | "secrets" | "access" | "tickets" | "mtxState" | "mtx" | "readers" | "clock">,
) {
  const app = new Hono<Env>();
  const base = mediamtxUrls(deps.cfg).webrtc;

  const unreachable = (e: unknown) =>
    mediamtxUnavailable(deps, `WebRTC upstream error: ${(e as Error).message}`);

  async function forward(c: Context<Env>, url: string, init: RequestInit): Promise<Response | null> {
    try {
      return await fetch(url, {
        ...init,
        redirect: "manual",
        signal: AbortSignal.any([c.req.raw.signal, AbortSignal.timeout(UPSTREAM_TIMEOUT_MS)]),
      });
    } catch (e) {
      if (c.req.raw.signal.aborted) return null;
      throw e;
    }
  }

  /** A stream key sent by a WHIP client (OBS: "Bearer Token"), or null. */
  function bearerKey(c: Context<Env>, kind: Kind): string | null {
    if (kind !== "whip") return null;
    const m = /^Bearer (\S{1,200})$/.exec(c.req.header("authorization") ?? "");
    return m ? m[1] : null;
  }

  /** Who starts or controls a session with this request: login session id, share token, key hash, IP. */
  async function starterOf(c: Context<Env>, kind: Kind): Promise<Starter> {
    const key = bearerKey(c, kind);
    if (key !== null) return { keyHash: await sha256Hex(key) };
    const actor = c.get("actor");
    const token = c.get("sessionToken");
    const s: Starter = { ip: c.get("clientIp") ?? "" };
    if (c.get("user") && token) s.sessionId = await sha256Hex(token);
    if (actor.kind === "share") s.share = actor.token;
    return s;
  }

  /**
   * A PATCH/DELETE is for a session livegate started on this path for the same credential (a login
   * session, share link, stream key, or for anonymous viewers the same address); anything else is
   * "unknown session" (404), so session ids of others cannot be used, or even confirmed.
   */
  async function ownSession(c: Context<Env>, kind: Kind, path: string, session: string): Promise<boolean> {
    const r = deps.readers.get(session);
    return !!r && r.kind === kind && r.path === path && sameStarter(r.starter, await starterOf(c, kind));
  }

  /** Checks the permission (login first: 401), the path and the CSRF token; or the stream key. */
  async function guard(c: Context<Env>, kind: Kind, path: string, checkKey = true): Promise<Response | null> {
    if (!NAME_RE.test(path)) return c.json({ error: `unknown stream path '${path.slice(0, 64)}'` }, 404);
    const key = bearerKey(c, kind);
    if (key !== null) {
      // Not cookie-based, so no CSRF token; MediaMTX's hook checks the key on POST.
      if (key.startsWith(PUBLISH_TICKET_PREFIX) || !/^[A-Za-z0-9_-]+$/.test(key)) {
        return c.json({ error: "invalid stream key for this path" }, 401);
      }
      if (checkKey) {
        const d = await deps.access.authorize({ actor: { kind: "key", key }, action: "publish", path }, {
          cache: false,
        });
        if (!d.allow) return c.json({ error: "invalid stream key for this path" }, 401);
      }
      return null;
    }
    // WHEP: the watch rule (public streams need no login; unlisted ones accept a share link). WHIP from the
    // browser: a logged-in admin or the stream's owner.
    const d = await deps.access.authorize({
      actor: c.get("actor"),
      action: kind === "whep" ? "watch" : "publish",
      path,
    });
    if (!d.allow) return refusal(c, d);
    const bad = csrfFailure(c, c.req.header("x-csrf-token"));
    if (bad) return c.json({ error: bad }, 403);
    return null;
  }

  for (const kind of ["whep", "whip"] as const) {
    // Start: SDP offer in, SDP answer out.
    app.post(`/${kind}/:path`, async (c) => {
      const path = c.req.param("path");
      const key = bearerKey(c, kind);
      const denied = await guard(c, kind, path, false);
      if (denied) return denied;
      if (mediaType(c.req.raw) !== "application/sdp") {
        return c.json({ error: "Content-Type must be application/sdp" }, 415);
      }
      let offer: string;
      try {
        offer = await readLimited(c.req.raw, MAX_SDP_BYTES);
      } catch (e) {
        if (e instanceof HttpError) return c.json({ error: e.message }, e.status);
        throw e;
      }
      const problem = sdpProblem(offer);
      if (problem) return c.json({ error: problem }, 400);

      let ticket = "";
      let authorization = basicAuth(deps.secrets);
      if (key !== null) authorization = `Bearer ${key}`;
      else if (kind === "whip") {
        try {
          ticket = await deps.tickets.create(path, c.get("user")!.name);
        } catch (e) {
          c.header("Retry-After", "5");
          return c.json({ error: (e as Error).message }, 503);
        }
        authorization = `Bearer ${ticket}`;
      }
      let res: Response | null;
      try {
        res = await forward(c, `${base}/${path}/${kind}`, {
          method: "POST",
          headers: {
            authorization,
            "content-type": "application/sdp",
            "user-agent": (c.req.header("user-agent") ?? "").slice(0, 300),
            // MediaMTX trusts this from loopback only (MTX_WEBRTCTRUSTEDPROXIES), so its hook and API see the
            // browser's address instead of livegate's.
            "x-forwarded-for": c.get("clientIp") ?? "",
          },
          body: offer,
        });
      } catch (e) {
        return unreachable(e);
      } finally {
        // A ticket is good for this one request: MediaMTX asked the hook (spent) or never will.
        if (ticket) await deps.tickets.revoke(ticket);
      }
      if (!res) return new Response(null, { status: 499 });

      if (res.status === 201) {
        const loc = /\/(?:whep|whip)\/([0-9a-f-]{36})(?:\?|$)/.exec(res.headers.get("location") ?? "");
        if (!loc || !SESSION_RE.test(loc[1])) {
          await res.body?.cancel();
          return c.json({ error: "MediaMTX answered without a session location" }, 502);
        }
        const out = new Headers({
          "content-type": "application/sdp",
          location: `/${kind}/${path}/${loc[1]}`,
          "cache-control": "no-store",
        });
        // Remembered with who started it: it is checked again while it runs (reader-recheck.ts), and only
        // the same credential may change or end it.
        const mtxId = res.headers.get("id") ?? undefined;
        deps.readers.add(loc[1], {
          kind,
          path,
          starter: await starterOf(c, kind),
          action: kind === "whep" ? "watch" : "publish",
          mtxId,
          at: deps.clock.now(),
          end: async () =>
            mtxId
              ? (await deps.mtx.kick({ type: "webRTCSession", id: mtxId }).catch(() => null)) !== null
              : false,
        });
        for (const h of ["etag", "accept-patch", "link"]) {
          const v = res.headers.get(h);
          if (v) out.set(h, v);
        }
        return new Response(res.body, { status: 201, headers: out });
      }
      const msg = await upstreamError(res);
      if (res.status === 404) return c.json({ error: `stream '${path}' is offline or unknown` }, 404);
      if (res.status === 400 || res.status === 406) return c.json({ error: msg }, res.status);
      if (res.status === 401 && key !== null) {
        return c.json({ error: "invalid stream key for this path" }, 401);
      }
      if (res.status === 401) {
        console.error(`[livegate] MediaMTX refused ${kind} on '${path}': ${msg}`);
        return kind === "whip"
          ? c.json({ error: "MediaMTX refused the publish" }, 403)
          : c.json({ error: "MediaMTX refused livegate's read credential" }, 502);
      }
      if (res.status === 409) return c.json({ error: msg }, 409);
      return c.json({ error: `MediaMTX: ${msg}` }, 502);
    });

    // Trickle ICE.
    app.patch(`/${kind}/:path/:session`, async (c) => {
      const path = c.req.param("path");
      const session = c.req.param("session");
      const denied = await guard(c, kind, path);
      if (denied) return denied;
      if (!SESSION_RE.test(session) || !(await ownSession(c, kind, path, session))) {
        return c.json({ error: "unknown session" }, 404);
      }
      if (mediaType(c.req.raw) !== "application/trickle-ice-sdpfrag") {
        return c.json({ error: "Content-Type must be application/trickle-ice-sdpfrag" }, 415);
      }
      let frag: string;
      try {
        frag = await readLimited(c.req.raw, MAX_FRAG_BYTES);
      } catch (e) {
        if (e instanceof HttpError) return c.json({ error: e.message }, e.status);
        throw e;
      }
      const problem = fragProblem(frag);
      if (problem) return c.json({ error: problem }, 400);
      let res: Response | null;
      try {
        res = await forward(c, `${base}/${path}/${kind}/${session}`, {
          method: "PATCH",
          headers: { "content-type": "application/trickle-ice-sdpfrag" },
          body: frag,
        });
      } catch (e) {
        return unreachable(e);
      }
      if (!res) return new Response(null, { status: 499 });
      if (res.status === 204) {
        await res.body?.cancel();
        return c.body(null, 204);
      }
      if (res.status === 200) {
        const out = new Headers({ "content-type": "application/trickle-ice-sdpfrag" });
        const etag = res.headers.get("etag");
        if (etag) out.set("etag", etag);
        return new Response(res.body, { status: 200, headers: out });
      }
      const msg = await upstreamError(res);
      if (res.status === 404) return c.json({ error: "unknown session" }, 404);
      if (res.status === 400) return c.json({ error: msg }, 400);
      return c.json({ error: `MediaMTX: ${msg}` }, 502);
    });

    // End.
    app.delete(`/${kind}/:path/:session`, async (c) => {
      const path = c.req.param("path");
      const session = c.req.param("session");
      const denied = await guard(c, kind, path);
      if (denied) return denied;
      if (!SESSION_RE.test(session) || !(await ownSession(c, kind, path, session))) {
        return c.json({ error: "unknown session" }, 404);
      }
      let res: Response | null;
      try {
        res = await forward(c, `${base}/${path}/${kind}/${session}`, { method: "DELETE" });
      } catch (e) {
        return unreachable(e);
      }
      if (!res) return new Response(null, { status: 499 });
      await res.body?.cancel();
      if (res.ok || res.status === 404) deps.readers.drop(session);
      if (res.ok) return c.json({ ok: true });
      if (res.status === 404) return c.json({ error: "unknown session" }, 404);
      return c.json({ error: `MediaMTX answered ${res.status}` }, 502);
    });

    app.all(`/${kind}/*`, (c) => c.json({ error: "method not allowed" }, 405));
  }
  return app;
}
