// The ladder's HTTP surface:
//   PATCH /api/streams/<path> with {"ladder": {enabled, rungs, encoder}} (alone or with the stream's other
//     fields): the stream's owner or an admin (the door's "manage") sets its quality ladder; 400 with a
//     message for bad rungs (unknown preset, zero/negative bitrate, too many, above the live source).
//   GET /api/streams/<path>/ladder: settings, live status (speed, "cannot keep up", skipped rungs), presets
//     and the encoders ffmpeg reports (dashboard).
//   GET /hls/<path>/index.m3u8 while rungs are live: the combined multivariant playlist (multivariant.ts).
//   GET /hls/<path>/<H>p/<file>: a rung's playlists, parts and segments, for whoever may watch <path>.
//   GET /api/streams/<path>/rungs: the live rungs (height, bitrate, WHEP URL) for whoever may watch <path>:
//     the WebRTC player's quality menu (static/rtc-ladder.ts); the rungs' WHEP endpoints are
//     /whep/<path>/<H>p (src/webrtc/routes.ts), with the stream's watch permission.
import { Hono } from "hono";
import type { Context } from "hono";
import { NAME_RE } from "../core/names.ts";
import { rungParent } from "../core/rungs.ts";
import { readBodyCapped } from "../core/body.ts";
import { HttpError } from "../core/errors.ts";
import { apiGuard, auditOf, jsonBody, managedStream } from "../api/common.ts";
import { SHARE_QUERY, shareTokenOf } from "../http/session.ts";
import type { AppDeps, Env } from "../http/context.ts";
import { checkedAnswer, FILE_RE, type HlsProxy } from "../proxy/hls.ts";
import { grantPass } from "../proxy/hls-pass.ts";
import { withQueryParam } from "../proxy/playlist-uris.ts";
import { refusal } from "../http/refusal.ts";
import { watchCheck } from "../proxy/watch-check.ts";
import {
  getLadder,
  type LadderSettings,
  MAX_RUNGS,
  PRESETS,
  setLadder,
  validateLadder,
} from "../store/ladder.ts";
import type { LadderManager } from "./manager.ts";
import { combineMultivariant } from "./multivariant.ts";

const MAX_JSON = 64 * 1024;

/** The JSON body of a PATCH, read from a clone (the stream route after this one reads the original). */
async function peekJson(c: Context<Env>): Promise<Record<string, unknown> | null> {
  if (!(c.req.header("content-type") ?? "").startsWith("application/json")) return null;
  try {
    const v = JSON.parse(await readBodyCapped(c.req.raw.clone(), MAX_JSON));
    return v && typeof v === "object" && !Array.isArray(v) ? v : null;
  } catch {
    return null; // the stream route answers bad bodies
  }
}

export function ladderApiRoutes(deps: AppDeps, ladder: LadderManager) {
  const app = new Hono<Env>();

  /** The door's "manage" for `path` (refused: 401/403), then the stream must exist (404). */
  const managed = async (c: Context<Env>) => (await managedStream(deps, c)).path;

  /** `next` checked against what runs now: a rung above the live source's height is refused (400). */
  function checkAgainstSource(path: string, next: LadderSettings) {
    const src = ladder.status(path).source;
    if (!src) return;
    const above = next.rungs.filter((r) => r.height > src.height);
    if (above.length) {
      throw new HttpError(
        400,
        `ladder.rungs: ${above.map((r) => `${r.height}p`).join(", ")} above the ${src.height}p source ` +
          `(the source is always the top rung)`,
      );
    }
  }

  const view = async (path: string) => ({
    ladder: await getLadder(deps.store, path),
    status: ladder.status(path),
    presets: PRESETS,
    maxRungs: MAX_RUNGS,
    encoders: await ladder.encoders(),
  });

  app.patch("/api/streams/:path", apiGuard, async (c, next) => {
    const peek = await peekJson(c);
    if (!peek || !("ladder" in peek)) return await next();
    const path = await managed(c);
    const b = await jsonBody(c);
    const settings = validateLadder(b.ladder, await getLadder(deps.store, path));
    checkAgainstSource(path, settings);
    const others = Object.keys(b).filter((k) => k !== "ladder" && k !== "version");
    const audit = auditOf(
      c,
      "stream.ladder",
      path,
      settings.enabled ? settings.rungs.map((r) => `${r.height}p@${r.kbps}k`).join(",") : "off",
    );
    if (!others.length) {
      await setLadder(deps.store, path, settings, audit);
      return c.json(await view(path));
    }
    // One change at a time: a ladder and the stream's other fields in one PATCH could half succeed.
    throw new HttpError(400, "send 'ladder' in a PATCH of its own");
  });

  app.get("/api/streams/:path/ladder", apiGuard, async (c) => c.json(await view(await managed(c))));

  return app;
}

/** What a viewer learns of a stream's live rungs (GET /api/streams/<path>/rungs). */
export interface RungsView {
  /** The source (top rung, passed through): its size, null when no ladder runs. */
  source: { width: number; height: number } | null;
  /** Live encoded rungs, highest first: height (lines), width (pixels, from the source's aspect), kbit/s. */
  rungs: { height: number; width: number; kbps: number; whep: string }[];
}

/** The live rungs of `path` as a viewer sees them (`paths`: MediaMTX's paths from the live-state poller). */
export function liveRungsView(
  ladder: Pick<LadderManager, "liveRungs" | "status">,
  path: string,
  paths: { name: string; online: boolean }[],
): RungsView {
  const src = ladder.status(path).source;
  const live = ladder.liveRungs(path, paths);
  if (!src || !live.length) return { source: null, rungs: [] };
  return {
    source: { width: src.width, height: src.height },
    rungs: live.map(({ rung }) => ({
      height: rung.height,
      // As ffmpeg's scale=-2:H computes it (libavfilter/scale_eval.c): av_rescale to half, times 2.
      width: Math.round((src.width * rung.height) / (src.height * 2)) * 2,
      kbps: rung.kbps,
      whep: `/whep/${path}/${rung.height}p`,
    })),
  };
}

/** The HLS side: the combined multivariant playlist and the rungs' files (see the file header). */
export function ladderHlsRoutes(deps: AppDeps, hls: HlsProxy, ladder: LadderManager) {
  const app = new Hono<Env>();

  /** Answers with `text` as an HLS playlist, ?share= added to every URI when the URL carried one. */
  function playlist(c: Context<Env>, text: string, headers: Headers): Response {
    const share = c.req.query(SHARE_QUERY);
    const body = share !== undefined ? withQueryParam(text, SHARE_QUERY, share) : text;
    const h = new Headers(headers);
    h.set("content-length", String(new TextEncoder().encode(body).byteLength));
    return new Response(body, { status: 200, headers: h });
  }

  app.get("/hls/:path/index.m3u8", async (c, next) => {
    const path = c.req.param("path");
    if (!NAME_RE.test(path) || c.req.query("_HLS_msn") !== undefined) return await next();
    const rungs = ladder.liveRungs(path, deps.live.latest?.paths ?? []);
    if (!rungs.length) return await next();
    const checked = await watchCheck(c, deps, path);
    if (checked instanceof Response) return checked;
    grantPass(deps, {
      token: c.get("sessionToken"),
      share: shareTokenOf(c),
      ip: c.get("clientIp") ?? "",
      path,
      viewer: checked,
      sessionExpiresAt: c.get("session")?.expiresAt ?? Infinity,
    });
    const signal = c.req.raw.signal;
    const [src, ...parts] = await Promise.all([
      hls.answer(path, "index.m3u8", "", undefined, signal),
      ...rungs.map((r) => hls.answer(r.path, "index.m3u8", "", undefined, signal)),
    ]);
    if (src.status !== 200) {
      for (const p of parts) await p.body?.cancel();
      return src;
    }
    const texts = await Promise.all(parts.map((p) => p.status === 200 ? p.text() : Promise.resolve(null)));
    const combined = combineMultivariant(
      await src.text(),
      rungs.flatMap((r, i) =>
        texts[i] ? [{ prefix: `${r.rung.height}p`, text: texts[i]!, bandwidth: r.rung.kbps * 1000 }] : []
      ),
    );
    if (combined === null) throw new HttpError(502, "MediaMTX's multivariant playlist has no variant");
    return playlist(c, combined, src.headers);
  });

  app.get("/api/streams/:path/rungs", async (c) => {
    const path = c.req.param("path");
    if (!NAME_RE.test(path)) return c.json({ error: "unknown stream path" }, 404);
    const d = await deps.access.authorize({ actor: c.get("actor"), action: "watch", path });
    if (!d.allow) return refusal(c, d);
    return c.json(liveRungsView(ladder, path, deps.live.latest?.paths ?? []), 200, {
      "cache-control": "no-store",
    });
  });

  app.get("/hls/:path/:rung/:file", async (c) => {
    const parent = c.req.param("path");
    const rp = `${parent}/${c.req.param("rung")}`;
    const file = c.req.param("file");
    if (rungParent(rp) !== parent || !FILE_RE.test(file)) return c.json({ error: "not found" }, 404);
    // Exactly the stream's watch rule (the door answers for a rung path as for its stream).
    const res = await checkedAnswer(c, deps, hls, parent, rp, file);
    if (c.req.query(SHARE_QUERY) !== undefined && file.endsWith(".m3u8") && res.status === 200) {
      return playlist(c, await res.text(), res.headers);
    }
    return res;
  });

  return app;
}
