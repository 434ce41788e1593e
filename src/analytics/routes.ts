// Stream analytics over HTTP. Every decision is the door's (src/auth/access.ts):
//   GET  /api/streams/<path>/analytics?from=&to=[&format=csv&table=samples|broadcasts]   manage (admin, owner)
//   GET  /api/analytics/server?from=&to=[&format=csv]                                     administer (admins)
//   POST /api/streams/<path>/beacon    a player's quality report: watch, and watching now (see below)
//   GET  /admin/analytics              the Analytics page: admins all streams and the server, streamers theirs
// A beacon is taken only from someone the door lets watch the stream who is watching it right now (an HLS
// request within the last 30 s, or a WHEP session of theirs MediaMTX still has), with the CSRF token of
// the player page, at most 4 in a row per viewer then one per 5 s (429), as a JSON object of at most
// 2 KiB with exactly the fields of beacon.ts (400 naming the field). Refused beacons change nothing.
import { Hono } from "hono";
import type { Context } from "hono";
import { HttpError } from "../core/errors.ts";
import { NAME_RE } from "../core/names.ts";
import { readBodyCapped } from "../core/body.ts";
import { csrfFailure, csrfToken } from "../http/csrf.ts";
import { refusal, refuse } from "../http/refusal.ts";
import { requirePageLogin } from "../http/session.ts";
import type { AppDeps, Env } from "../http/context.ts";
import { managedStreams } from "../api/managed-streams.ts";
import { errorPage } from "../web/pages.ts";
import { sessionIdOf } from "../store/sessions.ts";
import { SERVER_SCOPE } from "../store/analytics.ts";
import type { Analytics } from "./aggregator.ts";
import { beaconHist, BeaconLimiter, MAX_BEACON_BYTES, parseBeacon, SeenViews } from "./beacon.ts";
import { readerIdentity } from "./presence.ts";
import type { QoeMetrics } from "./qoe-metrics.ts";
import { buildReport, parseRange, type Report, reportCsv } from "./report.ts";
import { analyticsPage } from "./page.ts";

/** A beacon counts as "watching" when the viewer's latest HLS request is at most this old (ms). */
const WATCHING_MS = 30_000;

export function analyticsRoutes(
  deps: Pick<AppDeps, "store" | "cfg" | "clock" | "access" | "viewers" | "readers" | "live">,
  analytics: Analytics,
  qoe: QoeMetrics,
) {
  const app = new Hono<Env>();
  const limiter = new BeaconLimiter();
  const views = new SeenViews();
  const acfg = deps.cfg.analytics;

  const answer = (c: Context<Env>, r: Report, format: "json" | "csv", table: "samples" | "broadcasts") => {
    if (format === "json") return c.json(r);
    const name = `${r.scope === "server" ? "server" : r.scope.replaceAll("/", "_")}-${table}.csv`;
    return c.body(reportCsv(r, table), 200, {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${name}"`,
      "cache-control": "no-store",
    });
  };

  app.get("/api/streams/:path/analytics", async (c) => {
    if (!c.get("user")) return c.json({ error: "login required" }, 401);
    const path = c.req.param("path");
    if (!NAME_RE.test(path)) throw new HttpError(400, "invalid stream path");
    const d = await deps.access.authorize({ actor: c.get("actor"), action: "manage", path });
    if (!d.allow) refuse(d);
    const now = deps.clock.now();
    const range = parseRange((k) => c.req.query(k), now, acfg.retentionDays);
    const r = await buildReport({
      store: deps.store,
      scope: path,
      server: false,
      range,
      now,
      sampleMs: acfg.sampleMs,
      retentionDays: acfg.retentionDays,
      running: analytics.running(path),
      pendingQoe: analytics.pendingQoe(path),
    });
    return answer(c, r, range.format, range.table);
  });

  app.get("/api/analytics/server", async (c) => {
    if (!c.get("user")) return c.json({ error: "login required" }, 401);
    const d = await deps.access.authorize({ actor: c.get("actor"), action: "administer" });
    if (!d.allow) refuse(d);
    const now = deps.clock.now();
    const range = parseRange((k) => c.req.query(k), now, acfg.retentionDays);
    if (range.table !== "samples") throw new HttpError(400, "table: the server has samples only");
    const r = await buildReport({
      store: deps.store,
      scope: SERVER_SCOPE,
      server: true,
      range,
      now,
      sampleMs: acfg.sampleMs,
      retentionDays: acfg.retentionDays,
    });
    return answer(c, r, range.format, range.table);
  });

  /** The identity the viewer tracker knows this request by (as src/proxy/watch-check.ts makes it). */
  async function identityOf(c: Context<Env>, via: string): Promise<string> {
    const actor = c.get("actor");
    const token = c.get("sessionToken");
    const ip = c.get("clientIp") ?? "";
    if (c.get("user") && token) return await sessionIdOf(token);
    if (via === "share" && actor.kind === "share") return `share:${actor.token.split(".")[0]}:${ip}`;
    return `ip:${ip}`;
  }

  /** Whether viewer `id` is watching `path` now: a recent HLS request, or a live WHEP session of theirs. */
  function watching(path: string, id: string, now: number): boolean {
    if (deps.viewers.viewers(path, now).some((v) => v.id === id && now - v.lastSeen < WATCHING_MS)) {
      return true;
    }
    return deps.readers.entries().some(([, r]) =>
      r.kind === "whep" && r.path === path && readerIdentity(r).id === id
    );
  }

  app.post("/api/streams/:path/beacon", async (c) => {
    const bad = (status: 400 | 403 | 404 | 409 | 413 | 415 | 429, error: string, result = "invalid") => {
      qoe.beacons.inc({ result });
      return c.json({ error }, status);
    };
    const path = c.req.param("path");
    if (!NAME_RE.test(path)) return bad(400, "invalid stream path");
    const fail = csrfFailure(c, c.req.header("x-csrf-token"));
    if (fail) return bad(403, fail);
    const d = await deps.access.authorize({ actor: c.get("actor"), action: "watch", path }, { cache: true });
    if (!d.allow) {
      qoe.beacons.inc({ result: "not_watching" });
      return refusal(c, d);
    }
    const now = deps.clock.now();
    const id = await identityOf(c, d.via);
    const wait = limiter.take(id, now);
    if (wait) {
      c.header("Retry-After", String(wait));
      return bad(429, `too many beacons; wait ${wait} s`, "limited");
    }
    if (!(c.req.header("content-type") ?? "").startsWith("application/json")) {
      return bad(415, "send a JSON body (Content-Type: application/json)");
    }
    let text: string;
    try {
      text = await readBodyCapped(c.req.raw, MAX_BEACON_BYTES);
    } catch (e) {
      if (e instanceof HttpError) return bad(413, `body too large (more than ${MAX_BEACON_BYTES} bytes)`);
      throw e;
    }
    let b;
    try {
      b = parseBeacon(text);
    } catch (e) {
      if (e instanceof HttpError) return bad(400, e.message);
      throw e;
    }
    if (!watching(path, id, now)) return bad(403, "not watching this stream now", "not_watching");
    const first = b.ttffMs !== undefined && views.first(`${path}\n${id}\n${b.view}`);
    if (!analytics.report(path, beaconHist(b, first))) {
      return acfg.enabled
        ? bad(409, `stream '${path}' is not live`, "not_watching")
        : bad(404, "stream analytics are turned off (LIVEGATE_ANALYTICS)");
    }
    qoe.observe(b, first);
    qoe.beacons.inc({ result: "accepted" });
    return c.json({ ok: true }, 202);
  });

  app.get("/admin/analytics", requirePageLogin, async (c) => {
    const actor = c.get("actor");
    if (!(await deps.access.authorize({ actor, action: "dashboard" })).allow) {
      return c.html(errorPage(403, "Streamers and admins only."), 403);
    }
    const admin = (await deps.access.authorize({ actor, action: "administer" })).allow;
    const streams = (await managedStreams(deps, actor, admin)).map((s) => ({
      path: s.path,
      title: s.stream?.title ?? "",
      live: analytics.running(s.path) !== null,
    }));
    return c.html(analyticsPage({ me: c.get("user")!, csrf: csrfToken(c), admin, streams }));
  });

  return app;
}
