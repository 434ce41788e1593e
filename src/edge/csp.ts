// The pages' Content-Security-Policy with the edges and WHEP replicas added to connect-src, so the player
// may load LL-HLS from an edge (hls.js fetches with XHR) and send its WHEP offer to a replica.
import type { EdgeConfig } from "../config/edge-config.ts";

/** `csp` (livegate's policy, src/http/security-headers.ts) with the configured origins in connect-src. */
export function edgeCsp(csp: string, cfg: EdgeConfig): string {
  const origins = [...new Set([...cfg.urls, ...cfg.whepReplicas].map((u) => new URL(u).origin))];
  if (origins.length === 0) return csp;
  return csp.replace(/connect-src ([^;]*)/, (_, v) => `connect-src ${v} ${origins.join(" ")}`);
}
