// Settings for recording, metrics and webhooks (parsed here, merged into Config by config.ts).
import { isAbsolute, join, resolve } from "node:path";
import { ConfigError, parseBool } from "./parse.ts";
import { NAME_RE } from "../core/names.ts";

export interface RecordingConfig {
  /** Record every path unless `paths` says otherwise. */
  enabled: boolean;
  /** Per-path overrides: path name -> record or not. */
  paths: Record<string, boolean>;
  /** Where MediaMTX writes segments (`<dir>/<path>/<time>.mp4`). */
  dir: string;
  /** Delete segments older than this many seconds (0: keep forever). */
  retentionSeconds: number;
  /** Length of one segment file in seconds. */
  segmentSeconds: number;
  /** Below this many free bytes on the recordings disk livegate warns (page, log, metrics). */
  minFreeBytes: number;
}

export interface MetricsConfig {
  /** Bearer token for /metrics (none by default). */
  token?: string;
  /** Client IPs / CIDRs allowed to read /metrics without a token. */
  allow: string[];
}

export interface WebhooksConfig {
  urls: string[];
  secret?: string;
}

export interface OpsConfig {
  recording: RecordingConfig;
  metrics: MetricsConfig;
  webhooks: WebhooksConfig;
}

export const OPS_ENV = {
  record: "LIVEGATE_RECORD",
  recordPaths: "LIVEGATE_RECORD_PATHS",
  recordDir: "LIVEGATE_RECORD_DIR",
  recordRetention: "LIVEGATE_RECORD_RETENTION",
  recordSegment: "LIVEGATE_RECORD_SEGMENT",
  recordMinFree: "LIVEGATE_RECORD_MIN_FREE",
  metricsToken: "LIVEGATE_METRICS_TOKEN",
  metricsAllow: "LIVEGATE_METRICS_ALLOW",
  webhookUrls: "LIVEGATE_WEBHOOK_URLS",
  webhookSecret: "LIVEGATE_WEBHOOK_SECRET",
} as const;

type Get = (envName: string, key: string) => { value: unknown; name: string };

/** "0" (off), "90", "30s", "15m", "24h", "7d" -> seconds. */
export function parseDuration(
  name: string,
  v: unknown,
  def: number,
  min: number,
  allowZero: boolean,
): number {
  if (v === undefined || v === null || v === "") return def;
  const m = /^(\d{1,9})\s*([smhd]?)$/.exec(String(v).trim());
  if (!m) throw new ConfigError(name, `'${v}' is not a duration (e.g. 30s, 15m, 24h, 7d)`);
  const n = Number(m[1]) * { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2]]!;
  if (n === 0 && allowZero) return 0;
  if (n < min || n > 3650 * 86400) {
    throw new ConfigError(name, `'${v}' must be between ${min} s and 10 years${allowZero ? " (or 0)" : ""}`);
  }
  return n;
}

/** A size ("500M", "2G", "1024") in bytes; `def` when unset; throws ConfigError naming the setting. */
export function bytes(name: string, v: unknown, def: number): number {
  if (v === undefined || v === null || v === "") return def;
  const m = /^(\d{1,15})\s*([KMGT]?)i?B?$/i.exec(String(v).trim());
  if (!m) throw new ConfigError(name, `'${v}' is not a size (e.g. 500M, 2G)`);
  const mult = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[m[2].toUpperCase()]!;
  return Number(m[1]) * mult;
}

function list(v: unknown): string[] {
  if (v === undefined || v === null || v === "") return [];
  const items = Array.isArray(v) ? v.map(String) : String(v).split(/[,\s]+/);
  return items.map((s) => s.trim()).filter(Boolean);
}

function recordPaths(name: string, v: unknown): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  if (v === undefined || v === null || v === "") return out;
  let entries: [string, unknown][];
  if (typeof v === "object" && !Array.isArray(v)) entries = Object.entries(v as Record<string, unknown>);
  else {
    entries = list(v).map((item) => {
      const i = item.indexOf("=");
      if (i < 0) throw new ConfigError(name, `'${item}' must look like PATH=on or PATH=off`);
      return [item.slice(0, i), item.slice(i + 1)];
    });
  }
  for (const [path, val] of entries) {
    if (!NAME_RE.test(path)) throw new ConfigError(name, `'${path}' is not a valid path name`);
    out[path] = parseBool(`${name} (${path})`, val, true);
  }
  return out;
}

/** Parses an IP or CIDR (v4 or v6); returns null when it is neither. */
export function isIpOrCidr(s: string): boolean {
  const [ip, bits, extra] = s.split("/");
  if (extra !== undefined) return false;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (v4) {
    if (v4.slice(1).some((o) => Number(o) > 255)) return false;
    return bits === undefined || (/^\d{1,2}$/.test(bits) && Number(bits) <= 32);
  }
  if (/^[0-9a-fA-F:]+$/.test(ip) && ip.includes(":")) {
    return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= 128);
  }
  return false;
}

export function loadOpsConfig(get: Get, dataDir: string): OpsConfig {
  const g = (k: keyof typeof OPS_ENV, fileKey: string) => get(OPS_ENV[k], fileKey);

  const rec = g("record", "recording.enabled");
  const rp = g("recordPaths", "recording.paths");
  const rd = g("recordDir", "recording.dir");
  let dir = rd.value === undefined || rd.value === "" ? join(dataDir, "recordings") : String(rd.value);
  if (!isAbsolute(dir)) dir = resolve(dir);
  if (dir.includes("%")) throw new ConfigError(rd.name, "must not contain '%'");
  const rr = g("recordRetention", "recording.retention");
  const rs = g("recordSegment", "recording.segmentDuration");
  const mf = g("recordMinFree", "recording.minFree");

  const mt = g("metricsToken", "metrics.token");
  const token = mt.value === undefined || mt.value === "" ? undefined : String(mt.value);
  if (token !== undefined && (token.length < 16 || /\s/.test(token))) {
    throw new ConfigError(mt.name, "must be at least 16 characters without spaces");
  }
  const ma = g("metricsAllow", "metrics.allow");
  const allow = list(ma.value);
  for (const a of allow) {
    if (!isIpOrCidr(a)) throw new ConfigError(ma.name, `'${a}' is not an IP address or CIDR`);
  }

  const wu = g("webhookUrls", "webhooks.urls");
  const urls = list(wu.value);
  for (const u of urls) {
    let ok = false;
    try {
      ok = ["http:", "https:"].includes(new URL(u).protocol);
    } catch { /* invalid */ }
    if (!ok) throw new ConfigError(wu.name, `'${u}' is not an http(s) URL`);
  }
  const ws = g("webhookSecret", "webhooks.secret");
  const secret = ws.value === undefined || ws.value === "" ? undefined : String(ws.value);
  if (urls.length && !secret) {
    throw new ConfigError(
      OPS_ENV.webhookSecret,
      `is required when ${wu.name} is set (webhooks are signed with it; JSON key webhooks.secret)`,
    );
  }
  if (secret !== undefined && secret.length < 16) {
    throw new ConfigError(ws.name, "must be at least 16 characters");
  }

  // MediaMTX refuses a retention shorter than one segment: by default segments follow a short retention.
  const retentionSeconds = parseDuration(rr.name, rr.value, 86400, 1, true);
  const segDefault = retentionSeconds > 0 ? Math.min(3600, retentionSeconds) : 3600;
  const segmentSeconds = parseDuration(rs.name, rs.value, segDefault, 1, false);
  if (retentionSeconds > 0 && segmentSeconds > retentionSeconds) {
    throw new ConfigError(
      rs.name,
      `must not be longer than the retention (${rr.name}, ${retentionSeconds} s)`,
    );
  }

  return {
    recording: {
      enabled: parseBool(rec.name, rec.value, true),
      paths: recordPaths(rp.name, rp.value),
      dir,
      retentionSeconds,
      segmentSeconds,
      minFreeBytes: bytes(mf.name, mf.value, 1024 ** 3),
    },
    metrics: { token, allow },
    webhooks: { urls, secret },
  };
}
