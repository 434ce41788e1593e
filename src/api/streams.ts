// Streams JSON API: streams (admins create/delete; admins and the owning streamer edit), their keys and
// share links, live sessions (publisher, codecs, bitrate, viewers) and kicking a publisher. Plus
// GET /api/live, the live list for the home page (no login needed; shows only what the caller may see).
import { Hono } from "hono";
import type { Context } from "hono";
import { createStream, deleteStream, validatePatch, validateStreamPath } from "../store/streams.ts";
import { createKey, getKeyById, listKeys, revokeKey, type StreamKey } from "../store/keys.ts";
import { createShare, listShares, revokeShare } from "../store/shares.ts";
import { updateStream } from "../store/streams.ts";
import { withAudit } from "../store/audit.ts";
import { NAME_RE } from "../core/names.ts";
import { HttpError, MtxError } from "../core/errors.ts";
import type { LivePath } from "../mediamtx/client.ts";
import { liveList } from "./live-list.ts";
import { managedStreams } from "./managed-streams.ts";
import { adminOnly, apiGuard, auditOf, jsonBody, managedStream } from "./common.ts";
import type { AppDeps, Env } from "../http/context.ts";
import { refuse } from "../http/refusal.ts";
import { publicBase, publishHostOf } from "../http/client.ts";

const publicKey = ({ hash: _h, ...k }: StreamKey) => k;

export function streamApiRoutes(deps: AppDeps) {
  const app = new Hono<Env>();
  const kv = deps.store;
  const access = deps.access;
  const admin = adminOnly(deps);
  const isAdminReq = async (c: Context<Env>) =>
    (await access.authorize({ actor: c.get("actor"), action: "administer" })).allow;
  // Guards per route (not app.use): /api/streams/:path/media belongs to the WebRTC routes, with its own rules.

  /**
   * Asks the door whether the caller may manage the stream (admin or owner), then loads it. The door
   * answers first, so a caller who may not manage it gets the same refusal whether or not it exists; only
   * admins learn that a path has no stream record (404).
   */
  const managed = (c: Context<Env>) => managedStream(deps, c);

  /** The path's live state, fresh (the poller's latest if under 1 s old). Throws HttpError 502. */
  async function liveOf(path: string): Promise<LivePath | null> {
    try {
      return (await deps.live.get(1000)).find((p) => p.name === path) ?? null;
    } catch (e) {
      throw new HttpError(502, `MediaMTX is not reachable: ${(e as Error).message}`);
    }
  }

  /** Kicks the publisher of `path`; HttpError 502 when MediaMTX cannot be reached. */
  async function kick(path: string) {
    try {
      return await deps.mtx.kickPublisher(path);
    } catch (e) {
      if (e instanceof MtxError) throw new HttpError(502, `MediaMTX is not reachable: ${e.message}`);
      throw e;
    }
  }

  app.get(
    "/api/streams",
    apiGuard,
    async (c) => {
      const d = await access.authorize({ actor: c.get("actor"), action: "dashboard" });
      if (!d.allow) refuse(d);
      const rows = await managedStreams(deps, c.get("actor"), await isAdminReq(c));
      return c.json({
        streams: rows.map((r) =>
          r.stream
            ? { ...r.stream, registered: true, keys: r.keys }
            : { path: r.path, registered: false, keys: r.keys }
        ),
      });
    },
  );

  app.post(
    "/api/streams",
    apiGuard,
    admin,
    async (c) => {
      const b = await jsonBody(c);
      const path = validateStreamPath(b.path);
      const patch = validatePatch(b);
      const s = await createStream(
        kv,
        path,
        patch,
        auditOf(c, "stream.create", path, patch.visibility ?? "private"),
      );
      return c.json({ stream: s }, 201);
    },
  );

  app.get(
    "/api/streams/:path",
    apiGuard,
    async (c) => {
      const { path, entry } = await managed(c);
      return c.json({
        stream: entry.value,
        version: entry.versionstamp,
        keys: (await listKeys(kv, path)).map(publicKey),
        shares: await listShares(kv, path),
      });
    },
  );

  app.patch(
    "/api/streams/:path",
    apiGuard,
    async (c) => {
      const { path } = await managed(c);
      const b = await jsonBody(c);
      const patch = validatePatch(b);
      if (patch.owner !== undefined && !(await isAdminReq(c))) {
        throw new HttpError(403, "only admins change the owner");
      }
      if (Object.keys(patch).length === 0) {
        throw new HttpError(400, "nothing to change");
      }
      if (b.version !== undefined && typeof b.version !== "string") {
        throw new HttpError(400, "version must be a string");
      }
      const detail = Object.entries(patch).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(",") : v}`).join(
        " ",
      );
      const r = await updateStream(kv, path, patch, {
        version: b.version as string | undefined,
        audit: auditOf(c, "stream.update", path, detail),
      });
      return c.json({ stream: r.stream, version: r.version, revokedShares: r.revokedShares });
    },
  );

  app.delete(
    "/api/streams/:path",
    apiGuard,
    admin,
    async (c) => {
      const path = c.req.param("path") ?? "";
      if (!NAME_RE.test(path)) throw new HttpError(400, "invalid stream path");
      await deleteStream(kv, path, auditOf(c, "stream.delete", path));
      // Its keys went with it; also end a publish that is live right now (best effort: MediaMTX may be down).
      const kicked = await deps.mtx.kickPublisher(path).catch(() => null);
      return c.json({ ok: true, kicked });
    },
  );

  // Keys: several per path, named, revocable; the secret is shown once.
  app.get(
    "/api/streams/:path/keys",
    apiGuard,
    async (c) => {
      const { path } = await managed(c);
      return c.json({ keys: (await listKeys(kv, path)).map(publicKey) });
    },
  );

  app.post(
    "/api/streams/:path/keys",
    apiGuard,
    async (c) => {
      const { path } = await managed(c);
      const b = await jsonBody(c);
      const name = b.name === undefined ? "default" : b.name;
      if (typeof name !== "string") throw new HttpError(400, "key name must be a string");
      const user = c.get("user")!;
      if (b.replace !== undefined && typeof b.replace !== "boolean") {
        throw new HttpError(400, "replace must be true or false");
      }
      const { key, meta } = await createKey(kv, path, name.trim(), {
        owner: user.name,
        audit: auditOf(c, "key.create", path, name),
      });
      // "Regenerate": the stream's other keys of the same name stop working (the new one is already made,
      // so the stream is never left without one).
      const revoked: string[] = [];
      if (b.replace === true) {
        for (const k of await listKeys(kv, path)) {
          if (k.name !== meta.name || k.id === meta.id) continue;
          await revokeKey(kv, k.id, auditOf(c, "key.revoke", path, `${k.id} (${k.name}, replaced)`));
          revoked.push(k.id);
        }
      }
      const server = `rtmp://${publishHostOf(c, deps)}:${deps.cfg.mediamtx.ports.rtmp}`;
      // What to paste into OBS (Settings -> Stream): the RTMP form that works with MediaMTX v1.20.1 (the key
      // after the path, README "Publishing"), and WHIP for sub-second latency (RFC 9725: Bearer Token).
      const connect = {
        obs: { server, streamKey: `${path}?token=${key}` },
        whip: { server: `${publicBase(c, deps)}/whip/${path}`, bearerToken: key },
      };
      return c.json(
        { key, meta: publicKey(meta), publishUrl: `${server}/${path}?token=${key}`, connect, revoked },
        201,
      );
    },
  );

  app.delete(
    "/api/streams/:path/keys/:id",
    apiGuard,
    async (c) => {
      const { path } = await managed(c);
      const id = c.req.param("id") ?? "";
      const k = await getKeyById(kv, id);
      if (!k || k.path !== path) throw new HttpError(404, `no key '${id}' for '${path}'`);
      await revokeKey(kv, id, auditOf(c, "key.revoke", path, `${id} (${k.name})`));
      return c.json({ ok: true });
    },
  );

  // Share links for unlisted streams.
  app.get(
    "/api/streams/:path/shares",
    apiGuard,
    async (c) => {
      const { path } = await managed(c);
      return c.json({ shares: await listShares(kv, path) });
    },
  );

  app.post(
    "/api/streams/:path/shares",
    apiGuard,
    async (c) => {
      const { path } = await managed(c);
      const b = await jsonBody(c);
      const raw = b.hours === undefined ? 24 : b.hours;
      const hours = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw as number;
      const label = b.label === undefined ? "" : b.label;
      // The store refuses a stream that is not unlisted, a lifetime out of range and a bad label (400).
      const { token, share } = await createShare(kv, path, {
        hours,
        label: label as string,
        createdBy: c.get("user")!.name,
        audit: auditOf(c, "share.create", path, `${Number(hours)} h`),
      });
      const url = `${publicBase(c, deps)}/watch/${path}?share=${encodeURIComponent(token)}`;
      return c.json({ share, token, url }, 201);
    },
  );

  app.delete(
    "/api/streams/:path/shares/:id",
    apiGuard,
    async (c) => {
      const { path } = await managed(c);
      const id = c.req.param("id") ?? "";
      await revokeShare(kv, path, id, auditOf(c, "share.revoke", path, id));
      return c.json({ ok: true });
    },
  );

  // Live sessions: who publishes (address, protocol, codecs, bitrate) and who watches. Viewers' network
  // details (address, user agent) and session ids are for admins only; the owner sees who watches (user
  // name or anonymous/share link, since when) and the MediaMTX readers by type.
  app.get(
    "/api/streams/:path/live",
    apiGuard,
    async (c) => {
      const { path } = await managed(c);
      const admin = await isAdminReq(c);
      const live = await liveOf(path);
      const publisher = live?.online ? await deps.mtx.publisherOf(live).catch(() => null) : null;
      const viewers = deps.viewers.viewers(path);
      return c.json({
        path,
        online: !!live?.online,
        onlineSince: live?.onlineSince ?? null,
        codecs: live?.codecs ?? [],
        bitrate: live?.bitrate ?? null,
        publisher,
        readers: admin ? live?.readers ?? [] : (live?.readers ?? []).map((r) => ({ type: r.type })),
        viewers: admin
          ? viewers
          : viewers.map((v) => ({ kind: v.kind, user: v.user, since: v.since, lastSeen: v.lastSeen })),
      });
    },
  );

  app.post(
    "/api/streams/:path/kick",
    apiGuard,
    async (c) => {
      const { path } = await managed(c);
      const kicked = await kick(path);
      if (!kicked) throw new HttpError(404, `nobody is publishing to '${path}'`);
      // The audit entry is written after the fact: MediaMTX is not part of the KV transaction.
      await withAudit(kv.kv.atomic(), auditOf(c, "publisher.kick", path, `${kicked.type} ${kicked.id}`))
        .commit();
      return c.json({ ok: true, kicked });
    },
  );

  // The home page's live list: what this caller may see, with viewer counts.
  app.get("/api/live", async (c) => {
    c.header("cache-control", "no-store");
    return c.json({ ...(await liveList(deps, c.get("actor"))), user: c.get("user")?.name ?? null });
  });

  return app;
}
