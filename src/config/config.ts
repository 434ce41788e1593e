// Loads livegate's configuration from an optional JSON file and LIVEGATE_* environment variables
// (environment wins), and validates every setting with an error that names it.
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadOpsConfig, type OpsConfig } from "./ops-config.ts";
import { type ClipsConfig, loadClipsConfig } from "./clips-config.ts";
import { type AnalyticsConfig, loadAnalyticsConfig } from "./analytics-config.ts";
import { ConfigError, parseBool } from "./parse.ts";
import { type EdgeConfig, loadEdgeConfig } from "./edge-config.ts";
import { loadSsoConfig, type SsoConfig } from "./sso-config.ts";

export { ConfigError, parseBool };

export interface MediaMtxPorts {
  rtmp: number;
  rtsp: number;
  srt: number;
  hls: number;
  webrtc: number;
  webrtcUdp: number;
  api: number;
  metrics: number;
  playback: number;
}

/** Recording, metrics and webhook settings are in ops-config.ts. */
export interface Config extends OpsConfig, SsoConfig {
  host: string;
  port: number;
  dataDir: string;
  publicUrl: string;
  /** Whether LIVEGATE_PUBLIC_URL was set; unset, links use the host the browser reached livegate on. */
  publicUrlSet: boolean;
  /** Host name printed in publish URLs (the machine streamers reach). */
  publishHost: string;
  /** Whether LIVEGATE_PUBLISH_HOST was set (unset: the public URL's host, or the reached host). */
  publishHostSet: boolean;
  mediamtx: {
    bin: string;
    configFile: string;
    /** Start and supervise MediaMTX (false when it runs separately). */
    manage: boolean;
    ports: MediaMtxPorts;
    /** WebRTC: IPs / host names clients reach MediaMTX's ICE port at (NAT 1:1, LAN or public IP). */
    webrtcAdditionalHosts: string[];
    /** WebRTC ICE over TCP on this port (null: UDP only). */
    webrtcTcpPort: number | null;
  };
  sessionTtlSeconds: number;
  /** Set the Secure flag on cookies. "auto": when the request arrived over HTTPS. */
  secureCookies: "auto" | "always" | "never";
  /** Trust X-Forwarded-For / X-Forwarded-Proto from a reverse proxy on loopback. */
  trustProxy: boolean;
  loginLimits: { perIp: number; perUser: number; windowSeconds: number };
  adminPassword?: string;
  /** Clips and thumbnails (clips-config.ts). */
  clips: ClipsConfig;
  /** Stream analytics (analytics-config.ts). */
  analytics: AnalyticsConfig;
  /** Delivery through edge caches / CDNs, read replicas, HTTP isolates (edge-config.ts). */
  edge: EdgeConfig;
}

/** Every setting, its environment variable and its default (documented in the README). */
export const ENV = {
  host: "LIVEGATE_HOST",
  port: "LIVEGATE_PORT",
  dataDir: "LIVEGATE_DATA_DIR",
  publicUrl: "LIVEGATE_PUBLIC_URL",
  publishHost: "LIVEGATE_PUBLISH_HOST",
  mediamtxBin: "MEDIAMTX_BIN",
  mediamtxConfig: "LIVEGATE_MEDIAMTX_CONFIG",
  mediamtxManage: "LIVEGATE_MEDIAMTX_MANAGE",
  sessionTtl: "LIVEGATE_SESSION_TTL",
  secureCookies: "LIVEGATE_SECURE_COOKIES",
  trustProxy: "LIVEGATE_TRUST_PROXY",
  adminPassword: "LIVEGATE_ADMIN_PASSWORD",
  webrtcAdditionalHosts: "LIVEGATE_WEBRTC_ADDITIONAL_HOSTS",
  webrtcTcpPort: "LIVEGATE_WEBRTC_TCP_PORT",
  configFile: "LIVEGATE_CONFIG",
} as const;

const PORT_ENV: Record<keyof MediaMtxPorts, [string, number]> = {
  rtmp: ["LIVEGATE_RTMP_PORT", 1935],
  rtsp: ["LIVEGATE_RTSP_PORT", 8554],
  srt: ["LIVEGATE_SRT_PORT", 8890],
  hls: ["LIVEGATE_MTX_HLS_PORT", 8888],
  webrtc: ["LIVEGATE_MTX_WEBRTC_PORT", 8889],
  webrtcUdp: ["LIVEGATE_WEBRTC_UDP_PORT", 8189],
  api: ["LIVEGATE_MTX_API_PORT", 9997],
  metrics: ["LIVEGATE_MTX_METRICS_PORT", 9998],
  playback: ["LIVEGATE_MTX_PLAYBACK_PORT", 9996],
};

type Source = Record<string, unknown>;

function pick(env: Record<string, string | undefined>, file: Source, envName: string, fileKey: string) {
  const v = env[envName];
  if (v !== undefined && v !== "") return { value: v as unknown, name: envName };
  const f = fileKey.split(".").reduce<unknown>(
    (o, k) => (o && typeof o === "object" ? (o as Source)[k] : undefined),
    file,
  );
  return { value: f, name: fileKey };
}

export function parsePort(name: string, v: unknown, def: number): number {
  if (v === undefined || v === null || v === "") return def;
  const n = typeof v === "number" ? v : /^\d+$/.test(String(v).trim()) ? Number(String(v).trim()) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new ConfigError(name, `'${v}' is not a port number (1-65535)`);
  }
  return n;
}

function parseSeconds(name: string, v: unknown, def: number): number {
  if (v === undefined || v === null || v === "") return def;
  const m = /^(\d+)\s*([smhd]?)$/.exec(String(v).trim());
  if (!m) throw new ConfigError(name, `'${v}' is not a duration (e.g. 3600, 90m, 12h, 7d)`);
  const mult = { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2]]!;
  const n = Number(m[1]) * mult;
  if (n < 60 || n > 400 * 86400) throw new ConfigError(name, `'${v}' must be between 1 minute and 400 days`);
  return n;
}

const HOST_RE =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** A list of IPs / host names, as an array or a comma-separated string. */
export function parseHostList(name: string, v: unknown): string[] {
  if (v === undefined || v === null || v === "") return [];
  const items = Array.isArray(v) ? v : String(v).split(",");
  const out: string[] = [];
  for (const raw of items) {
    if (typeof raw !== "string") throw new ConfigError(name, `'${raw}' is not a host name or IP`);
    const h = raw.trim();
    if (!h) continue;
    const ipv6 = h.includes(":") && /^[0-9A-Fa-f:.]+$/.test(h);
    if (!ipv6 && !HOST_RE.test(h)) throw new ConfigError(name, `'${h}' is not a host name or IP`);
    out.push(h);
  }
  return out;
}

/**
 * The directory of this source tree (or of the compiled binary's embedded tree). This module lives in
 * src/config/; bundled into one file (`deno compile --bundle`) it sits at the root next to static/.
 */
export function appRoot(moduleUrl: string): string {
  const here = dirname(fileURLToPath(moduleUrl));
  return basename(here) === "config" && basename(dirname(here)) === "src" ? resolve(here, "../..") : here;
}
export const APP_ROOT = appRoot(import.meta.url);

export function loadConfig(
  env: Record<string, string | undefined> = Deno.env.toObject(),
  fileOverride?: string,
): Config {
  const filePath = fileOverride ?? env[ENV.configFile];
  let file: Source = {};
  if (filePath) {
    let text: string;
    try {
      text = Deno.readTextFileSync(filePath);
    } catch (e) {
      throw new ConfigError(ENV.configFile, `cannot read ${filePath}: ${(e as Error).message}`);
    }
    try {
      const parsed = JSON.parse(text);
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new Error("not a JSON object");
      }
      file = parsed;
    } catch (e) {
      throw new ConfigError(ENV.configFile, `${filePath} is not valid JSON: ${(e as Error).message}`);
    }
  }
  const get = (envName: string, key: string) => pick(env, file, envName, key);

  const host = String(get(ENV.host, "host").value ?? "0.0.0.0");
  const portP = get(ENV.port, "port");
  const port = parsePort(portP.name, portP.value, 3000);

  const ports = {} as MediaMtxPorts;
  for (const [k, [envName, def]] of Object.entries(PORT_ENV)) {
    const p = get(envName, `mediamtx.ports.${k}`);
    ports[k as keyof MediaMtxPorts] = parsePort(p.name, p.value, def);
  }
  const tcpP = get(ENV.webrtcTcpPort, "mediamtx.ports.webrtcTcp");
  const webrtcTcpPort = tcpP.value === undefined || tcpP.value === null || tcpP.value === ""
    ? null
    : parsePort(tcpP.name, tcpP.value, 0);
  const all: [string, number][] = [["port", port], ...Object.entries(ports)];
  if (webrtcTcpPort !== null) all.push(["webrtcTcp", webrtcTcpPort]);
  const seen = new Map<number, string>();
  for (const [k, p] of all) {
    if (seen.has(p)) throw new ConfigError(k, `port ${p} is also used by ${seen.get(p)}`);
    seen.set(p, k);
  }

  const dd = get(ENV.dataDir, "dataDir");
  const dataDir = resolve(String(dd.value ?? "data"));

  const pu = get(ENV.publicUrl, "publicUrl");
  const publicUrl = String(pu.value ?? `http://localhost:${port}`).replace(/\/+$/, "");
  try {
    const u = new URL(publicUrl);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
  } catch {
    throw new ConfigError(pu.name, `'${publicUrl}' is not an http(s) URL`);
  }
  const ph = get(ENV.publishHost, "publishHost");
  const publishHost = String(ph.value ?? new URL(publicUrl).hostname);

  const bin = get(ENV.mediamtxBin, "mediamtx.bin");
  const cf = get(ENV.mediamtxConfig, "mediamtx.configFile");
  let configFile = String(cf.value ?? join(APP_ROOT, "mediamtx.yml"));
  if (!isAbsolute(configFile)) configFile = resolve(configFile);
  const manageP = get(ENV.mediamtxManage, "mediamtx.manage");

  const sc = get(ENV.secureCookies, "secureCookies");
  const secureCookies = String(sc.value ?? "auto");
  if (!["auto", "always", "never"].includes(secureCookies)) {
    throw new ConfigError(sc.name, `'${secureCookies}' must be auto, always or never`);
  }
  const ttl = get(ENV.sessionTtl, "sessionTtl");
  const tp = get(ENV.trustProxy, "trustProxy");
  const ap = get(ENV.adminPassword, "adminPassword");
  const adminPassword = ap.value === undefined ? undefined : String(ap.value);
  if (adminPassword !== undefined && adminPassword.length < 8) {
    throw new ConfigError(ap.name, "must be at least 8 characters");
  }

  return {
    host,
    port,
    dataDir,
    publicUrl,
    publicUrlSet: pu.value !== undefined,
    publishHost,
    publishHostSet: ph.value !== undefined,
    mediamtx: {
      bin: String(bin.value ?? ""),
      configFile,
      manage: parseBool(manageP.name, manageP.value, true),
      ports,
      webrtcAdditionalHosts: parseHostList(
        get(ENV.webrtcAdditionalHosts, "mediamtx.webrtcAdditionalHosts").name,
        get(ENV.webrtcAdditionalHosts, "mediamtx.webrtcAdditionalHosts").value,
      ),
      webrtcTcpPort,
    },
    sessionTtlSeconds: parseSeconds(ttl.name, ttl.value, 7 * 86400),
    secureCookies: secureCookies as Config["secureCookies"],
    trustProxy: parseBool(tp.name, tp.value, false),
    loginLimits: { perIp: 10, perUser: 20, windowSeconds: 900 },
    adminPassword,
    ...loadOpsConfig(get, dataDir),
    clips: loadClipsConfig(get, dataDir),
    analytics: loadAnalyticsConfig(get),
    edge: loadEdgeConfig(get),
    ...loadSsoConfig(get, env),
  };
}

/** Makes sure the data dir exists and is writable; errors name the setting. */
export async function prepareDataDir(cfg: Config): Promise<void> {
  try {
    await Deno.mkdir(cfg.dataDir, { recursive: true });
    const probe = join(cfg.dataDir, `.write-test-${crypto.randomUUID()}`);
    await Deno.writeTextFile(probe, "ok");
    await Deno.remove(probe);
  } catch (e) {
    throw new ConfigError(
      ENV.dataDir,
      `data dir ${cfg.dataDir} is not usable (${
        (e as Error).message
      }); set ${ENV.dataDir} to a writable directory`,
    );
  }
}

/** Fails with the setting's name when a port cannot be bound. */
export function checkPortFree(setting: string, host: string, port: number): void {
  try {
    Deno.listen({ hostname: host, port }).close();
  } catch (e) {
    if (e instanceof Deno.errors.AddrInUse) {
      throw new ConfigError(
        setting,
        `port ${port} is already in use on ${host}; stop what uses it or pick another`,
      );
    }
    throw new ConfigError(setting, `cannot listen on ${host}:${port}: ${(e as Error).message}`);
  }
}

export const MTX_PORT_ENV = PORT_ENV;
