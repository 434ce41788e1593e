// The players' quality reports as Prometheus metrics, in the app's existing registry (src/metrics/
// registry.ts, written by /metrics): histograms of time to first frame, rebuffer durations and live
// latency (seconds; buckets = BOUNDS of qoe.ts), counters of rebuffers, level changes, fatal errors and
// beacons by result. Labelled by delivery only (webrtc, hls, native), not by path, to keep the series few.
import client from "prom-client";
import type { Metrics } from "../metrics/registry.ts";
import type { Beacon } from "./beacon.ts";
import { BOUNDS } from "./qoe.ts";

const secs = (b: readonly number[]) => b.map((ms) => ms / 1000);

export class QoeMetrics {
  readonly ttff: client.Histogram<"delivery">;
  readonly rebuffer: client.Histogram<"delivery">;
  readonly latency: client.Histogram<"delivery">;
  readonly rebuffers: client.Counter<"delivery">;
  readonly levelChanges: client.Counter<"delivery">;
  readonly fatalErrors: client.Counter<"delivery">;
  readonly beacons: client.Counter<"result">;

  constructor(metrics: Pick<Metrics, "registry">) {
    const registers = [metrics.registry];
    const labelNames = ["delivery"] as const;
    this.ttff = new client.Histogram({
      name: "livegate_qoe_time_to_first_frame_seconds",
      help: "Players' time from page load to the first frame (QoE beacon)",
      labelNames,
      buckets: secs(BOUNDS.ttff),
      registers,
    });
    this.rebuffer = new client.Histogram({
      name: "livegate_qoe_rebuffer_duration_seconds",
      help: "Duration of each rebuffer (picture stopped while playing) reported by players",
      labelNames,
      buckets: secs(BOUNDS.rebuffer),
      registers,
    });
    this.latency = new client.Histogram({
      name: "livegate_qoe_live_latency_seconds",
      help: "Players' live latency (median per beacon)",
      labelNames,
      buckets: secs(BOUNDS.latency),
      registers,
    });
    this.rebuffers = new client.Counter({
      name: "livegate_qoe_rebuffers_total",
      help: "Rebuffers reported by players",
      labelNames,
      registers,
    });
    this.levelChanges = new client.Counter({
      name: "livegate_qoe_level_changes_total",
      help: "Resolution/level changes reported by players",
      labelNames,
      registers,
    });
    this.fatalErrors = new client.Counter({
      name: "livegate_qoe_fatal_errors_total",
      help: "Fatal playback errors reported by players",
      labelNames,
      registers,
    });
    this.beacons = new client.Counter({
      name: "livegate_qoe_beacons_total",
      help: "QoE beacons received, by result (accepted, invalid, not_watching, limited)",
      labelNames: ["result"] as const,
      registers,
    });
  }

  /** Observes an accepted beacon (`firstFrame`: its ttffMs counts). */
  observe(b: Beacon, firstFrame: boolean): void {
    const l = { delivery: b.delivery };
    if (firstFrame && b.ttffMs !== undefined) this.ttff.observe(l, b.ttffMs / 1000);
    for (const r of b.rebuffers) this.rebuffer.observe(l, r / 1000);
    if (b.rebuffers.length) this.rebuffers.inc(l, b.rebuffers.length);
    if (b.latencyMs !== null) this.latency.observe(l, b.latencyMs / 1000);
    if (b.levelChanges) this.levelChanges.inc(l, b.levelChanges);
    if (b.fatalErrors) this.fatalErrors.inc(l, b.fatalErrors);
  }
}
