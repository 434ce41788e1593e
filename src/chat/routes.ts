// The chat's HTTP surface (issue 16):
//   GET /chat/<path>               the WebSocket (Hono's Deno helper). Before the upgrade: the Origin must be
//                                  livegate's public origin (no cross-site WebSocket hijacking, 403), and the
//                                  door must allow watching the stream (401/403, as for /hls); ?since=ID
//                                  resumes after the last message id seen.
//   GET   /api/chat/<path>         settings and the bans in force (moderators of the stream)
//   PATCH /api/chat/<path>         {moderators?, guests?} (the owner: "manage"), {slowSeconds?, blockedWords?}
//                                  (moderators: "moderate"); session + X-CSRF-Token, audited
import { Hono } from "hono";
import { upgradeWebSocket } from "hono/deno";
import type { Actor } from "../auth/access.ts";
import { NAME_RE } from "../core/names.ts";
import { apiGuard, auditOf, jsonBody } from "../api/common.ts";
import { publicBase } from "../http/client.ts";
import type { AppDeps, Env } from "../http/context.ts";
import { refusal } from "../http/refusal.ts";
import { actorOf, shareTokenOf } from "../http/session.ts";
import {
  chatGuestKey,
  getChatSettings,
  listChatBans,
  updateChatSettings,
  validateChatPatch,
} from "../store/chat.ts";
import { getSession } from "../store/sessions.ts";
import { getUser } from "../store/users.ts";
import type { ChatHub, Connection } from "./hub.ts";

/** The guest chat id of a client address: "g:" + 16 hex digits of HMAC-SHA256(random key in KV, ip). */
async function guestUid(deps: Pick<AppDeps, "store">, ip: string): Promise<string> {
  const sig = await crypto.subtle.sign("HMAC", await chatGuestKey(deps.store), new TextEncoder().encode(ip));
  return "g:" + [...new Uint8Array(sig).slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** How the chat upgrades its WebSocket (hono/deno's; the main isolate's tunnel with LIVEGATE_WORKERS > 1). */
export type ChatUpgrade = typeof upgradeWebSocket;

export function chatRoutes(deps: AppDeps, hub: ChatHub, upgrade: ChatUpgrade = upgradeWebSocket) {
  const app = new Hono<Env>();

  app.get("/chat/:path", async (c) => {
    const path = c.req.param("path");
    if (!NAME_RE.test(path)) return c.json({ error: "no such stream" }, 404);
    const origin = c.req.header("origin");
    if (!origin || origin !== new URL(publicBase(c, deps)).origin) {
      return c.json({ error: "cross-site WebSocket refused: Origin must be livegate's own" }, 403);
    }
    const actor = c.get("actor");
    const d = await deps.access.authorize({ actor, action: "watch", path });
    if (!d.allow) return refusal(c, d);
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      return c.json({ error: "this is a WebSocket endpoint (Upgrade: websocket)" }, 426);
    }
    const sinceRaw = c.req.query("since");
    const since = sinceRaw && /^\d{1,16}$/.test(sinceRaw) ? Number(sinceRaw) : null;
    const token = c.get("sessionToken");
    const share = shareTokenOf(c);
    const hadUser = !!c.get("user");
    // The actor now: the session may have ended since the upgrade (logout, revoked, user disabled).
    const actorNow = async (): Promise<Actor> => {
      if (!hadUser || !token) return actorOf(null, share);
      const s = await getSession(deps.store, token, deps.cfg.sessionTtlSeconds, deps.clock.now());
      const u = s ? await getUser(deps.store, s.user) : null;
      return actorOf(u && !u.disabled ? u : null, share);
    };
    const info = {
      path,
      ip: c.get("clientIp"),
      actorNow,
      since,
      guestUid: await guestUid(deps, c.get("clientIp")),
    };
    let conn: Connection | null = null;
    const pending: unknown[] = [];
    let gone = false;
    // Deno.upgradeWebSocket throws on a malformed handshake (no Connection: Upgrade, no key): a 400.
    const h = (k: string) => c.req.header(k) ?? "";
    if (
      !/\bupgrade\b/i.test(h("connection")) || !/^[A-Za-z0-9+/]{22}==$/.test(h("sec-websocket-key")) ||
      h("sec-websocket-version") !== "13"
    ) {
      return c.json({ error: "malformed WebSocket handshake (RFC 6455 section 4.2.1)" }, 400);
    }
    try {
      return await upgrade(c, {
        onOpen: (_e, ws) => {
          hub.open(ws.raw as WebSocket, info).then((k) => {
            conn = k;
            if (gone) return k.closed(); // closed while it was starting
            for (const d of pending.splice(0)) k.onFrame(d);
          });
        },
        onMessage: (e) => {
          if (conn) conn.onFrame(e.data);
          else if (pending.length < 32) pending.push(e.data);
        },
        onClose: () => {
          gone = true;
          conn?.closed();
        },
        onError: () => {
          gone = true;
          conn?.closed();
        },
      }, { idleTimeout: 60 });
    } catch (e) {
      return c.json({ error: `WebSocket handshake refused: ${(e as Error).message}` }, 400);
    }
  });

  app.use("/api/chat/*", apiGuard);
  app.get("/api/chat/:path", async (c) => {
    const path = c.req.param("path");
    const d = await deps.access.authorize({ actor: c.get("actor"), action: "moderate", path });
    if (!d.allow) return refusal(c, d);
    return c.json({
      settings: await getChatSettings(deps.store, path),
      bans: await listChatBans(deps.store, path, deps.clock.now()),
      viewers: hub.fanout.count(path),
    });
  });

  app.patch("/api/chat/:path", async (c) => {
    const path = c.req.param("path");
    const patch = validateChatPatch(await jsonBody(c));
    const needsManage = patch.moderators !== undefined || patch.guests !== undefined;
    const d = await deps.access.authorize({
      actor: c.get("actor"),
      action: needsManage ? "manage" : "moderate",
      path,
    });
    if (!d.allow) return refusal(c, d);
    const detail = JSON.stringify(patch).slice(0, 500);
    const settings = await updateChatSettings(
      deps.store,
      path,
      patch,
      auditOf(c, "chat.settings", path, detail),
    );
    return c.json({ settings });
  });

  return app;
}
