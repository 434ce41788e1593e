// Fan-out of chat frames to the members of a stream's room: the one place that knows who receives what.
// Narrow on purpose (publish, join, count): when livegate runs as several processes, a shared bus (Redis
// pub/sub, NATS, Postgres LISTEN/NOTIFY…) can implement the same interface, each process delivering to its
// own members, and nothing else in src/chat/ changes. LocalFanout is the in-process implementation.

/** Whatever receives a room's frames (a chat connection). */
export interface ChatMember {
  /** Delivers one serialized server frame (JSON text). Must not throw. */
  deliver(frame: string): void;
}

/** The fan-out interface the chat hub uses. */
export interface Fanout {
  /** Delivers `frame` (a serialized server frame) to every member of `path`'s room. */
  publish(path: string, frame: string): void;
  /** Adds `member` to `path`'s room; returns the function that removes it. */
  join(path: string, member: ChatMember): () => void;
  /** How many members `path`'s room has. */
  count(path: string): number;
}

/** Members served per turn of the event loop before the next slice (HLS requests get their turn between). */
export const SLICE = 100;
/** Most frames sent together as one batch frame. */
export const BATCH = 50;

/**
 * In-process fan-out: a set of members per path; a frame is serialized once and handed to each. A room
 * with more than SLICE members gets a frame in slices, yielding to the event loop between them, so one
 * message to 1,000 sockets does not hold up viewers' HLS requests for its whole duration. Frames of a room
 * go out in the order published (a queue per room), each to the members it had when it was published.
 * Frames that queued up meanwhile for the same members go out together as one
 * `{"type":"batch","frames":[…]}` (at most BATCH), so a backlog costs one send per member, not one per
 * frame and member.
 */
export class LocalFanout implements Fanout {
  readonly #rooms = new Map<string, Set<ChatMember>>();
  readonly #queues = new Map<string, { frame: string; to: ChatMember[] }[]>();
  /** The members of a room as an array, kept until it changes (so queued frames can be compared). */
  readonly #snapshots = new Map<string, ChatMember[]>();

  #snapshot(path: string, room: Set<ChatMember>): ChatMember[] {
    let s = this.#snapshots.get(path);
    if (!s) this.#snapshots.set(path, s = [...room]);
    return s;
  }

  publish(path: string, frame: string): void {
    const room = this.#rooms.get(path);
    if (!room) return;
    const queue = this.#queues.get(path);
    if (!queue && room.size <= SLICE) {
      for (const m of room) m.deliver(frame);
      return;
    }
    const item = { frame, to: this.#snapshot(path, room) };
    if (queue) queue.push(item);
    else {
      this.#queues.set(path, [item]);
      this.#pump(path).catch(() => {});
    }
  }

  async #pump(path: string): Promise<void> {
    const queue = this.#queues.get(path)!;
    while (queue.length) {
      const to = queue[0].to;
      let n = 1;
      while (n < queue.length && n < BATCH && queue[n].to === to) n++;
      const frame = n === 1
        ? queue[0].frame
        : `{"type":"batch","frames":[${queue.slice(0, n).map((q) => q.frame).join(",")}]}`;
      for (let i = 0; i < to.length; i += SLICE) {
        if (i > 0) await new Promise((r) => setTimeout(r, 0));
        for (const m of to.slice(i, i + SLICE)) m.deliver(frame);
      }
      queue.splice(0, n);
      if (queue.length) await new Promise((r) => setTimeout(r, 0));
    }
    this.#queues.delete(path);
  }

  join(path: string, member: ChatMember): () => void {
    let room = this.#rooms.get(path);
    if (!room) this.#rooms.set(path, room = new Set());
    room.add(member);
    this.#snapshots.delete(path);
    return () => {
      room.delete(member);
      this.#snapshots.delete(path);
      if (room.size === 0 && this.#rooms.get(path) === room) this.#rooms.delete(path);
    };
  }

  count(path: string): number {
    return this.#rooms.get(path)?.size ?? 0;
  }
}
