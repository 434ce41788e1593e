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

/** In-process fan-out: a set of members per path; a frame is serialized once and handed to each. */
export class LocalFanout implements Fanout {
  readonly #rooms = new Map<string, Set<ChatMember>>();

  publish(path: string, frame: string): void {
    const room = this.#rooms.get(path);
    if (!room) return;
    for (const m of room) m.deliver(frame);
  }

  join(path: string, member: ChatMember): () => void {
    let room = this.#rooms.get(path);
    if (!room) this.#rooms.set(path, room = new Set());
    room.add(member);
    return () => {
      room.delete(member);
      if (room.size === 0 && this.#rooms.get(path) === room) this.#rooms.delete(path);
    };
  }

  count(path: string): number {
    return this.#rooms.get(path)?.size ?? 0;
  }
}
