// HTTP surface of issue #22 (every decision through the door, src/auth/access.ts):
//   GET  /thumbs/<path>.jpg              the stream's latest still                      watch
//   POST /api/clips                      cut {path, last | start+duration, title?}    clip (+ session, CSRF)
//   GET  /api/clips?path=P               the stream's clips, newest first              watch
//   GET  /api/clips/<id>                 one clip                                      watch (its stream)
//   DELETE /api/clips/<id>               delete                                        clip-delete (+ CSRF)
//   GET/PUT /api/clips/settings/<path>   who may clip {clipBy}                         manage (+ CSRF)
//   GET  /clips/<id>                     the clip page                                 watch (its stream)
//   GET  /clips/<id>/media               the MP4 (byte ranges)                         watch (its stream)
//   GET  /clips/<id>/thumb.jpg           the clip's still                              watch (its stream)
// A clip's visibility follows its stream's now (a clip of a stream made private becomes private).
import { Hono } from "hono";
import type { Context } from "hono";
import { NAME_RE } from "../core/names.ts";
import { StoreError } from "../core/errors.ts";
import { csrfToken } from "../http/csrf.ts";
import { publicBase } from "../http/client.ts";
import { pageRefusal, refusal } from "../http/refusal.ts";
import { apiGuard, auditOf, jsonBody } from "../api/common.ts";
import { errorPage } from "../web/pages.ts";
import { parseRange } from "../recordings/range.ts";
import {
  type Clip,
  getClip,
  getClipSettings,
  getThumb,
  listClips,
  removeClip,
  setClipSettings,
  validateClipSettings,
  validateClipTitle,
} from "../store/clips.ts";
import { getStream } from "../store/streams.ts";
import type { AppDeps, Env } from "../http/context.ts";
import { ClipCutter, ClipRefusal, MAX_CLIP_SECONDS, MIN_CLIP_SECONDS } from "./cut.ts";
import { clipFile, removeFile, thumbFile } from "./files.ts";
import { clipPage } from "./page.ts";

/** The clip services the composition root builds once (src/app/services.ts). */
export interface ClipServices {
  cutter: ClipCutter;
}

const stillFile = (deps: AppDeps, id: string) => clipFile(deps.cfg, id).replace(/\.mp4$/, ".jpg");

function clipJson(c: Clip) {
  return { ...c, url: `/clips/${c.id}`, media: `/clips/${c.id}/media` };
}

/** Serves `file` (GET/HEAD) with one byte range at most (RFC 9110 section 14); 404 when it is missing. */
async function sendFile(
  c: Context<Env>,
  file: string,
  type: string,
  extra: Record<string, string>,
): Promise<Response> {
  let f: Deno.FsFile;
  try {
    f = await Deno.open(file, { read: true });
  } catch {
    return c.json({ error: "not found" }, 404);
  }
  const size = (await f.stat()).size;
  const headers = new Headers({
    "content-type": type,
    "accept-ranges": "bytes",
    "x-content-type-options": "nosniff",
    ...extra,
  });
  let start = 0, end = size - 1, status = 200;
  const range = c.req.header("range");
  const m = range ? /^bytes=(\d{0,15})-(\d{0,15})$/.exec(range.trim()) : null;
  if (m && (m[1] || m[2])) {
    if (m[1]) {
      start = Number(m[1]);
      if (m[2]) end = Math.min(Number(m[2]), size - 1);
    } else start = Math.max(0, size - Number(m[2]));
    if (start > end || start >= size) {
      f.close();
      return c.json({ error: `range not satisfiable: the file has ${size} bytes` }, 416, {
        "content-range": `bytes */${size}`,
      });
    }
    status = 206;
    headers.set("content-range", `bytes ${start}-${end}/${size}`);
  }
  headers.set("content-length", String(end - start + 1));
  if (c.req.method === "HEAD") {
    f.close();
    return new Response(null, { status, headers });
  }
  await f.seek(start, Deno.SeekMode.Start);
  let left = end - start + 1;
  const body = new ReadableStream<Uint8Array>({
    async pull(ctl) {
      const buf = new Uint8Array(Math.min(64 * 1024, left));
      const n = left > 0 ? await f.read(buf) : null;
      if (!n) {
        f.close();
        ctl.close();
        return;
      }
      left -= n;
      ctl.enqueue(buf.subarray(0, n));
    },
    cancel() {
      f.close();
    },
  });
  return new Response(body, { status, headers });
}

export function clipRoutes(deps: AppDeps, svc: ClipServices) {
  const app = new Hono<Env>();
  const watch = (c: Context<Env>, path: string) =>
    deps.access.authorize({ actor: c.get("actor"), action: "watch", path });

  // --- thumbnails ---
  app.get("/thumbs/:file", async (c) => {
    const m = /^(.+)\.jpg$/.exec(c.req.param("file"));
    const path = m?.[1] ?? "";
    if (!NAME_RE.test(path)) return c.json({ error: "not found" }, 404);
    const d = await watch(c, path);
    if (!d.allow) return refusal(c, d);
    const t = await getThumb(deps.store, path);
    if (!t) return c.json({ error: "no still of this stream yet" }, 404);
    const etag = `"${t.at}"`;
    const cache = { "cache-control": "private, no-cache", etag };
    if (c.req.header("if-none-match") === etag) return c.body(null, 304, cache);
    return await sendFile(c, thumbFile(deps.cfg, path), "image/jpeg", cache);
  });

  // --- clips API ---
  app.post("/api/clips", apiGuard, async (c) => {
    const body = await jsonBody(c);
    const path = body.path;
    if (typeof path !== "string" || !NAME_RE.test(path)) {
      return c.json({ error: "path must be a stream path" }, 400);
    }
    const d = await deps.access.authorize({ actor: c.get("actor"), action: "clip", path });
    if (!d.allow) return refusal(c, d);
    const title = validateClipTitle(body.title);
    const user = c.get("user")!.name;
    let req;
    if (body.last !== undefined) {
      const last = body.last;
      if (
        typeof last !== "number" || !Number.isInteger(last) || last < MIN_CLIP_SECONDS ||
        last > MAX_CLIP_SECONDS
      ) {
        return c.json({
          error: `last must be a whole number of seconds from ${MIN_CLIP_SECONDS} to ${MAX_CLIP_SECONDS}`,
        }, 400);
      }
      if (body.start !== undefined || body.duration !== undefined) {
        return c.json({ error: "give either last or start and duration" }, 400);
      }
      req = { path, last, title, user };
    } else {
      const dur = typeof body.duration === "number" ? String(body.duration) : body.duration;
      const span = parseRange(
        typeof body.start === "string" ? body.start : undefined,
        typeof dur === "string" ? dur : undefined,
        MAX_CLIP_SECONDS,
      );
      if (typeof span === "string") return c.json({ error: span }, 400);
      if (span.duration < MIN_CLIP_SECONDS) {
        return c.json({ error: `a clip is at least ${MIN_CLIP_SECONDS} s long` }, 400);
      }
      req = { path, start: span.start, duration: span.duration, title, user };
    }
    try {
      const clip = await svc.cutter.cut(req);
      return c.json({ clip: clipJson(clip) }, 201);
    } catch (e) {
      if (e instanceof ClipRefusal) {
        if (e.status === 429) c.header("retry-after", "10");
        return c.json({ error: e.message }, e.status);
      }
      throw e;
    }
  });

  app.get("/api/clips", async (c) => {
    const path = c.req.query("path") ?? "";
    if (!NAME_RE.test(path)) return c.json({ error: "path must be a stream path" }, 400);
    const d = await watch(c, path);
    if (!d.allow) return refusal(c, d);
    const clips = await listClips(deps.store, path);
    const canClip = (await deps.access.authorize({ actor: c.get("actor"), action: "clip", path })).allow;
    return c.json({ path, canClip, maxSeconds: MAX_CLIP_SECONDS, clips: clips.map(clipJson) });
  });

  app.get("/api/clips/settings/:path", apiGuard, async (c) => {
    const path = c.req.param("path");
    if (!NAME_RE.test(path)) return c.json({ error: "invalid stream path" }, 400);
    const d = await deps.access.authorize({ actor: c.get("actor"), action: "manage", path });
    if (!d.allow) return refusal(c, d);
    return c.json({ path, ...(await getClipSettings(deps.store, path)) });
  });

  app.put("/api/clips/settings/:path", apiGuard, async (c) => {
    const path = c.req.param("path");
    if (!NAME_RE.test(path)) return c.json({ error: "invalid stream path" }, 400);
    const d = await deps.access.authorize({ actor: c.get("actor"), action: "manage", path });
    if (!d.allow) return refusal(c, d);
    const s = validateClipSettings(await jsonBody(c));
    if (!(await getStream(deps.store, path))) throw new StoreError("not_found", `no stream '${path}'`);
    await setClipSettings(deps.store, path, s, auditOf(c, "clip.settings", path, `clipBy=${s.clipBy}`));
    return c.json({ path, ...s });
  });

  app.get("/api/clips/:id", async (c) => {
    const clip = await getClip(deps.store, c.req.param("id"));
    if (!clip) return c.json({ error: "no such clip" }, 404);
    const d = await watch(c, clip.path);
    if (!d.allow) return refusal(c, d);
    return c.json({ clip: clipJson(clip) });
  });

  app.delete("/api/clips/:id", apiGuard, async (c) => {
    const clip = await getClip(deps.store, c.req.param("id"));
    if (!clip) return c.json({ error: "no such clip" }, 404);
    const d = await deps.access.authorize({
      actor: c.get("actor"),
      action: "clip-delete",
      path: clip.path,
      createdBy: clip.createdBy,
    });
    if (!d.allow) return refusal(c, d);
    const gone = await removeClip(deps.store, clip.id, auditOf(c, "clip.delete", `${clip.path}/${clip.id}`));
    if (!gone) return c.json({ error: "no such clip" }, 404);
    await removeFile(clipFile(deps.cfg, clip.id));
    await removeFile(stillFile(deps, clip.id));
    svc.cutter.released(gone.bytes);
    return c.json({ deleted: clip.id });
  });

  // --- clip page and media ---
  app.get("/clips/:id", async (c) => {
    const clip = await getClip(deps.store, c.req.param("id"));
    if (!clip) return c.html(errorPage(404, "No such clip."), 404);
    const d = await watch(c, clip.path);
    if (!d.allow) return await pageRefusal(c, d, errorPage);
    const stream = await getStream(deps.store, clip.path);
    const base = publicBase(c, deps);
    let image: string | undefined;
    try {
      await Deno.stat(stillFile(deps, clip.id));
      image = `${base}/clips/${clip.id}/thumb.jpg`;
    } catch { /* no still */ }
    const canDelete = (await deps.access.authorize({
      actor: c.get("actor"),
      action: "clip-delete",
      path: clip.path,
      createdBy: clip.createdBy,
    })).allow;
    return c.html(clipPage({
      clip,
      user: c.get("user")?.name ?? "",
      csrf: csrfToken(c),
      url: `${base}/clips/${clip.id}`,
      image,
      isPublic: stream?.visibility === "public",
      canDelete,
    }));
  });

  const media = (kind: "media" | "thumb") => async (c: Context<Env>) => {
    const clip = await getClip(deps.store, c.req.param("id") ?? "");
    if (!clip) return c.json({ error: "no such clip" }, 404);
    const d = await watch(c, clip.path);
    if (!d.allow) return refusal(c, d);
    if (kind === "thumb") {
      return await sendFile(c, stillFile(deps, clip.id), "image/jpeg", {
        "cache-control": "private, max-age=3600",
      });
    }
    const extra: Record<string, string> = { "cache-control": "private, max-age=3600" };
    if (c.req.query("download")) {
      extra["content-disposition"] = `attachment; filename="${clip.path}_clip_${clip.id}.mp4"`;
    }
    return await sendFile(c, clipFile(deps.cfg, clip.id), "video/mp4", extra);
  };
  app.get("/clips/:id/media", media("media"));
  app.get("/clips/:id/thumb.jpg", media("thumb"));

  return app;
}
