// The shipped Grafana dashboard is valid JSON and only queries metrics livegate actually exports.
import assert from "node:assert/strict";
import { Metrics } from "../../src/metrics/registry.ts";

Deno.test("grafana dashboard: every livegate_* metric it queries exists", async () => {
  const dash = JSON.parse(
    await Deno.readTextFile(new URL("../../deploy/grafana/livegate.json", import.meta.url)),
  );
  assert.equal(dash.uid, "livegate");
  const metrics = new Metrics();
  metrics.enableProcessMetrics();
  // An app's counters, gauges and process metrics, as the /metrics route writes them.
  const exported = new Set(metrics.registry.getMetricsAsArray().map((m) => m.name));
  exported.add("livegate_mediamtx_metrics_up"); // written by the /metrics route itself
  const exprs: string[] = dash.panels.flatMap((p: { targets: { expr: string }[] }) =>
    p.targets.map((t) => t.expr)
  );
  assert.ok(exprs.length >= 10);
  const used = new Set(exprs.flatMap((e) => e.match(/livegate_[a-z0-9_]+/g) ?? []));
  for (const name of used) {
    const base = name.replace(/_(bucket|sum|count)$/, "");
    assert.ok(exported.has(name) || exported.has(base), `dashboard queries unknown metric ${name}`);
  }
  for (
    const m of ["livegate_http_requests_total", "livegate_proxy_bytes_total", "livegate_hook_decisions_total"]
  ) {
    assert.ok(used.has(m), `dashboard shows ${m}`);
  }
});
