// One upstream request per HLS file, however many viewers ask for it. LL-HLS viewers all block on the same
// playlist reload (_HLS_msn/_HLS_part) and then fetch the same new part at the same moment: identical
// requests in flight are coalesced into a single request to MediaMTX, and media files (.mp4 parts,
// segments, init; immutable, uniquely named by MediaMTX) are kept in memory for a few seconds, bounded in
// bytes. Playlists are never kept after they are answered. Viewers get clones of one response (HlsProxy);
// one leaving does not cancel the shared request (it ends by itself: MediaMTX answers or the timeout hits).
import { readBodyBytesCapped } from "../core/body.ts";

export interface SharedOptions {
  /** How long a media file stays in memory after it was fetched. */
  keepMs: number;
  /** Memory bound for kept files. */
  maxBytes: number;
  /** Largest body buffered (bigger ones fail with an error; HLS parts and segments are far smaller). */
  maxBody: number;
  /** Upstream timeout (blocking playlist reloads wait at MediaMTX for the next part). */
  timeoutMs: number;
}

export interface Entry {
  status: number;
  headers: [string, string][];
  body: Uint8Array<ArrayBuffer>;
  at: number;
}

export const DEFAULTS: SharedOptions = {
  keepMs: 10_000,
  maxBytes: 64 * 1024 * 1024,
  maxBody: 32 * 1024 * 1024,
  timeoutMs: 30_000,
};

const isMedia = (file: string) => /\.(mp4|m4s|ts|aac)$/.test(file);

export class SharedFetch {
  #inflight = new Map<string, Promise<Entry>>();
  #kept = new Map<string, Entry>();
  #bytes = 0;
  readonly opts: SharedOptions;
  /** Upstream requests actually made (for tests and metrics). */
  upstreamRequests = 0;

  constructor(readonly headers: Record<string, string>, opts: Partial<SharedOptions> = {}) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  /** The kept answer for `url`, if it is in memory (no waiting). */
  peek(url: string): Entry | undefined {
    this.#expire(Date.now());
    return this.#kept.get(url);
  }

  /** The answer for `url`: kept, or the request in flight, or a new upstream request. */
  get(url: string, file: string, signal?: AbortSignal): Promise<Entry> {
    const e = this.peek(url);
    if (e) return Promise.resolve(e);
    let p = this.#inflight.get(url);
    if (!p) {
      p = this.#load(url, file).finally(() => this.#inflight.delete(url));
      this.#inflight.set(url, p);
    }
    return signal ? abortable(p, signal) : p;
  }

  async #load(url: string, file: string): Promise<Entry> {
    this.upstreamRequests++;
    const res = await fetch(url, {
      headers: this.headers,
      redirect: "manual",
      signal: AbortSignal.timeout(this.opts.timeoutMs),
    });
    const body = await readBodyBytesCapped(res, this.opts.maxBody);
    const headers: [string, string][] = [];
    res.headers.forEach((v, k) => {
      if (k !== "content-length" && k !== "transfer-encoding" && k !== "connection") headers.push([k, v]);
    });
    headers.push(["content-length", String(body.byteLength)]);
    const e: Entry = { status: res.status, headers, body, at: Date.now() };
    if (res.status === 200 && isMedia(file) && body.byteLength <= this.opts.maxBytes / 8) this.#keep(url, e);
    return e;
  }

  #keep(url: string, e: Entry) {
    this.#kept.set(url, e);
    this.#bytes += e.body.byteLength;
    for (const [k, old] of this.#kept) {
      if (this.#bytes <= this.opts.maxBytes) break;
      this.#kept.delete(k);
      this.#bytes -= old.body.byteLength;
    }
  }

  #expire(now: number) {
    for (const [k, e] of this.#kept) {
      if (now - e.at < this.opts.keepMs) break; // insertion order = age order
      this.#kept.delete(k);
      this.#bytes -= e.body.byteLength;
    }
  }

  get keptBytes(): number {
    return this.#bytes;
  }
}

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
