// Anonymous viewer identities for analytics: what livegate knows of a viewer (login session id, share link
// id + address, or address) never reaches storage; only SHA-256(salt + identity), cut to 16 hex digits, is
// stored. The salt is random, kept in KV for one UTC day and then replaced (the old one is overwritten),
// so hashes of different days cannot be linked and, once the day is over, not turned back into addresses
// by trying them all. Within a day a viewer keeps its hash across livegate restarts.
import type { Clock } from "../core/clock.ts";
import { randomToken, sha256Hex } from "../core/crypto.ts";
import { getSalt, K } from "../store/analytics.ts";
import type { Store } from "../store/kv.ts";

/** The UTC day of `ms` as YYYY-MM-DD. */
export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export class ViewerHasher {
  #day = "";
  #salt = "";
  #cache = new Map<string, string>();
  #loading: Promise<void> | undefined;

  constructor(private readonly store: Store, private readonly clock: Clock) {}

  /** The current day's salt, read from KV or made (and stored) when the day has none yet. */
  async #ensure(): Promise<void> {
    const day = utcDay(this.clock.now());
    if (day === this.#day) return;
    this.#loading ??= (async () => {
      const cur = await this.store.kv.get<{ day: string; salt: string }>(K.salt);
      let salt = cur.value?.day === day ? cur.value.salt : "";
      if (!salt) {
        salt = randomToken(32);
        // Replaces yesterday's salt; the check keeps the first of two concurrent makers.
        const r = await this.store.kv.atomic().check(cur).set(K.salt, { day, salt }).commit();
        if (!r.ok) salt = (await getSalt(this.store))?.salt ?? salt;
      }
      this.#day = day;
      this.#salt = salt;
      this.#cache.clear();
    })().finally(() => this.#loading = undefined);
    await this.#loading;
  }

  /** The stored form of viewer identity `id`: 16 hex digits, stable for the current UTC day. */
  async hash(id: string): Promise<string> {
    await this.#ensure();
    let h = this.#cache.get(id);
    if (!h) {
      h = (await sha256Hex(`${this.#salt}\n${id}`)).slice(0, 16);
      if (this.#cache.size > 200_000) this.#cache.clear();
      this.#cache.set(id, h);
    }
    return h;
  }
}
