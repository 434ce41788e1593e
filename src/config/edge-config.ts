// Settings for delivery beyond one box (src/edge/): whether viewers get LL-HLS straight from livegate
// ("direct") or through edge caches / a CDN with signed path prefixes ("edge"), the edges' base URLs, the
// HMAC secret the edges check tokens with, the tokens' lifetime, and the HTTP isolates livegate serves from.
// Parsed here, merged into Config by config.ts.
import { ConfigError } from "./parse.ts";
import { parseDuration } from "./ops-config.ts";

export type DeliveryMode = "direct" | "edge";

export interface EdgeConfig {
  /** The default delivery of every stream (a stream's own setting overrides it). */
  delivery: DeliveryMode;
  /** Base URLs of the edges (`https://edge1.example.com`); a viewer is sent to one of them. */
  urls: string[];
  /** HMAC secret shared with the edges (≥ 32 characters); null: generated in DATA_DIR/edge.secret. */
  secret: string | null;
  /** Lifetime of an edge token, seconds (the player renews at half of it). */
  tokenTtlSeconds: number;
  /** WHEP base URLs of MediaMTX read replicas (`http://replica1:8889`); empty: WHEP through livegate. */
  whepReplicas: string[];
  /**
   * HTTP isolates (LIVEGATE_WORKERS): 1 serves from the main isolate as always; N > 1 serves the port from N
   * Deno Workers (SO_REUSEPORT) in front of the main isolate (src/cluster/). "auto": one per core.
   */
  workers: number;
}

export const EDGE_ENV = {
  delivery: "LIVEGATE_DELIVERY",
  urls: "LIVEGATE_EDGE_URLS",
  secret: "LIVEGATE_EDGE_SECRET",
  tokenTtl: "LIVEGATE_EDGE_TOKEN_TTL",
  whepReplicas: "LIVEGATE_WHEP_REPLICAS",
  workers: "LIVEGATE_WORKERS",
} as const;

/** Most HTTP isolates LIVEGATE_WORKERS accepts. */
export const MAX_WORKERS = 32;

/** LIVEGATE_WORKERS: an integer 1-MAX_WORKERS or "auto" (the cores Deno sees, at most MAX_WORKERS). */
export function parseWorkers(name: string, v: unknown, cores = navigator.hardwareConcurrency): number {
  if (v === undefined || v === null || v === "") return 1;
  const s = String(v).trim();
  if (s === "auto") return Math.max(1, Math.min(MAX_WORKERS, cores || 1));
  if (!/^\d{1,3}$/.test(s) || Number(s) < 1 || Number(s) > MAX_WORKERS) {
    throw new ConfigError(name, `'${s}' must be a number of isolates from 1 to ${MAX_WORKERS}, or auto`);
  }
  return Number(s);
}

type Get = (envName: string, key: string) => { value: unknown; name: string };

function urlList(name: string, v: unknown): string[] {
  if (v === undefined || v === null || v === "") return [];
  const items = Array.isArray(v) ? v : String(v).split(",");
  const out: string[] = [];
  for (const raw of items) {
    const s = String(raw).trim().replace(/\/+$/, "");
    if (!s) continue;
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      throw new ConfigError(name, `'${s}' is not an http(s) URL`);
    }
    if ((u.protocol !== "http:" && u.protocol !== "https:") || u.search || u.hash || u.username) {
      throw new ConfigError(name, `'${s}' must be a plain http(s) base URL (no query, credentials)`);
    }
    out.push(s);
  }
  return out;
}

/** Reads the edge settings; throws ConfigError naming the setting. */
export function loadEdgeConfig(get: Get): EdgeConfig {
  const d = get(EDGE_ENV.delivery, "edge.delivery");
  const delivery = String(d.value ?? "direct");
  if (delivery !== "direct" && delivery !== "edge") {
    throw new ConfigError(d.name, `'${delivery}' must be direct or edge`);
  }
  const u = get(EDGE_ENV.urls, "edge.urls");
  const urls = urlList(u.name, u.value);
  if (delivery === "edge" && urls.length === 0) {
    throw new ConfigError(u.name, `is required with ${EDGE_ENV.delivery}=edge (the edges' base URLs)`);
  }
  const s = get(EDGE_ENV.secret, "edge.secret");
  const secret = s.value === undefined || s.value === null || s.value === "" ? null : String(s.value);
  if (secret !== null && (secret.length < 32 || /\s|"|'|\\/.test(secret))) {
    throw new ConfigError(s.name, "must be at least 32 characters without spaces, quotes or backslashes");
  }
  const t = get(EDGE_ENV.tokenTtl, "edge.tokenTtl");
  const tokenTtlSeconds = parseDuration(t.name, t.value, 120, 10, false);
  if (tokenTtlSeconds > 86400) throw new ConfigError(t.name, "must be at most 24h");
  const r = get(EDGE_ENV.whepReplicas, "edge.whepReplicas");
  const w = get(EDGE_ENV.workers, "edge.workers");
  return {
    workers: parseWorkers(w.name, w.value),
    delivery,
    urls,
    secret,
    tokenTtlSeconds,
    whepReplicas: urlList(r.name, r.value),
  };
}
