// livegate's Prometheus metrics (prom-client, which runs under Deno through npm:), one set per app: the
// composition root creates a Metrics (src/app/services.ts) and passes it to whatever counts; nothing is
// module state. Counters are bumped where things happen; the gauges (gauges.ts) are read at scrape time from
// the app's sources. /metrics writes this registry (src/api/metrics-route.ts).
import client from "prom-client";
import { createGauges, type MetricSources } from "./gauges.ts";

/**
 * Counts kept in plain numbers and handed to their counter when it is read (a scrape): the HLS hot path
 * counts tens of thousands of times a second, and prom-client builds a label key string on every inc().
 */
class Tally<L extends Record<string, string>> {
  #pending: { labels: L; n: number }[] = [];

  /** A new pending count for `labels`; callers keep one per label set. */
  slot(labels: L): { n: number } {
    const t = { labels, n: 0 };
    this.#pending.push(t);
    return t;
  }

  flush(counter: client.Counter<keyof L & string>): void {
    for (const t of this.#pending) {
      if (t.n) counter.inc(t.labels, t.n);
      t.n = 0;
    }
  }
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** The metrics of one app. */
export class Metrics {
  readonly registry = new client.Registry();
  /** What the scrape-time gauges read (filled by the operations, src/events/ops.ts). */
  readonly sources: MetricSources = {};
  readonly #requestTally = new Tally<{ method: string; route: string; status: string }>();
  /** method -> route -> status -> pending count (no string built per request). */
  readonly #requestSlots = new Map<string, Map<string, Map<number, { n: number }>>>();
  readonly #bytesTally = new Tally<{ proxy: string }>();
  readonly #bytesSlots = new Map<string, { n: number }>();
  readonly #routeLabels = new Map<string, { route: string }>();
  #defaults = false;

  readonly httpRequests: client.Counter<"method" | "route" | "status">;
  readonly httpDuration: client.Histogram<"route">;
  readonly proxyBytes: client.Counter<"proxy">;
  readonly hookDecisions: client.Counter<"action" | "result">;
  readonly loginFailures: client.Counter<"reason">;
  readonly webhookDeliveries: client.Counter<"event" | "result">;
  readonly streamEvents: client.Counter<"event">;

  constructor() {
    const registers = [this.registry];
    const requests = this.#requestTally, bytes = this.#bytesTally;
    this.httpRequests = new client.Counter({
      name: "livegate_http_requests_total",
      help: "HTTP requests answered by livegate, by method, route pattern and status",
      labelNames: ["method", "route", "status"] as const,
      registers,
      collect() {
        requests.flush(this);
      },
    });
    this.httpDuration = new client.Histogram({
      name: "livegate_http_request_duration_seconds",
      help: "Time to the response headers, by route pattern (streamed bodies not included)",
      labelNames: ["route"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.proxyBytes = new client.Counter({
      name: "livegate_proxy_bytes_total",
      help: "Bytes sent to clients by livegate's media proxies (hls, playback)",
      labelNames: ["proxy"] as const,
      registers,
      collect() {
        bytes.flush(this);
      },
    });
    this.hookDecisions = new client.Counter({
      name: "livegate_hook_decisions_total",
      help: "MediaMTX auth hook decisions by action and result (allow/deny)",
      labelNames: ["action", "result"] as const,
      registers,
    });
    this.loginFailures = new client.Counter({
      name: "livegate_login_failures_total",
      help: "Failed logins (wrong user/password or rate limited)",
      labelNames: ["reason"] as const,
      registers,
    });
    this.webhookDeliveries = new client.Counter({
      name: "livegate_webhook_deliveries_total",
      help: "Webhook delivery attempts by event and result (ok, retry, failed, dropped)",
      labelNames: ["event", "result"] as const,
      registers,
    });
    this.streamEvents = new client.Counter({
      name: "livegate_stream_events_total",
      help: "Stream lifecycle events seen by livegate (started, stopped, recording_finished)",
      labelNames: ["event"] as const,
      registers,
    });
    createGauges(this.sources, this.registry);
  }

  /** One answered request, for livegate_http_requests_total (counted at the next read of the counter). */
  countRequest(method: string, route: string, status: number): void {
    // Method and route come from short fixed sets (http-mw.ts), status from the 100-599 range.
    let byRoute = this.#requestSlots.get(method);
    if (!byRoute) this.#requestSlots.set(method, byRoute = new Map());
    let byStatus = byRoute.get(route);
    if (!byStatus) byRoute.set(route, byStatus = new Map());
    let slot = byStatus.get(status);
    if (!slot) {
      slot = this.#requestTally.slot({ method, route, status: String(status) });
      byStatus.set(status, slot);
    }
    slot.n++;
  }

  /**
   * Counts one answered request and its time to headers (`t0`: performance.now() when it arrived); also
   * used by the handlers in front of the app (src/app/front.ts).
   */
  recordRequest(method: string, route: string, status: number, t0: number): void {
    this.countRequest(METHODS.has(method) ? method : "OTHER", route, status);
    let labels = this.#routeLabels.get(route);
    if (!labels) this.#routeLabels.set(route, labels = { route });
    this.httpDuration.observe(labels, (performance.now() - t0) / 1000);
  }

  /** A pending count of bytes sent by one proxy (`.n += bytes`), for livegate_proxy_bytes_total. */
  proxyBytesOf(proxy: string): { n: number } {
    let slot = this.#bytesSlots.get(proxy);
    if (!slot) this.#bytesSlots.set(proxy, slot = this.#bytesTally.slot({ proxy }));
    return slot;
  }

  /** Wraps a response body so the bytes actually sent are counted under `proxy`. */
  countedBody(body: ReadableStream<Uint8Array> | null, proxy: string) {
    if (!body) return body;
    const c = this.proxyBytesOf(proxy);
    return body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, ctl) {
          c.n += chunk.byteLength;
          ctl.enqueue(chunk);
        },
      }),
    );
  }

  /**
   * The other isolates' counters and histograms (LIVEGATE_WORKERS > 1, src/app/workers.ts), summed into
   * text(). Unset (one isolate): text() is this registry alone.
   */
  peers?: () => Promise<client.MetricObjectWithValues<client.MetricValue<string>>[][]>;

  /** The Prometheus text of /metrics: this registry, with the peers' counters and histograms summed in. */
  async text(): Promise<string> {
    if (!this.peers) return await this.registry.metrics();
    const own = await this.registry.getMetricsAsJSON();
    return await client.AggregatorRegistry.aggregate([own, ...await this.peers()]).metrics();
  }

  /** This registry's counters and histograms as JSON (what a worker hands the main isolate's text()). */
  async countsJson(): Promise<client.MetricObjectWithValues<client.MetricValue<string>>[]> {
    const all = await this.registry.getMetricsAsJSON();
    // Plain data only (it crosses isolates by postMessage): no collect function.
    return all.filter((m) => String(m.type) === "counter" || String(m.type) === "histogram").map((m) =>
      ({ name: m.name, help: m.help, type: m.type, aggregator: m.aggregator, values: m.values }) as typeof m
    );
  }

  /**
   * Process metrics (CPU, resident memory, open fds, event-loop lag; prefixed livegate_). Started by the
   * operations of a serving app, not at construction, so in-process tests do not get the event-loop
   * monitor's timer.
   */
  enableProcessMetrics(): void {
    if (this.#defaults) return;
    this.#defaults = true;
    client.collectDefaultMetrics({ register: this.registry, prefix: "livegate_" });
  }
}
