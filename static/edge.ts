// Where the player loads LL-HLS from (GET /api/streams/<path>/delivery, src/edge/routes.ts): livegate's own
// /hls/<path>/index.m3u8 ("direct"), or an edge with a signed path prefix `<edge>/e/<token>/<path>/…`
// ("edge"). Edge tokens expire (LIVEGATE_EDGE_TOKEN_TTL): the source asks for a new one at half its life
// and hls.js's loader puts the current token into every URL it requests, so playback continues across
// renewals (relative URIs in the playlists still carry the token they were loaded with). A viewer whose
// access was taken away gets no new token and stops at the old one's expiry.

/** The delivery API's answer (src/edge/delivery.ts PlayUrls). */
export interface PlayUrls {
  mode: "direct" | "edge";
  hls: string;
  token?: string;
  expiresAt?: number;
  /** A MediaMTX read replica's WHEP endpoint and the token it accepts (LIVEGATE_WHEP_REPLICAS). */
  whep?: { url: string; token: string; expiresAt: number };
}

/**
 * The delivery API's answer for `path`, or null (an older server, a refusal, a network error). `query`:
 * "?share=…" in an embedded player (third-party frames send no cookies, so the share link rides along).
 */
export async function loadDelivery(path: string, query = ""): Promise<PlayUrls | null> {
  try {
    const r = await fetch(`/api/streams/${encodeURIComponent(path)}/delivery${query}`, {
      cache: "no-store",
      credentials: "same-origin",
    });
    if (!r.ok) return null;
    const urls = await r.json() as PlayUrls;
    return typeof urls.hls === "string" ? urls : null;
  } catch {
    return null;
  }
}

const TOKEN_IN_URL = /\/e\/[^/]+\//;

/** The LL-HLS source of one playback session. */
export class HlsSource {
  #token: string;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(readonly path: string, readonly urls: PlayUrls) {
    this.#token = urls.token ?? "";
    if (urls.mode === "edge") this.#schedule(urls.expiresAt ?? 0);
  }

  /** Asks livegate; falls back to direct when the answer is not usable (an older server, a network error). */
  static async load(path: string, query = ""): Promise<HlsSource> {
    const direct: PlayUrls = { mode: "direct", hls: `/hls/${encodeURIComponent(path)}/index.m3u8${query}` };
    // A share link in an embed plays from livegate itself (its URLs carry the token: shareQuery).
    if (query) return new HlsSource(path, direct);
    return new HlsSource(path, await loadDelivery(path) ?? direct);
  }

  get edge(): boolean {
    return this.urls.mode === "edge";
  }

  /** The multivariant playlist URL to start with. */
  get src(): string {
    return this.urls.hls;
  }

  /** `url` with the current token (edge URLs only; others unchanged). */
  rewrite(url: string): string {
    return this.edge && this.#token ? url.replace(TOKEN_IN_URL, `/e/${this.#token}/`) : url;
  }

  /** A loader class for hls.js (`loader` option) that sends every request with the current token. */
  // deno-lint-ignore no-explicit-any
  loader<T extends new (...a: any[]) => any>(Base: T): T {
    // deno-lint-ignore no-this-alias
    const source = this;
    return class extends Base {
      // deno-lint-ignore no-explicit-any
      load(context: { url: string }, ...rest: any[]) {
        context.url = source.rewrite(context.url);
        return super.load(context, ...rest);
      }
    };
  }

  /** Stops renewing. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(expiresAt: number) {
    const wait = Math.max(1000, (expiresAt - Date.now()) / 2);
    this.#timer = setTimeout(() => void this.#renew(), wait);
  }

  async #renew() {
    if (this.#stopped) return;
    try {
      const r = await fetch(`/api/streams/${encodeURIComponent(this.path)}/delivery`, {
        cache: "no-store",
        credentials: "same-origin",
      });
      if (r.ok) {
        const u = await r.json() as PlayUrls;
        if (u.mode === "edge" && u.token) {
          this.#token = u.token;
          this.#schedule(u.expiresAt ?? 0);
          return;
        }
      }
      // Refused (access taken away) or switched to direct: keep the old token until it expires; the
      // player's error handling then starts a new session, which asks again.
    } catch {
      if (!this.#stopped) this.#timer = setTimeout(() => void this.#renew(), 5000);
    }
  }
}
