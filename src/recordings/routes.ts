// /recordings (index), /recordings/:path (spans + range download form), /recordings/:path/play (browser
// player), /recordings/:path/media (GET/HEAD: the recorded range, proxied from MediaMTX's playback server
// and streamed; answered within HEADER_WAIT_MS), /api/recordings/:path (JSON). Watch permission on the path
// is required for all of them. Range syntax, limits and the links printed: range.ts. A quality ladder's
// rungs, when the ladder records them (src/ladder/), have the same four under /recordings/<path>/<H>p and
// /api/recordings/<path>/<H>p (MediaMTX path <path>/<H>p, files under <dir>/<path>/<H>p/), with the
// stream's own recordings permission (the door answers for a rung as for its stream); the stream's page
// and JSON list the rungs that have recordings.
import { Hono } from "hono";
import { join } from "node:path";
import type { Context } from "hono";
import { csrfToken } from "../http/csrf.ts";
import { requirePageLogin } from "../http/session.ts";
import type { Decision } from "../auth/access.ts";
import { NAME_RE } from "../core/names.ts";
import { isRungPath, RUNG_SEGMENT, rungParent } from "../core/rungs.ts";
import { getLadder } from "../store/ladder.ts";
import { HttpError, MtxError } from "../core/errors.ts";
import { errorPage } from "../web/pages.ts";
import { pageRefusal, refusal } from "../http/refusal.ts";
import { diskFor, diskUsage } from "./disk.ts";
import { getRange, listSpans, rangeRecorded, type Span } from "./playback.ts";
import { MAX_MP4_SECONDS, parseRange } from "./range.ts";
import { playRecordingPage, recordingsIndexPage, recordingsPage } from "./page.ts";
import { recordsPath, retentionText } from "../config/recording-policy.ts";
import { getStream } from "../store/streams.ts";
import { randomToken, sha256Hex } from "../core/crypto.ts";
import type { Starter } from "../auth/reader-recheck.ts";
import type { AppDeps, Env } from "../http/context.ts";

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
export { MAX_RANGE_SECONDS, parseRange } from "./range.ts";

/**
 * How long a media request waits for MediaMTX's first byte before livegate sends its own 200 headers and
 * streams the body when it comes: well under the 60 s a proxy waits for response headers (the shipped
 * Caddyfile's response_header_timeout), whatever MediaMTX takes to start a range.
 */
export const HEADER_WAIT_MS = 5000;

/**
 * The door's "recordings" decision: a login (also for public streams, which anyone may watch live), then
 * the path's watch rule. Share links do not extend to recordings.
 */
async function access(deps: AppDeps, c: Context<Env>, path: string): Promise<Decision> {
  return await deps.access.authorize({ actor: c.get("actor"), action: "recordings", path });
}

/** A stream path, or a quality ladder's rung path (`<stream>/<H>p`). */
const validPath = (path: string) => NAME_RE.test(path) || isRungPath(path);

/** The path of a request to one of the routes below: `:path`, or `:path/:rung` for a rung's. */
const pathOf = (c: Context<Env>): string => {
  const path = c.req.param("path") ?? "";
  const rung = c.req.param("rung");
  return rung ? `${path}/${rung}` : path;
};

/** A route and its rung variant (`/recordings/:path` and `/recordings/:path/:rung`, and so on). */
const withRung = (route: string) => [route, route.replace("/:path", `/:path/:rung{${RUNG_SEGMENT}}`)];

/** The rungs of `path` with recordings on disk ("180p", ...; their directories under the stream's). */
async function recordedRungs(deps: AppDeps, path: string): Promise<string[]> {
  if (!NAME_RE.test(path)) return [];
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(join(deps.cfg.recording.dir, path))) {
      if (e.isDirectory && isRungPath(`${path}/${e.name}`)) out.push(e.name);
    }
  } catch { /* nothing recorded */ }
  return out.sort((a, b) => parseInt(b) - parseInt(a));
}

/**
 * Whether `path` is being recorded: a stream by its own choice or the server's setting; a rung only when its
 * stream is and the stream's ladder records rungs (ladder.recordRungs, src/ladder/manager.ts).
 */
async function recordingOn(deps: AppDeps, path: string): Promise<boolean> {
  const parent = rungParent(path);
  if (parent === null) return recordsPath(deps.cfg, path, await getStream(deps.store, path));
  return (await getLadder(deps.store, parent)).recordRungs === true &&
    recordsPath(deps.cfg, parent, await getStream(deps.store, parent));
}

async function allowed(deps: AppDeps, c: Context<Env>, path: string): Promise<boolean> {
  return NAME_RE.test(path) && (await access(deps, c, path)).allow;
}

/** Whether the caller is an admin (the door's "administer"): only admins see the disk's own figures. */
async function isAdmin(deps: AppDeps, c: Context<Env>): Promise<boolean> {
  return (await deps.access.authorize({ actor: c.get("actor"), action: "administer" })).allow;
}

/** JSON/media answer for a refused path (http/refusal.ts), or null when allowed. */
async function apiRefusal(deps: AppDeps, c: Context<Env>, path: string): Promise<Response | null> {
  const d = await access(deps, c, path);
  return d.allow ? null : refusal(c, d);
}

/** Page answer for a refused path (http/refusal.ts: the login page or a 403 page), or null when allowed. */
async function refusedPage(deps: AppDeps, c: Context<Env>, path: string): Promise<Response | null> {
  const d = await access(deps, c, path);
  return d.allow ? null : await pageRefusal(c, d, errorPage);
}

export function recordingRoutes(deps: AppDeps) {
  const app = new Hono<Env>();

  app.get("/recordings", requirePageLogin, async (c) => {
    const all = await diskUsage(deps.cfg);
    const paths = [];
    for (const p of Object.keys(all.paths).sort()) if (await allowed(deps, c, p)) paths.push(p);
    return c.html(recordingsIndexPage({
      user: c.get("user")?.name ?? "",
      csrf: csrfToken(c),
      paths,
      disk: diskFor(all, paths, await isAdmin(deps, c)),
      retention: retentionText(deps.cfg.recording.retentionSeconds),
    }));
  });

  app.on("GET", withRung("/api/recordings/:path"), async (c) => {
    const path = pathOf(c);
    if (!validPath(path)) return c.json({ error: "invalid stream path" }, 400);
    const refused = await apiRefusal(deps, c, path);
    if (refused) return refused;
    // Optional time window: ?start=&end= (RFC 3339).
    const from = c.req.query("start"), to = c.req.query("end");
    for (const [k, v] of [["start", from], ["end", to]]) {
      if (v !== undefined && (!RFC3339.test(v) || Number.isNaN(Date.parse(v)))) {
        return c.json({ error: `${k} must be an RFC 3339 time, e.g. 2026-01-02T15:04:05Z` }, 400);
      }
    }
    if (from && to && Date.parse(from) > Date.parse(to)) return c.json({ error: "start is after end" }, 400);
    const disk = diskFor(await diskUsage(deps.cfg), [path], await isAdmin(deps, c));
    try {
      const spans = await listSpans(deps, path, from, to);
      return c.json({
        path,
        recording: await recordingOn(deps, path),
        retentionSeconds: deps.cfg.recording.retentionSeconds,
        spans,
        disk: { bytes: disk.paths[path] ?? 0, fs: disk.fs, low: disk.low },
        rungs: await recordedRungs(deps, path),
      });
    } catch (e) {
      if (e instanceof HttpError) return c.json({ error: e.message }, e.status === 400 ? 400 : 502);
      if (e instanceof MtxError) return c.json({ error: e.message }, 502);
      throw e;
    }
  });

  app.on("GET", withRung("/recordings/:path"), async (c) => {
    const path = pathOf(c);
    if (!validPath(path)) return c.html(errorPage(404, "No such stream."), 404);
    const refused = await refusedPage(deps, c, path);
    if (refused) return refused;
    const disk = diskFor(await diskUsage(deps.cfg), [path], await isAdmin(deps, c));
    let spans: Span[] = [];
    let error: string | undefined;
    try {
      spans = await listSpans(deps, path);
    } catch (e) {
      if (!(e instanceof HttpError || e instanceof MtxError)) throw e;
      error = e.message;
    }
    return c.html(
      recordingsPage({
        user: c.get("user")?.name ?? "",
        csrf: csrfToken(c),
        path,
        spans: spans.reverse(),
        disk,
        recording: await recordingOn(deps, path),
        retention: retentionText(deps.cfg.recording.retentionSeconds),
        error,
        rungs: await recordedRungs(deps, path),
      }),
      error ? 502 : 200,
    );
  });

  app.on("GET", withRung("/recordings/:path/play"), async (c) => {
    const path = pathOf(c);
    if (!validPath(path)) return c.html(errorPage(404, "No such stream."), 404);
    const refused = await refusedPage(deps, c, path);
    if (refused) return refused;
    const span = parseRange(c.req.query("start"), c.req.query("duration"));
    if (typeof span === "string") return c.html(errorPage(400, span), 400);
    return c.html(playRecordingPage({ user: c.get("user")?.name ?? "", csrf: csrfToken(c), path, span }));
  });

  // GET and HEAD (Hono answers HEAD with this handler and drops the body). Recorded media is made on the fly
  // by MediaMTX, so its length is not known up front: no Content-Length, `Accept-Ranges: none` and a Range
  // header is ignored (200 with the whole range; RFC 9110 section 14.2 allows it). Players seek by asking
  // for a new range from the seek point (static/recording.ts).
  app.on("GET", withRung("/recordings/:path/media"), async (c) => {
    const path = pathOf(c);
    if (!validPath(path)) return c.json({ error: "invalid stream path" }, 400);
    const refused = await apiRefusal(deps, c, path);
    if (refused) return refused;
    const format = c.req.query("format") ?? "fmp4";
    if (format !== "fmp4" && format !== "mp4") return c.json({ error: "format must be fmp4 or mp4" }, 400);
    const span = parseRange(c.req.query("start"), c.req.query("duration"));
    if (typeof span === "string") return c.json({ error: span }, 400);
    if (format === "mp4" && span.duration > MAX_MP4_SECONDS) {
      return c.json({
        error: `format=mp4 ranges are at most ${MAX_MP4_SECONDS} s long (MediaMTX indexes the whole range ` +
          `before its first byte); use format=fmp4 (fragmented MP4, starts at once) for up to 24 h`,
      }, 400);
    }
    const headers = new Headers({
      "content-type": "video/mp4",
      "cache-control": "private, no-store",
      "x-content-type-options": "nosniff",
      "accept-ranges": "none",
    });
    if (c.req.query("download")) {
      const stamp = span.start.replace(/[^0-9A-Za-z]+/g, "-").replace(/-+$/, "");
      headers.set("content-disposition", `attachment; filename="${path.replace("/", "_")}_${stamp}.mp4"`);
    }
    const failed = (e: unknown) => {
      if (e instanceof HttpError) return c.json({ error: e.message }, e.status === 404 ? 404 : 400);
      if (e instanceof MtxError) return c.json({ error: e.message }, 502);
      throw e;
    };
    // The list check answers in well under a second; /get in MP4 only after indexing the range.
    const recorded = rangeRecorded(deps, path, span.start, span.duration);
    recorded.catch(() => {});
    if (c.req.method === "HEAD") {
      try {
        if (!(await recorded)) return c.json({ error: "no recording in that time range" }, 404);
      } catch (e) {
        return failed(e);
      }
      return new Response(null, { status: 200, headers });
    }

    // Aborted when the viewer goes away (request signal) or stops reading (body cancelled): MediaMTX's
    // connection is closed, so it stops at its next write.
    const ac = new AbortController();
    const reqSignal = c.req.raw.signal;
    if (reqSignal.aborted) ac.abort();
    else reqSignal.addEventListener("abort", () => ac.abort(), { once: true });
    // The download is a reader like a WebRTC session: checked again while it runs, and ended (aborted) when
    // its access goes (src/auth/reader-recheck.ts).
    const readerId = `rec:${randomToken(12)}`;
    const starter: Starter = { ip: c.get("clientIp") ?? "" };
    const token = c.get("sessionToken");
    if (token) starter.sessionId = await sha256Hex(token);
    deps.readers.add(readerId, {
      kind: "recording",
      path,
      starter,
      action: "recordings",
      at: deps.clock.now(),
      end: () => Promise.resolve(ac.abort(new Error("access ended")) === undefined),
    });
    const done = () => deps.readers.drop(readerId);
    ac.signal.addEventListener("abort", done, { once: true });
    /** The body to send: counted, and the reader forgotten when it ends. */
    const sent = (b: ReadableStream<Uint8Array> | null) => {
      const out =
        deps.metrics.countedBody(b, "playback")?.pipeThrough(new TransformStream({ flush: done })) ?? null;
      if (!out) done();
      return out;
    };
    const upstream = getRange(deps, path, span.start, span.duration, format, ac.signal);
    upstream.catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    const first = await Promise.race([
      upstream.then((res) => ({ res }), (error) => ({ error })),
      new Promise<"slow">((r) => (timer = setTimeout(() => r("slow"), HEADER_WAIT_MS))),
    ]);
    clearTimeout(timer);
    if (first !== "slow") {
      if ("error" in first) {
        done();
        if (ac.signal.aborted) return new Response(null, { status: 499 });
        return failed(first.error);
      }
      return new Response(sent(first.res.body), { status: 200, headers });
    }
    // MediaMTX is still preparing (an MP4 index, or a far seek into a long segment): answer now with what the
    // list says, and stream the body once MediaMTX starts. A failure after this point ends the body early.
    try {
      if (!(await recorded)) {
        ac.abort();
        return c.json({ error: "no recording in that time range" }, 404);
      }
    } catch (e) {
      ac.abort();
      return failed(e);
    }
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    const body = new ReadableStream<Uint8Array>({
      async pull(ctl) {
        try {
          reader ??= (await upstream).body!.getReader();
          const { done, value } = await reader.read();
          if (done) ctl.close();
          else ctl.enqueue(value);
        } catch (e) {
          ctl.error(e);
        }
      },
      cancel() {
        ac.abort();
        reader?.cancel().catch(() => {});
      },
    });
    return new Response(sent(body), { status: 200, headers });
  });

  return app;
}
