// The chat service (issue 16): one per app, built by the composition root. It keeps a Room per stream
// with people in it, accepts the connections routes.ts upgrades, carries out what their frames ask (post,
// moderate) after the door (src/auth/access.ts: "chat" to write, "moderate" to moderate) said yes, stores
// through src/store/chat.ts and hands every frame for a room to the Fanout (fanout.ts). Access that is
// taken away ends here too: the store's changes (src/app/invalidation.ts calls `changed`) make the
// connections concerned ask the door again; who may no longer watch is closed with 1008.
import type { Access, Actor, Decision } from "../auth/access.ts";
import type { Change } from "../core/changes.ts";
import type { Clock } from "../core/clock.ts";
import type { Log } from "../core/log.ts";
import type { AuditInput } from "../store/audit.ts";
import {
  type ChatMessage,
  type ChatRole,
  clearChat,
  deleteChatMessage,
  removeChatBan,
  setChatBan,
  updateChatSettings,
} from "../store/chat.ts";
import type { Store } from "../store/kv.ts";
import { getUser } from "../store/users.ts";
import { type ChatMember, type Fanout, LocalFanout } from "./fanout.ts";
import {
  type ClientFrame,
  CLOSE_POLICY,
  CLOSE_TOO_BIG,
  CLOSE_UNSUPPORTED,
  MAX_BAD_FRAMES,
  MAX_BUFFERED,
  MAX_FRAME,
  MAX_FRAMES_PER_S,
  parseClientFrame,
} from "./protocol.ts";
import { Room } from "./room.ts";
import { cleanGuestName, cleanText, hasBlockedWord } from "./text.ts";

export interface ChatDeps {
  store: Store;
  access: Access;
  clock: Clock;
  log: Log;
  /** Where frames for a room go (default: in-process). */
  fanout?: Fanout;
}

/** How a connection was opened (routes.ts). */
export interface JoinInfo {
  path: string;
  ip: string;
  /** The actor now: re-reads the login session (it may have ended) and keeps the share link. */
  actorNow: () => Promise<Actor>;
  /** Resume after this message id (null: a fresh join). */
  since: number | null;
  /** The guest id for this address ("g:HEX"). */
  guestUid: string;
}

/** The part of a WebSocket a connection uses (Deno's server WebSocket). */
export interface Socket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

const VIEWERS_EVERY_MS = 2000;

export class ChatHub {
  readonly fanout: Fanout;
  readonly #rooms = new Map<string, Room>();
  readonly #conns = new Map<string, Set<Connection>>();
  readonly #viewerTimers = new Map<string, ReturnType<typeof setTimeout>>();
  constructor(readonly deps: ChatDeps) {
    this.fanout = deps.fanout ?? new LocalFanout();
  }

  room(path: string): Room {
    let r = this.#rooms.get(path);
    if (!r) this.#rooms.set(path, r = new Room(path, this.deps.store, this.deps.clock, this.deps.log));
    return r;
  }

  /** Starts serving `ws` (already open) for `info`. Never throws: failures close the socket with 1011. */
  async open(ws: Socket, info: JoinInfo): Promise<Connection> {
    const conn = new Connection(this, ws, info);
    let set = this.#conns.get(info.path);
    if (!set) this.#conns.set(info.path, set = new Set());
    set.add(conn);
    try {
      await conn.start();
    } catch (e) {
      this.deps.log(`[chat] ${info.path}: cannot start a connection: ${(e as Error).message}`);
      conn.close(1011, "server error");
    }
    return conn;
  }

  /** A connection ended. */
  left(conn: Connection): void {
    const set = this.#conns.get(conn.path);
    set?.delete(conn);
    if (set && set.size === 0) {
      this.#conns.delete(conn.path);
      // Forgotten once what it accepted is stored (a later join loads it from KV again).
      const room = this.#rooms.get(conn.path);
      room?.serial(() => room.flush()).catch(() => {}).finally(() => {
        if (!this.#conns.has(conn.path) && this.#rooms.get(conn.path) === room) this.#rooms.delete(conn.path);
      });
    }
    this.viewersChanged(conn.path);
  }

  /** Announces the room's size to its members, at most every VIEWERS_EVERY_MS. */
  viewersChanged(path: string): void {
    if (this.#viewerTimers.has(path)) return;
    this.#viewerTimers.set(
      path,
      setTimeout(() => {
        this.#viewerTimers.delete(path);
        this.fanout.publish(path, JSON.stringify({ type: "viewers", count: this.fanout.count(path) }));
      }, VIEWERS_EVERY_MS),
    );
  }

  /** The connections on `path` (all paths when omitted). */
  conns(path?: string): Connection[] {
    if (path !== undefined) return [...(this.#conns.get(path) ?? [])];
    return [...this.#conns.values()].flatMap((s) => [...s]);
  }

  /** The store announced `c`: the connections it concerns ask the door again (see invalidation.ts). */
  changed(c: Change): void {
    let which: Connection[] = [];
    switch (c.kind) {
      case "chat":
        if (c.op === "settings") {
          const room = this.#rooms.get(c.path);
          room?.reloadSettings().then(() => {
            const s = room.settings;
            this.fanout.publish(c.path, JSON.stringify({ type: "settings", ...publicSettings(s) }));
          }).catch(() => {});
          which = this.conns(c.path);
        } else if (c.op === "ban") which = this.conns(c.path).filter((k) => k.uid === c.uid);
        break;
      case "stream":
      case "share":
        which = this.conns(c.path);
        break;
      case "user":
        which = this.conns().filter((k) => k.userName === c.name);
        break;
      case "session":
        if (c.op === "delete") which = this.conns().filter((k) => k.userName === c.user);
        break;
      case "restore":
        which = this.conns();
        break;
    }
    for (const k of which) k.recheck().catch(() => {});
  }

  /** Ends every connection (server stop). */
  close(): void {
    for (const t of this.#viewerTimers.values()) clearTimeout(t);
    this.#viewerTimers.clear();
    for (const k of this.conns()) k.close(1001, "server stopping");
  }
}

const publicSettings = (s: { slowSeconds: number; guests: boolean }) => ({
  slowSeconds: s.slowSeconds,
  guests: s.guests,
});

const ROLE_OF: Record<string, ChatRole> = { admin: "admin", owner: "owner", moderator: "moderator" };

/** One chat WebSocket: its identity, what the door allowed it, and its frames. */
export class Connection implements ChatMember {
  readonly path: string;
  userName: string | null = null;
  /** The chat id of who writes here: "u:NAME", or the guest id. */
  uid: string;
  name = "";
  role: ChatRole = "";
  #guestName: string | undefined;
  #write: Decision = { allow: false, status: 401, reason: "not ready" };
  #mod: Decision = { allow: false, status: 401, reason: "not ready" };
  #manage = false;
  #frames: number[] = [];
  #bad = 0;
  #leave: (() => void) | null = null;
  #closed = false;
  #refused = false;
  readonly #room: Room;

  constructor(readonly hub: ChatHub, readonly ws: Socket, readonly info: JoinInfo) {
    this.path = info.path;
    this.uid = info.guestUid;
    this.#room = hub.room(info.path);
  }

  /** Loads the room, decides what this connection may do, sends hello and history, joins the fan-out. */
  async start(): Promise<void> {
    await this.#room.ready;
    if (!(await this.#decide())) return;
    if (this.#closed) return;
    this.#send({
      type: "hello",
      you: this.#you(),
      settings: publicSettings(this.#room.settings),
      viewers: this.hub.fanout.count(this.path) + 1,
    });
    // History and joining happen in the same turn: no message can fall between them.
    this.#send(this.#room.history(this.info.since));
    this.#leave = this.hub.fanout.join(this.path, this);
    this.hub.viewersChanged(this.path);
  }

  /** Asks the door again (after a change); closes with 1008 when watching is no longer allowed. */
  async recheck(): Promise<void> {
    if (this.#closed) return;
    const before = JSON.stringify(this.#you());
    if (!(await this.#decide())) return;
    const now = this.#you();
    if (JSON.stringify(now) !== before) this.#send({ type: "you", ...now });
  }

  /** Reads the actor and the door's watch, chat and moderate decisions; false (and closed) if not watching. */
  async #decide(): Promise<boolean> {
    const access = this.hub.deps.access;
    const actor = await this.info.actorNow();
    const user = actor.kind === "user" ? actor.user : actor.kind === "share" ? actor.user : null;
    if (this.userName && !user) {
      this.close(CLOSE_POLICY, "your login session ended");
      return false;
    }
    const watch = await access.authorize({ actor, action: "watch", path: this.path });
    if (!watch.allow) {
      this.#send({ type: "error", reason: watch.reason });
      this.close(CLOSE_POLICY, "access ended");
      return false;
    }
    this.userName = user?.name ?? null;
    if (user) {
      this.uid = `u:${user.name}`;
      this.name = user.name;
    } else {
      this.uid = this.info.guestUid;
      this.name = this.#guestName ?? "";
    }
    const guest = !user && this.#guestName ? { uid: this.uid, name: this.#guestName } : undefined;
    const [write, mod, manage] = await Promise.all([
      access.authorize({ actor, action: "chat", path: this.path, guest }),
      access.authorize({ actor, action: "moderate", path: this.path }),
      user ? access.authorize({ actor, action: "manage", path: this.path }) : null,
    ]);
    this.#write = write;
    this.#mod = mod;
    this.#manage = !!manage?.allow;
    this.role = this.#mod.allow ? ROLE_OF[this.#mod.via] ?? "" : user ? "" : "guest";
    return true;
  }

  #you() {
    return {
      user: this.name,
      uid: this.uid,
      role: this.role,
      canWrite: this.#write.allow,
      writeReason: this.#write.allow ? null : this.#write.reason,
      canModerate: this.#mod.allow,
      /** May appoint moderators and allow guests (the owner, admins). */
      canManage: this.#manage,
      guests: this.#room.settings.guests,
    };
  }

  deliver(frame: string): void {
    if (this.#closed || this.ws.readyState !== 1) return;
    // A client that does not read: its queue is bounded; it is dropped, the others are not held up.
    if (this.ws.bufferedAmount > MAX_BUFFERED) {
      this.close(CLOSE_POLICY, "not reading");
      return;
    }
    try {
      this.ws.send(frame);
    } catch {
      this.close(CLOSE_POLICY, "send failed");
    }
  }

  #send(frame: Record<string, unknown>): void {
    this.deliver(JSON.stringify(frame));
  }

  #error(reason: string, ref?: string): void {
    this.#send(ref ? { type: "error", reason, ref } : { type: "error", reason });
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#leave?.();
    this.#leave = null;
    try {
      this.ws.close(code, reason);
    } catch { /* already closed */ }
    this.hub.left(this);
  }

  /** The socket closed (by the client or the network). */
  closed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#leave?.();
    this.#leave = null;
    this.hub.left(this);
  }

  /**
   * Closes for a protocol violation: frames still arriving are read and ignored, and the close goes out
   * once the client's burst was read (closing at once, with its frames unread, resets the TCP connection
   * and the client sees no close code).
   */
  #refuse(code: number, reason: string): void {
    this.#refused = true;
    setTimeout(() => this.close(code, reason), 50);
  }

  /** A frame arrived. Binary: 1003; too big: 1009; too many or too many bad ones: 1008. Never throws. */
  async onFrame(data: unknown): Promise<void> {
    if (this.#closed || this.#refused) return;
    if (typeof data !== "string") return this.#refuse(CLOSE_UNSUPPORTED, "text frames only");
    if (data.length > MAX_FRAME) return this.#refuse(CLOSE_TOO_BIG, `frame over ${MAX_FRAME} characters`);
    const now = this.hub.deps.clock.now();
    this.#frames = this.#frames.filter((t) => t > now - 1000);
    this.#frames.push(now);
    if (this.#frames.length > MAX_FRAMES_PER_S) return this.#refuse(CLOSE_POLICY, "too many frames");
    const f = parseClientFrame(data);
    if ("error" in f) {
      this.#error(f.error);
      if (++this.#bad > MAX_BAD_FRAMES) this.#refuse(CLOSE_POLICY, "too many bad frames");
      return;
    }
    try {
      await this.#handle(f);
    } catch (e) {
      this.hub.deps.log(`[chat] ${this.path}: ${f.type} failed: ${(e as Error).message}`);
      this.#error("could not do that right now; try again");
    }
  }

  async #handle(f: ClientFrame): Promise<void> {
    const room = this.#room;
    const deps = this.hub.deps;
    switch (f.type) {
      case "ping":
        return this.#send({ type: "pong" });
      case "guest": {
        if (this.userName) return this.#error("logged in: you write under your user name");
        if (!room.settings.guests) return this.#error("guests may not write in this chat");
        const g = cleanGuestName(f.name);
        if ("error" in g) return this.#error(g.error);
        if (await getUser(deps.store, g.name) || await getUser(deps.store, g.name.toLowerCase())) {
          return this.#error("that name belongs to a user; choose another");
        }
        this.#guestName = g.name;
        return await this.recheck(); // sends the new "you" (name, canWrite)
      }
      case "send": {
        if (!this.#write.allow) {
          // A timeout may have run out: ask the door again before refusing.
          await this.recheck();
          if (!this.#write.allow) return this.#error(this.#write.reason, f.ref);
        }
        const t = cleanText(f.text);
        if ("error" in t) return this.#error(t.error, f.ref);
        if (hasBlockedWord(t.text, room.settings.blockedWords)) {
          return this.#error("your message contains a word not allowed in this chat", f.ref);
        }
        const limited = room.admit(this.uid, this.#mod.allow);
        if (limited) return this.#error(limited, f.ref);
        const { uid, name, role } = this;
        // Accepted: published now, in id order; stored by the room's next batch.
        const m: ChatMessage = {
          id: room.nextId(),
          uid,
          user: name,
          role,
          text: t.text,
          at: deps.clock.now(),
        };
        room.add(m);
        this.hub.fanout.publish(this.path, JSON.stringify({ type: "message", ...m }));
        return;
      }
    }
    // Moderation: the door's "moderate" decision.
    if (!this.#mod.allow) return this.#error(this.#mod.reason);
    const audit = (action: string, detail?: string): AuditInput => ({
      actor: this.name,
      action,
      target: this.path,
      detail,
      ip: this.info.ip,
    });
    switch (f.type) {
      case "delete":
        await room.serial(async () => {
          await room.flush(); // the message may not be stored yet
          if (!room.messages.some((m) => m.id === f.id)) return this.#error("no such message");
          const m = room.messages.find((x) => x.id === f.id)!;
          await deleteChatMessage(
            deps.store,
            this.path,
            f.id,
            deps.clock.now(),
            audit("chat.delete", `${m.uid}: ${m.text.slice(0, 80)}`),
          );
          room.remove(f.id);
          this.hub.fanout.publish(this.path, JSON.stringify({ type: "delete", id: f.id }));
        });
        return;
      case "clear":
        await room.serial(async () => {
          await room.flush();
          const through = room.lastId;
          await clearChat(deps.store, this.path, through, deps.clock.now(), audit("chat.clear"));
          room.clear(through);
          this.hub.fanout.publish(this.path, JSON.stringify({ type: "clear", through }));
        });
        return;
      case "slow":
        await updateChatSettings(
          deps.store,
          this.path,
          { slowSeconds: f.seconds },
          audit("chat.slow", `${f.seconds} s`),
        );
        return;
      case "timeout":
      case "ban": {
        const refusal = await this.#targetRefusal(f.uid);
        if (refusal) return this.#error(refusal);
        const now = deps.clock.now();
        const until = f.type === "timeout" ? now + f.minutes * 60_000 : null;
        const shown = room.messages.findLast((m) => m.uid === f.uid)?.user ?? f.uid.slice(2);
        await setChatBan(
          deps.store,
          this.path,
          { uid: f.uid, name: shown, until, by: this.name, at: now },
          audit(
            f.type === "timeout" ? "chat.timeout" : "chat.ban",
            f.type === "timeout" ? `${f.uid} ${f.minutes} min` : f.uid,
          ),
        );
        return;
      }
      case "unban":
        await removeChatBan(deps.store, this.path, f.uid, audit("chat.unban", f.uid));
        return;
    }
  }

  /** Why `uid` may not be timed out or banned (moderators, the owner and admins may not), or null. */
  async #targetRefusal(uid: string): Promise<string | null> {
    if (uid === this.uid) return "you cannot time out or ban yourself";
    if (!uid.startsWith("u:")) return null;
    const user = await getUser(this.hub.deps.store, uid.slice(2));
    if (!user) return null;
    const d = await this.hub.deps.access.authorize({
      actor: { kind: "user", user },
      action: "moderate",
      path: this.path,
    });
    return d.allow ? "moderators cannot be timed out or banned" : null;
  }
}
