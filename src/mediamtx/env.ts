// The MTX_* environment livegate gives MediaMTX: secrets and listener addresses, so nothing secret is
// ever written to mediamtx.yml.
import type { Config } from "../config/config.ts";
import type { MtxSecrets } from "./secrets.ts";
import { recordingEnv } from "./record-env.ts";

/** Address MediaMTX uses to reach livegate's own HTTP port. */
export function livegateLoopbackHost(cfg: Config): string {
  return ["0.0.0.0", "::", ""].includes(cfg.host) ? "127.0.0.1" : cfg.host;
}

export function mediamtxEnv(cfg: Config, s: MtxSecrets): Record<string, string> {
  const p = cfg.mediamtx.ports;
  const lg = livegateLoopbackHost(cfg);
  const hookHost = lg.includes(":") ? `[${lg}]` : lg;
  const env: Record<string, string> = {
    MTX_AUTHMETHOD: "http",
    MTX_AUTHHTTPADDRESS: `http://${hookHost}:${cfg.port}/internal/mediamtx/auth/${s.hook}`,
    MTX_HLSCDNSECRET: s.cdn,
    MTX_RTMPADDRESS: `:${p.rtmp}`,
    MTX_RTSPADDRESS: `:${p.rtsp}`,
    MTX_SRTADDRESS: `:${p.srt}`,
    MTX_HLSADDRESS: `127.0.0.1:${p.hls}`,
    MTX_WEBRTCADDRESS: `127.0.0.1:${p.webrtc}`,
    MTX_WEBRTCLOCALUDPADDRESS: `:${p.webrtcUdp}`,
    // livegate proxies WHEP/WHIP from loopback and sends the viewer's address in X-Forwarded-For.
    MTX_WEBRTCTRUSTEDPROXIES: "127.0.0.1",
    MTX_APIADDRESS: `127.0.0.1:${p.api}`,
    MTX_METRICSADDRESS: `127.0.0.1:${p.metrics}`,
    MTX_PLAYBACKADDRESS: `127.0.0.1:${p.playback}`,
    ...recordingEnv(cfg),
  };
  // WebRTC reachability: extra host candidates (NAT 1:1 / public IP) and optional ICE over TCP.
  if (cfg.mediamtx.webrtcAdditionalHosts.length) {
    env.MTX_WEBRTCADDITIONALHOSTS = cfg.mediamtx.webrtcAdditionalHosts.join(",");
  }
  if (cfg.mediamtx.webrtcTcpPort !== null) env.MTX_WEBRTCLOCALTCPADDRESS = `:${cfg.mediamtx.webrtcTcpPort}`;
  return env;
}

/** Base URLs of MediaMTX's loopback-only HTTP listeners. */
export function mediamtxUrls(cfg: Config) {
  const p = cfg.mediamtx.ports;
  return {
    hls: `http://127.0.0.1:${p.hls}`,
    webrtc: `http://127.0.0.1:${p.webrtc}`,
    api: `http://127.0.0.1:${p.api}`,
    metrics: `http://127.0.0.1:${p.metrics}`,
    playback: `http://127.0.0.1:${p.playback}`,
  };
}
