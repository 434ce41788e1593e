// livegate's Prometheus metrics (prom-client, which runs under Deno through npm:). Counters are bumped
// where things happen; gauges are read at scrape time from the sources serve() registers.
import client from "prom-client";

export const registry = new client.Registry();

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

const requestTally = new Tally<{ method: string; route: string; status: string }>();
/** method -> route -> status -> pending count (no string built per request). */
const requestSlots = new Map<string, Map<string, Map<number, { n: number }>>>();

export const httpRequests = new client.Counter({
  name: "livegate_http_requests_total",
  help: "HTTP requests answered by livegate, by method, route pattern and status",
  labelNames: ["method", "route", "status"] as const,
  registers: [registry],
  collect() {
    requestTally.flush(this);
  },
});

/** One answered request, for livegate_http_requests_total (counted at the next read of the counter). */
export function countRequest(method: string, route: string, status: number): void {
  // Method and route come from short fixed sets (http-mw.ts), status from the 100-599 range.
  let byRoute = requestSlots.get(method);
  if (!byRoute) requestSlots.set(method, byRoute = new Map());
  let byStatus = byRoute.get(route);
  if (!byStatus) byRoute.set(route, byStatus = new Map());
  let slot = byStatus.get(status);
  if (!slot) {
    slot = requestTally.slot({ method, route, status: String(status) });
    byStatus.set(status, slot);
  }
  slot.n++;
}

export const httpDuration = new client.Histogram({
  name: "livegate_http_request_duration_seconds",
  help: "Time to the response headers, by route pattern (streamed bodies not included)",
  labelNames: ["route"] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

const bytesTally = new Tally<{ proxy: string }>();
const bytesSlots = new Map<string, { n: number }>();

export const proxyBytes = new client.Counter({
  name: "livegate_proxy_bytes_total",
  help: "Bytes sent to clients by livegate's media proxies (hls, playback)",
  labelNames: ["proxy"] as const,
  registers: [registry],
  collect() {
    bytesTally.flush(this);
  },
});

/** A pending count of bytes sent by one proxy (`.n += bytes`), for livegate_proxy_bytes_total. */
export function proxyBytesOf(proxy: string): { n: number } {
  let slot = bytesSlots.get(proxy);
  if (!slot) bytesSlots.set(proxy, slot = bytesTally.slot({ proxy }));
  return slot;
}

export const hookDecisions = new client.Counter({
  name: "livegate_hook_decisions_total",
  help: "MediaMTX auth hook decisions by action and result (allow/deny)",
  labelNames: ["action", "result"] as const,
  registers: [registry],
});

export const loginFailures = new client.Counter({
  name: "livegate_login_failures_total",
  help: "Failed logins (wrong user/password or rate limited)",
  labelNames: ["reason"] as const,
  registers: [registry],
});

export const webhookDeliveries = new client.Counter({
  name: "livegate_webhook_deliveries_total",
  help: "Webhook delivery attempts by event and result (ok, retry, failed, dropped)",
  labelNames: ["event", "result"] as const,
  registers: [registry],
});

export const streamEvents = new client.Counter({
  name: "livegate_stream_events_total",
  help: "Stream lifecycle events seen by livegate (started, stopped, recording_finished)",
  labelNames: ["event"] as const,
  registers: [registry],
});

let defaults = false;
/**
 * Process metrics (CPU, resident memory, open fds, event-loop lag; prefixed livegate_). Started by serve(),
 * not at import, so in-process tests do not get the event-loop monitor's timer.
 */
export function enableProcessMetrics(): void {
  if (defaults) return;
  defaults = true;
  client.collectDefaultMetrics({ register: registry, prefix: "livegate_" });
}

/** Wraps a response body so the bytes actually sent are counted. */
export function countedBody(body: ReadableStream<Uint8Array> | null, proxy: string) {
  if (!body) return body;
  const c = proxyBytesOf(proxy);
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, ctl) {
        c.n += chunk.byteLength;
        ctl.enqueue(chunk);
      },
    }),
  );
}
