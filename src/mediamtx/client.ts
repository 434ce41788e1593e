// The one client of MediaMTX's loopback HTTP listeners (control API, metrics, playback), authenticated with
// livegate's internal credential. Created once by the composition root (src/app/services.ts) and passed to
// whoever needs MediaMTX; nothing else builds its own authenticated fetch. Failures are MtxError
// (src/core/errors.ts): "unreachable" when MediaMTX does not answer, "not_found", "bad_request" or
// "refused" by its status. MediaMTX's API reference: docs/ of bluenviron/mediamtx (v1.20.1, /v3/...).
import type { Config } from "../config/config.ts";
import type { Clock } from "../core/clock.ts";
import { systemClock } from "../core/clock.ts";
import { MtxError } from "../core/errors.ts";
import { mediamtxUrls } from "./env.ts";
import { basicAuth, type MtxSecrets } from "./secrets.ts";

/** MediaMTX source/reader types -> the API collection that can get/kick them. */
const COLLECTIONS: Record<string, string> = {
  rtmpConn: "rtmpconns",
  rtmpsConn: "rtmpsconns",
  rtspSession: "rtspsessions",
  rtspsSession: "rtspssessions",
  srtConn: "srtconns",
  webRTCSession: "webrtcsessions",
  moqSession: "moqsessions",
  hlsSession: "hlssessions",
};

/** A MediaMTX connection or session: `type` as MediaMTX names it (rtmpConn, webRTCSession...), its id. */
export interface MtxConn {
  type: string;
  id: string;
}

export interface LivePath {
  name: string;
  online: boolean;
  onlineSince: string | null;
  codecs: string[];
  inboundBytes: number;
  /** Inbound bits per second since the previous sample of this path (null on the first). */
  bitrate: number | null;
  source: MtxConn | null;
  /** MediaMTX readers, by type (livegate's HLS proxy counts as one hlsMuxer/hidden reader). */
  readers: MtxConn[];
  /** The first video track's size in pixels (tracks2[].codecProps of H.264/H.265/AV1), when MediaMTX says. */
  video?: { width: number; height: number } | null;
}

export interface Publisher {
  type: string;
  id: string;
  remoteAddr: string | null;
  protocol: string;
  inboundBytes: number | null;
  created: string | null;
}

/** A path as MediaMTX's API reports it (the fields livegate reads; names of v1.20.1 and older). */
export interface RawPath {
  name: string;
  online?: boolean;
  ready?: boolean;
  available?: boolean;
  onlineTime?: string | null;
  readyTime?: string | null;
  availableTime?: string | null;
  inboundBytes?: number;
  bytesReceived?: number;
  source?: MtxConn | null;
  readers?: MtxConn[];
  tracks2?: { codec?: string; codecProps?: { width?: number; height?: number } | null }[];
  tracks?: string[];
}

/** Codec names of a raw path's tracks. */
export function codecsOf(p: RawPath): string[] {
  return p.tracks2?.map((t) => String(t.codec ?? "")) ?? p.tracks ?? [];
}

/** The first video track's width and height (MediaMTX's codecProps), or null. */
export function videoSizeOf(p: RawPath): { width: number; height: number } | null {
  for (const t of p.tracks2 ?? []) {
    const w = t.codecProps?.width, h = t.codecProps?.height;
    if (typeof w === "number" && typeof h === "number" && w > 0 && h > 0) return { width: w, height: h };
  }
  return null;
}

export class MtxClient {
  readonly urls: ReturnType<typeof mediamtxUrls>;
  readonly #auth: string;
  readonly #clock: Clock;
  #samples = new Map<string, { t: number; bytes: number; rate: number | null }>();

  constructor(cfg: Config, secrets: MtxSecrets, clock: Clock = systemClock) {
    this.urls = mediamtxUrls(cfg);
    this.#auth = basicAuth(secrets);
    this.#clock = clock;
  }

  /**
   * One request to a MediaMTX listener (with livegate's internal credential unless `headers` carry another
   * authorization); the Response whatever its status, redirects not followed. Throws MtxError "unreachable"
   * when there is no answer within `timeoutMs` (0: no timeout, e.g. for a streamed download that ends
   * with `signal`), or the signal's reason when the abort `signal` fires.
   */
  async request(
    url: string,
    init: { method?: string; body?: string; headers?: Record<string, string>; signal?: AbortSignal } = {},
    timeoutMs = 3000,
  ): Promise<Response> {
    const timeout = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
    const signal = init.signal && timeout ? AbortSignal.any([init.signal, timeout]) : init.signal ?? timeout;
    try {
      return await fetch(url, {
        method: init.method ?? "GET",
        headers: { authorization: this.#auth, ...init.headers },
        body: init.body,
        signal,
        redirect: "manual",
      });
    } catch (e) {
      if (init.signal?.aborted) throw init.signal.reason;
      throw new MtxError("unreachable", `MediaMTX is not reachable (${(e as Error).message})`);
    }
  }

  /** A control API call; the parsed JSON body ({} when empty), null on 404. Throws MtxError. */
  async api(method: "GET" | "POST" | "PATCH", path: string, body?: unknown, timeoutMs = 3000) {
    const res = await this.request(`${this.urls.api}${path}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: body === undefined ? {} : { "content-type": "application/json" },
    }, timeoutMs);
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    const text = await res.text();
    if (!res.ok) {
      throw new MtxError(
        res.status === 400 ? "bad_request" : "refused",
        `MediaMTX API ${method} ${path} answered ${res.status} ${text.slice(0, 200)}`,
        res.status,
      );
    }
    return text ? JSON.parse(text) : {};
  }

  /** MediaMTX's global configuration (also the readiness probe: it answers once MediaMTX is up). */
  async globalConfig(timeoutMs = 3000): Promise<Record<string, unknown>> {
    return await this.api("GET", "/v3/config/global/get", undefined, timeoutMs) ?? {};
  }

  /** Every path MediaMTX knows, raw. */
  async rawPaths(): Promise<RawPath[]> {
    const body = await this.api("GET", "/v3/paths/list?itemsPerPage=1000");
    return (body?.items ?? []) as RawPath[];
  }

  /** One path, raw; null when MediaMTX does not know it. */
  async rawPath(name: string): Promise<RawPath | null> {
    return await this.api("GET", `/v3/paths/get/${encodeURIComponent(name)}`);
  }

  /** Every path with live details (inbound bitrate sampled between calls, at least 500 ms apart). */
  async paths(): Promise<LivePath[]> {
    return (await this.rawPaths()).map((p) => this.#toLive(p));
  }

  #toLive(p: RawPath): LivePath {
    // A pulled source's path is "online" while MediaMTX tries to pull it; it is live once available.
    const pulled = !!p.source?.type && /Source$/.test(p.source.type);
    const online = pulled ? !!(p.available ?? p.ready) : !!(p.online ?? p.ready);
    const bytes = p.inboundBytes ?? p.bytesReceived ?? 0;
    const now = this.#clock.now();
    const prev = this.#samples.get(p.name);
    let rate: number | null = prev?.rate ?? null;
    if (prev && now - prev.t >= 500 && bytes >= prev.bytes) {
      rate = Math.round(((bytes - prev.bytes) * 8 * 1000) / (now - prev.t));
    }
    if (!prev || now - prev.t >= 500) this.#samples.set(p.name, { t: now, bytes, rate });
    return {
      name: p.name,
      online,
      onlineSince: p.onlineTime ?? p.readyTime ?? null,
      codecs: codecsOf(p),
      inboundBytes: bytes,
      bitrate: online ? rate : null,
      source: p.source ?? null,
      readers: p.readers ?? [],
      video: videoSizeOf(p),
    };
  }

  /** The publisher of a path, with its remote address; null when nobody publishes. */
  async publisherOf(p: LivePath): Promise<Publisher | null> {
    if (!p.source) return null;
    const coll = COLLECTIONS[p.source.type];
    const base: Publisher = {
      type: p.source.type,
      id: p.source.id,
      remoteAddr: null,
      protocol: p.source.type.replace(/(Conn|Session|Source)$/, "").toLowerCase(),
      inboundBytes: null,
      created: null,
    };
    if (!coll) return base;
    const d = await this.api("GET", `/v3/${coll}/get/${encodeURIComponent(p.source.id)}`);
    if (!d) return base;
    return {
      ...base,
      remoteAddr: d.remoteAddr ?? null,
      inboundBytes: d.inboundBytes ?? d.bytesReceived ?? null,
      created: d.created ?? null,
    };
  }

  /**
   * Kicks whoever publishes to `path`. Returns the kicked source, or null when the path is not being
   * published (or its source cannot be kicked, e.g. a pulled source).
   */
  async kickPublisher(path: string): Promise<MtxConn | null> {
    const p = await this.rawPath(path);
    return p?.source ? await this.kick(p.source) : null;
  }

  /** Kicks one MediaMTX connection or session; null when it is gone or cannot be kicked. */
  async kick(src: MtxConn): Promise<MtxConn | null> {
    const coll = COLLECTIONS[src.type];
    if (!coll) return null;
    const r = await this.api("POST", `/v3/${coll}/kick/${encodeURIComponent(src.id)}`);
    return r === null ? null : { type: src.type, id: src.id };
  }

  /**
   * Adds a path configuration, or patches it when it exists (config/paths/add, then config/paths/patch).
   * Throws MtxError when MediaMTX refuses both.
   */
  async setPathConfig(name: string, conf: Record<string, unknown>): Promise<void> {
    try {
      await this.api("POST", `/v3/config/paths/add/${encodeURIComponent(name)}`, conf);
    } catch (e) {
      if (!(e instanceof MtxError && /exist/i.test(e.message))) throw e;
      await this.api("PATCH", `/v3/config/paths/patch/${encodeURIComponent(name)}`, conf);
    }
  }

  /** MediaMTX's own Prometheus metrics text. Throws MtxError when they cannot be read. */
  async metricsText(): Promise<string> {
    const res = await this.request(`${this.urls.metrics}/metrics`);
    if (!res.ok) {
      await res.body?.cancel();
      throw new MtxError("refused", `MediaMTX metrics answered ${res.status}`, res.status);
    }
    return await res.text();
  }

  /**
   * A request to the playback server (`/list?...` or `/get?...`); the Response whatever its status. With
   * `signal` (a streamed download) there is no timeout: the download ends when the signal fires.
   */
  async playback(pathAndQuery: string, signal?: AbortSignal): Promise<Response> {
    return await this.request(`${this.urls.playback}${pathAndQuery}`, { signal }, signal ? 0 : 10_000);
  }
}
