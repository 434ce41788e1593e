// Which isolate answered (LIVEGATE_WORKERS > 1): a debug-only response header (LIVEGATE_DEBUG_ISOLATE=1,
// for tests and benchmarks) and, always, livegate_isolate_requests_total{isolate} on /metrics, the
// requests each worker took from the shared port (the kernel spreads connections, not requests: a
// keep-alive connection stays on one worker).
import type client from "prom-client";

/** The debug header naming the worker (1..N) that took the connection. */
export const ISOLATE_HEADER = "x-livegate-isolate";

/** The metric a worker adds to the counts it hands the main isolate (src/app/worker.ts). */
export function isolateCounter(isolate: string, n: number): client.MetricObjectWithValues<client.MetricValue<string>> {
  return {
    name: "livegate_isolate_requests_total",
    help: "Requests each HTTP isolate took from the shared port (LIVEGATE_WORKERS > 1)",
    type: "counter",
    aggregator: "sum",
    values: [{ value: n, labels: { isolate } }],
  } as unknown as client.MetricObjectWithValues<client.MetricValue<string>>;
}
