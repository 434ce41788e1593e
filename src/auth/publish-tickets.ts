// Publish tickets: how livegate vouches to MediaMTX's auth hook that a logged-in user may publish to one
// path from the browser (WHIP). livegate creates a ticket only after checking the session, the CSRF token
// and the door's publish decision (access.ts); it passes it to MediaMTX as the WHIP request's bearer token, and the hook accepts it
// once, for exactly that path, over WebRTC, within a few seconds. Only a hash is kept in memory.
import type { Clock } from "../core/clock.ts";
import { systemClock } from "../core/clock.ts";
import { randomToken, sha256Hex } from "../core/crypto.ts";

/** Prefix of browser publish tickets (never a stream key prefix). */
export const PUBLISH_TICKET_PREFIX = "lgw_";
const TICKET_PREFIX = PUBLISH_TICKET_PREFIX;

export const TICKET_TTL_MS = 15_000;
const MAX_TICKETS = 10_000;

interface Ticket {
  path: string;
  user: string;
  expiresAt: number;
}

export class PublishTickets {
  #byHash = new Map<string, Ticket>();
  #clock: Clock;
  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }
  private now(): number {
    return this.#clock.now();
  }

  async create(path: string, user: string): Promise<string> {
    this.#prune();
    if (this.#byHash.size >= MAX_TICKETS) throw new Error("too many pending publish tickets");
    const ticket = TICKET_PREFIX + randomToken(32);
    this.#byHash.set(await sha256Hex(ticket), { path, user, expiresAt: this.now() + TICKET_TTL_MS });
    return ticket;
  }

  /** Consumes the ticket: returns the user it was made for when valid for `path`, else null. */
  async redeem(path: string, ticket: string): Promise<string | null> {
    if (!ticket.startsWith(TICKET_PREFIX) || ticket.length > 200) return null;
    const h = await sha256Hex(ticket);
    const t = this.#byHash.get(h);
    if (!t) return null;
    this.#byHash.delete(h);
    if (t.expiresAt < this.now() || t.path !== path) return null;
    return t.user;
  }

  /** Drops an unused ticket (e.g. MediaMTX refused the offer before asking the hook). */
  async revoke(ticket: string): Promise<void> {
    this.#byHash.delete(await sha256Hex(ticket));
  }

  get size(): number {
    return this.#byHash.size;
  }

  #prune() {
    const now = this.now();
    for (const [h, t] of this.#byHash) if (t.expiresAt < now) this.#byHash.delete(h);
  }
}
