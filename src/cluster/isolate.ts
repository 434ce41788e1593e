// Which isolate answered (LIVEGATE_WORKERS > 1): a debug-only response header (LIVEGATE_DEBUG_ISOLATE=1,
// for tests and benchmarks) and, always, livegate_isolate_requests_total{isolate} on /metrics, the
// requests each worker took from the shared port (the kernel spreads connections, not requests: a
// keep-alive connection stays on one worker).
import type client from "prom-client";

/** The debug header naming the worker (1..N) that took the connection. */
export const ISOLATE_HEADER = "x-livegate-isolate";

/**
 * The metrics a worker adds to the counts it hands the main isolate (src/app/worker.ts): the requests it
 * took from the shared port and the WebSockets (chat) it holds the connection of.
 */
export function isolateCounters(
  isolate: string,
  requests: number,
  websockets: number,
): client.MetricObjectWithValues<client.MetricValue<string>>[] {
  const counter = (name: string, help: string, value: number) =>
    ({
      name,
      help,
      type: "counter",
      aggregator: "sum",
      values: [{ value, labels: { isolate } }],
    }) as unknown as client.MetricObjectWithValues<client.MetricValue<string>>;
  return [
    counter(
      "livegate_isolate_requests_total",
      "Requests each HTTP isolate took from the shared port (LIVEGATE_WORKERS > 1)",
      requests,
    ),
    counter(
      "livegate_isolate_websockets_total",
      "WebSockets each HTTP isolate accepted (their chat rooms are the main isolate's)",
      websockets,
    ),
  ];
}
