// One stream's chat room in memory: the kept messages (as in KV: the last MAX_MESSAGES within KEEP_MS),
// the deletions and the last clear (for resuming clients), the settings, and the per-user send limits.
// A message is accepted in memory and published at once, in id order, so a client that saw id N and
// resumes "since N" gets exactly what came after, never a gap or a repeat. Storing happens behind it in
// batches (one KV commit for whatever arrived meanwhile), and moderation writes queue behind those
// batches (`serial`), so a deletion can never be overtaken by the storing of the message it deletes.
import type { Clock } from "../core/clock.ts";
import {
  type ChatMessage,
  type ChatSettings,
  DEFAULT_CHAT_SETTINGS,
  getChatSettings,
  KEEP_MS,
  loadChat,
  MAX_MESSAGES,
  putChatMessages,
} from "../store/chat.ts";
import type { Store } from "../store/kv.ts";
import { JOIN_HISTORY, RATE_MESSAGES, RATE_WINDOW_MS } from "./protocol.ts";

export class Room {
  messages: ChatMessage[] = [];
  /** Deleted ids -> when (kept KEEP_MS). */
  deleted = new Map<number, number>();
  clearedThrough: number | null = null;
  settings: ChatSettings = DEFAULT_CHAT_SETTINGS;
  /** The highest id dropped for the size bound (a resume from before it may have missed messages). */
  droppedThrough = 0;
  #lastId = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #sends = new Map<string, number[]>();
  #lastSend = new Map<string, number>();
  /** Accepted, not yet stored. */
  #pending: ChatMessage[] = [];
  /** Dropped for the bounds, still to delete from KV. */
  #dropKv: number[] = [];
  #flushQueued = false;
  readonly ready: Promise<void>;

  constructor(
    readonly path: string,
    readonly store: Store,
    readonly clock: Clock,
    readonly log: (line: string) => void = () => {},
  ) {
    this.ready = this.#load();
  }

  async #load(): Promise<void> {
    const now = this.clock.now();
    const [{ messages, deleted, clear }, settings] = await Promise.all([
      loadChat(this.store, this.path, now),
      getChatSettings(this.store, this.path),
    ]);
    this.messages = messages;
    for (const t of deleted) this.deleted.set(t.id, t.at);
    this.clearedThrough = clear?.through ?? null;
    this.settings = settings;
    this.#lastId = Math.max(messages.at(-1)?.id ?? 0, clear?.through ?? 0);
  }

  async reloadSettings(): Promise<void> {
    this.settings = await getChatSettings(this.store, this.path);
  }

  /** The next message id: ms x 1000 + a counter, always above the last one (clock steps back too). */
  nextId(): number {
    this.#lastId = Math.max(this.#lastId + 1, this.clock.now() * 1000);
    return this.#lastId;
  }

  get lastId(): number {
    return this.#lastId;
  }

  /** Runs `fn` after every write queued before it (one at a time per room). */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#queue.then(fn);
    this.#queue = p.catch(() => {});
    return p;
  }

  /** Adds an accepted message (kept in memory now, stored by the next flush). */
  add(m: ChatMessage): void {
    this.messages.push(m);
    this.#pending.push(m);
    this.#dropKv.push(...this.trim());
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      this.serial(() => this.flush()).catch((e) =>
        this.log(`[chat] ${this.path}: storing messages: ${e.message}`)
      );
    }
  }

  /** Stores what was accepted since the last flush (batches of 200), deletes what the bounds dropped. */
  async flush(): Promise<void> {
    this.#flushQueued = false;
    while (this.#pending.length || this.#dropKv.length) {
      const batch = this.#pending.splice(0, 200);
      const drop = this.#dropKv.splice(0, 400);
      const dropped = new Set(drop);
      // A message dropped before it was stored is simply not stored.
      const store = batch.filter((m) => !dropped.has(m.id));
      const stored = new Set(batch.map((m) => m.id));
      try {
        await putChatMessages(this.store, this.path, store, drop.filter((id) => !stored.has(id)));
      } catch (e) {
        this.#pending.unshift(...batch);
        this.#dropKv.unshift(...drop);
        throw e;
      }
    }
  }

  /** The ids that must go when `extra` more messages arrive (oldest first beyond MAX_MESSAGES or KEEP_MS). */
  overflow(extra: number): number[] {
    const now = this.clock.now();
    const out: number[] = [];
    const n = this.messages.length + extra - MAX_MESSAGES;
    for (let i = 0; i < this.messages.length; i++) {
      if (i < n || this.messages[i].at <= now - KEEP_MS) out.push(this.messages[i].id);
      else break;
    }
    return out;
  }

  /** Drops what the bounds (MAX_MESSAGES, KEEP_MS) leave out; returns the dropped ids. */
  trim(): number[] {
    const drop = this.overflow(0);
    if (drop.length) {
      this.droppedThrough = Math.max(this.droppedThrough, drop[drop.length - 1]);
      this.messages.splice(0, drop.length);
    }
    const now = this.clock.now();
    for (const [id, at] of this.deleted) {
      if (at <= now - KEEP_MS || this.deleted.size > 2000) this.deleted.delete(id);
    }
    return drop;
  }

  remove(id: number): boolean {
    const i = this.messages.findIndex((m) => m.id === id);
    if (i < 0) return false;
    this.messages.splice(i, 1);
    this.deleted.set(id, this.clock.now());
    return true;
  }

  clear(through: number): void {
    this.messages = this.messages.filter((m) => m.id > through);
    this.clearedThrough = through;
  }

  /** The history frame for a join (`since` absent) or a resume after id `since`. */
  history(since: number | null) {
    const messages = since === null
      ? this.messages.slice(-JOIN_HISTORY)
      : this.messages.filter((m) => m.id > since);
    const deleted = since === null ? [] : [...this.deleted.keys()].filter((id) => id <= since);
    const complete = since === null || since >= this.droppedThrough ||
      (messages.length > 0 && messages[0].id <= since);
    return {
      type: "history",
      messages,
      deleted,
      clearedThrough: this.clearedThrough,
      complete,
    };
  }

  /**
   * Per-user limits for a message from `uid` now: the rate limit (RATE_MESSAGES in RATE_WINDOW_MS) and,
   * unless `exempt` (moderators), slow mode. Returns the refusal's reason, or null (and counts the send).
   */
  admit(uid: string, exempt: boolean): string | null {
    const now = this.clock.now();
    const times = (this.#sends.get(uid) ?? []).filter((t) => t > now - RATE_WINDOW_MS);
    if (times.length >= RATE_MESSAGES) {
      this.#sends.set(uid, times);
      return `slow down: at most ${RATE_MESSAGES} messages in ${RATE_WINDOW_MS / 1000} seconds`;
    }
    const slow = this.settings.slowSeconds * 1000;
    const last = this.#lastSend.get(uid) ?? -Infinity;
    if (!exempt && slow > 0 && now - last < slow) {
      return `slow mode: one message every ${this.settings.slowSeconds} s (wait ${
        Math.ceil((slow - (now - last)) / 1000)
      } s)`;
    }
    times.push(now);
    this.#sends.set(uid, times);
    this.#lastSend.set(uid, now);
    if (this.#sends.size > 10_000) this.#forgetOld(now);
    return null;
  }

  #forgetOld(now: number): void {
    const keep = Math.max(RATE_WINDOW_MS, this.settings.slowSeconds * 1000);
    for (const [uid, t] of this.#lastSend) {
      if (t <= now - keep) {
        this.#lastSend.delete(uid);
        this.#sends.delete(uid);
      }
    }
  }
}
