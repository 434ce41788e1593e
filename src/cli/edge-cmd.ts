// Edge delivery helpers for operators (README "Scaling out"):
//   livegate edge secret            the nginx line for /etc/nginx/livegate/edge-secret.conf (the edge secret:
//                                   LIVEGATE_EDGE_SECRET or DATA_DIR/edge.secret, created if missing)
//   livegate edge replica-config --origin-rtsp HOST:PORT [--livegate-url URL]
//                                   mediamtx.yml of a MediaMTX read replica (src/edge/replica.ts)
import type { Config } from "../config/config.ts";
import { EdgeDelivery } from "../edge/delivery.ts";
import { replicaConfig } from "../edge/replica.ts";
import { storeOf } from "../store/kv.ts";
import { systemClock } from "../core/clock.ts";
import { esc } from "./print.ts";

export const EDGE_FLAGS = ["origin-rtsp", "livegate-url"];
export const EDGE_USAGE =
  `  livegate edge secret                    nginx js_var line with the edge secret (keep it private)
  livegate edge replica-config --origin-rtsp HOST:PORT [--livegate-url URL]   a read replica's mediamtx.yml`;

export async function edgeCmd(
  cfg: Config,
  sub: string | undefined,
  flags: Record<string, string | true>,
  out: (s: string) => void = (s) => console.log(s),
): Promise<number> {
  // The store is not needed for secrets; an in-memory one satisfies the service's shape.
  const kv = await Deno.openKv(":memory:");
  try {
    const edge = new EdgeDelivery(cfg.edge, cfg.dataDir, storeOf(kv), systemClock);
    if (sub === "secret") {
      await Deno.mkdir(cfg.dataDir, { recursive: true });
      out(`js_var $livegate_edge_secret "${edge.secret.value()}";`);
      return 0;
    }
    if (sub === "replica-config") {
      const origin = flags["origin-rtsp"];
      if (typeof origin !== "string" || !/^[A-Za-z0-9.:[\]-]+:\d{1,5}$/.test(origin)) {
        console.error("livegate: edge replica-config needs --origin-rtsp HOST:PORT (the origin's RTSP port)");
        return 2;
      }
      const url = typeof flags["livegate-url"] === "string" ? flags["livegate-url"] : cfg.publicUrl;
      await Deno.mkdir(cfg.dataDir, { recursive: true });
      out((await replicaConfig(edge, { originRtsp: origin, livegateUrl: url })).replace(/\n$/, ""));
      return 0;
    }
    console.error(`livegate: unknown 'edge ${esc(sub ?? "")}'; use 'edge secret' or 'edge replica-config'`);
    return 2;
  } finally {
    kv.close();
  }
}
