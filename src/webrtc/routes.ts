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
import { getCookie } from "hono/cookie";
import { csrfFailure } from "../http/csrf.ts";
import { SESSION_COOKIE, SHARE_COOKIE } from "../http/session.ts";
import type { Actor } from "../auth/access.ts";
import { NAME_RE } from "../core/names.ts";
import { isRungPath, RUNG_SEGMENT } from "../core/rungs.ts";
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

/** A stream path (NAME_RE), or for WHEP also a quality ladder's rung path (`<stream>/<H>p`). */
const validPath = (kind: Kind, path: string) => NAME_RE.test(path) || (kind === "whep" && isRungPath(path));
const UPSTREAM_TIMEOUT_MS = 15_000;

async function upstreamError(res: Response): Promise<string> {
  try {
    const j = await res.json();
    if (j && typeof j.error === "string") return j.error.slice(0, 300);
  } catch { /* not JSON */ }
  return `MediaMTX answered ${res.status}`;
}

export function webrtcRoutes(
  deps: Pick<
    AppDeps,
    "access" | "tickets" | "mtxState" | "mtx" | "readers" | "clock" | "log"
  >,
) {
  const app = new Hono<Env>();
  const base = deps.mtx.urls.webrtc;

  const unreachable = (e: unknown) =>
    mediamtxUnavailable(deps, `WebRTC upstream error: ${(e as Error).message}`);

  /** The request to MediaMTX's WebRTC listener (the one MediaMTX client); null when the browser left. */
  async function forward(
    c: Context<Env>,
    url: string,
    init: { method: string; headers?: Record<string, string>; body?: string },
  ): Promise<Response | null> {
    try {
      return await deps.mtx.request(url, { ...init, signal: c.req.raw.signal }, UPSTREAM_TIMEOUT_MS);
    } catch (e) {
      if (c.req.raw.signal.aborted) return null;
      throw e;
    }
  }

  /**
   * The bearer token of the Authorization header: the scheme in any case (RFC 9110 section 11.1: auth
   * schemes are case-insensitive) and one token68 (RFC 6750 section 2.1); `error` for any other form;
   * null without the header. WHIP (RFC 9725 section 4.5): the stream key (OBS: "Bearer Token"); WHEP: a
   * share token.
   */
  function bearerOf(c: Context<Env>): { token: string } | { error: string } | null {
    const h = c.req.header("authorization");
    if (h === undefined) return null;
    const m = /^bearer[ \t]+([A-Za-z0-9._~+\/-]{1,200}=*)[ \t]*$/i.exec(h);
    return m ? { token: m[1] } : { error: "malformed Authorization header" };
  }

  /** A stream key sent by a WHIP client, or null (no usable bearer token; WHEP). */
  function bearerKey(c: Context<Env>, kind: Kind): string | null {
    const b = bearerOf(c);
    return kind === "whip" && b && "token" in b ? b.token : null;
  }

  /** Where a WHIP client puts the stream key (every refusal of a key says it). */
  const KEY_HELP =
    "send the stream key as 'Authorization: Bearer <KEY>' (OBS: Service WHIP, Bearer Token = the key)";

  /** A 401 with the challenge RFC 9110 requires and a message saying what to send. */
  function unauthorized(c: Context<Env>, error: string): Response {
    c.header("WWW-Authenticate", 'Bearer realm="livegate"');
    return c.json({ error }, 401);
  }

  /** Whether the request carries a credential in a cookie (then a CSRF token is required). */
  const cookieCredential = (c: Context<Env>) =>
    getCookie(c, SESSION_COOKIE) !== undefined || getCookie(c, SHARE_COOKIE) !== undefined;

  /** Who starts or controls a session with this request: login session id, share token, key hash, IP. */
  async function starterOf(c: Context<Env>, kind: Kind): Promise<Starter> {
    const key = bearerKey(c, kind);
    if (key !== null) return { keyHash: await sha256Hex(key) };
    const actor = actorFor(c, kind);
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

  /** The request's actor; for WHEP a bearer token is a share link (a WHEP player given one). */
  function actorFor(c: Context<Env>, kind: Kind): Actor {
    const b = bearerOf(c);
    if (kind === "whep" && b && "token" in b) return { kind: "share", token: b.token, user: c.get("user") };
    return c.get("actor");
  }

  /** Checks the permission (login first: 401), the path and the CSRF token; or the stream key. */
  async function guard(c: Context<Env>, kind: Kind, path: string, checkKey = true): Promise<Response | null> {
    if (!validPath(kind, path)) return c.json({ error: `unknown stream path '${path.slice(0, 64)}'` }, 404);
    const bearer = bearerOf(c);
    if (bearer && "error" in bearer) {
      return unauthorized(
        c,
        `${bearer.error}: ${kind === "whip" ? KEY_HELP : "send 'Authorization: Bearer <share token>'"}`,
      );
    }
    const key = bearerKey(c, kind);
    if (key !== null) {
      // Not cookie-based, so no CSRF token; MediaMTX's hook checks the key on POST.
      if (key.startsWith(PUBLISH_TICKET_PREFIX) || !/^[A-Za-z0-9_-]+$/.test(key)) {
        return unauthorized(c, `invalid stream key for this path; ${KEY_HELP}`);
      }
      if (checkKey) {
        const d = await deps.access.authorize({ actor: { kind: "key", key }, action: "publish", path }, {
          cache: false,
        });
        if (!d.allow) return unauthorized(c, `invalid stream key for this path; ${KEY_HELP}`);
      }
      return null;
    }
    // WHEP: the watch rule (public streams need no login; unlisted ones accept a share link). WHIP from the
    // browser: a logged-in admin or the stream's owner.
    const d = await deps.access.authorize({
      actor: actorFor(c, kind),
      action: kind === "whep" ? "watch" : "publish",
      path,
    });
    if (!d.allow) {
      if (kind === "whip" && d.status === 401) {
        // A WHIP client without a login: say where the key goes (a key in ?token= is a common mistake).
        return unauthorized(
          c,
          c.req.query("token") !== undefined
            ? `the stream key goes in the Authorization header, not in ?token=: ${KEY_HELP}`
            : `login required, or ${KEY_HELP}`,
        );
      }
      return refusal(c, d);
    }
    // CSRF protects credentials a browser sends by itself (cookies); a request without any has none to abuse.
    if (cookieCredential(c)) {
      const bad = csrfFailure(c, c.req.header("x-csrf-token"));
      if (bad) return c.json({ error: bad }, 403);
    }
    return null;
  }

  for (const kind of ["whep", "whip"] as const) {
    // Start: SDP offer in, SDP answer out.
    const start = async (c: Context<Env>, path: string) => {
      const key = bearerKey(c, kind);
      // A key is checked by MediaMTX's hook (which sees the client's address); its refusal is answered
      // below with the message saying where the key goes.
      const denied = await guard(c, kind, path, false);
      if (denied) return denied;
      if (mediaType(c.req.raw) !== "application/sdp") {
        c.header("Accept-Post", "application/sdp");
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

      // WHEP: livegate's internal read credential (the client's default); WHIP: the key or a ticket.
      let ticket = "";
      let authorization: string | undefined;
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
            ...(authorization ? { authorization } : {}),
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
        return unauthorized(c, `invalid stream key for this path; ${KEY_HELP}`);
      }
      if (res.status === 401) {
        deps.log(`[livegate] MediaMTX refused ${kind} on '${path}': ${msg}`);
        return kind === "whip"
          ? c.json({ error: "MediaMTX refused the publish" }, 403)
          : c.json({ error: "MediaMTX refused livegate's read credential" }, 502);
      }
      if (res.status === 409) return c.json({ error: msg }, 409);
      return c.json({ error: `MediaMTX: ${msg}` }, 502);
    };

    // Trickle ICE.
    const trickle = async (c: Context<Env>, path: string, session: string) => {
      const denied = await guard(c, kind, path);
      if (denied) return denied;
      if (!SESSION_RE.test(session) || !(await ownSession(c, kind, path, session))) {
        return c.json({ error: "unknown session" }, 404);
      }
      if (mediaType(c.req.raw) !== "application/trickle-ice-sdpfrag") {
        c.header("Accept-Patch", "application/trickle-ice-sdpfrag");
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
          headers: {
            "content-type": "application/trickle-ice-sdpfrag",
            // RFC 9725 section 4.3: the client's If-Match (the ETag of the session, or "*") goes to MediaMTX.
            ...(c.req.header("if-match") ? { "if-match": c.req.header("if-match")!.slice(0, 200) } : {}),
          },
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
    };

    // End.
    const end = async (c: Context<Env>, path: string, session: string) => {
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
    };

    // OPTIONS (RFC 9725 section 4.1 / CORS preflight): what the endpoint takes, and MediaMTX's ICE servers
    // (Link headers, as its own WHEP OPTIONS answers them; the same servers serve WHIP).
    const options = async (c: Context<Env>, path: string) => {
      if (!validPath(kind, path)) return c.json({ error: `unknown stream path '${path.slice(0, 64)}'` }, 404);
      const headers = new Headers({ allow: "OPTIONS, POST", "accept-post": "application/sdp" });
      try {
        const r = await deps.mtx.request(`${base}/${path}/whep`, { method: "OPTIONS" });
        await r.body?.cancel();
        const link = r.headers.get("link");
        if (r.ok && link) headers.set("link", link);
      } catch { /* MediaMTX down: no ICE servers to announce */ }
      return new Response(null, { status: 204, headers });
    };

    app.post(`/${kind}/:path`, (c) => start(c, c.req.param("path")));
    app.patch(`/${kind}/:path/:session`, (c) => trickle(c, c.req.param("path"), c.req.param("session")));
    app.delete(`/${kind}/:path/:session`, (c) => end(c, c.req.param("path"), c.req.param("session")));
    app.options(`/${kind}/:path`, (c) => options(c, c.req.param("path")));
    if (kind === "whep") {
      // A quality ladder's rung (src/ladder/): /whep/<stream>/<H>p reads the hidden path <stream>/<H>p, with
      // exactly the stream's watch permission (the door answers for a rung as for its stream).
      const rung = (c: Context<Env>) => `${c.req.param("path")}/${c.req.param("rung")}`;
      const R = `/whep/:path/:rung{${RUNG_SEGMENT}}`;
      app.post(R, (c) => start(c, rung(c)));
      app.patch(`${R}/:session`, (c) => trickle(c, rung(c), c.req.param("session")));
      app.delete(`${R}/:session`, (c) => end(c, rung(c), c.req.param("session")));
      app.options(R, (c) => options(c, rung(c)));
    }

    // Anything else: 405 with the methods that exist (RFC 9110 section 15.5.6).
    app.all(`/${kind}/:path/:session`, (c) => {
      c.header("Allow", "PATCH, DELETE");
      return c.json({ error: "method not allowed: PATCH (trickle ICE) or DELETE (end) a session" }, 405);
    });
    app.all(`/${kind}/:path`, (c) => {
      c.header("Allow", "OPTIONS, POST");
      return c.json({ error: "method not allowed: POST an SDP offer (Content-Type: application/sdp)" }, 405);
    });
    app.all(`/${kind}/*`, (c) => c.json({ error: "not found" }, 404));
  }
  return app;
}
