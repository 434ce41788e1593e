// /metrics and /ready in-process: off without token/allow-list, 401/403/200 by token, IP allow-list,
// valid Prometheus text that counts requests by route and status and failed logins.
import assert from "node:assert/strict";
import { Jar, testApp } from "./helpers.ts";
import { parsePrometheus, sumOf } from "../prom_text.ts";

const TOKEN = "http-test-metrics-token-42";

function closedPort(): string {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  l.close();
  return String((l.addr as Deno.NetAddr).port);
}

Deno.test("metrics: off (404 with a hint) when neither a token nor an allow-list is set", async () => {
  const t = await testApp({ LIVEGATE_MTX_METRICS_PORT: closedPort() });
  try {
    const r = await new Jar(t.app).req("/metrics");
    assert.equal(r.status, 404);
    assert.match(await r.text(), /LIVEGATE_METRICS_TOKEN/);
  } finally {
    t.close();
  }
});

Deno.test("metrics: bearer token required; output parses and counts routes, statuses, login failures", async () => {
  const t = await testApp({ LIVEGATE_METRICS_TOKEN: TOKEN, LIVEGATE_MTX_METRICS_PORT: closedPort() });
  try {
    const jar = new Jar(t.app);
    const scrape = async () => {
      const r = await jar.req("/metrics", { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(r.status, 200);
      assert.match(r.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
      return parsePrometheus(await r.text());
    };
    const none = await jar.req("/metrics");
    assert.equal(none.status, 401);
    assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer/);
    const bad = await jar.req("/metrics", { headers: { authorization: `Bearer ${TOKEN}x` } });
    assert.equal(bad.status, 403);
    await bad.body?.cancel();

    const before = await scrape();
    for (let i = 0; i < 3; i++) await (await jar.req("/health")).text();
    await (await jar.req("/no/such/page")).text();
    await (await jar.req("/api/recordings/live")).text(); // no session: 401
    await (await jar.login("admin", "wrong-password")).text();
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) =>
      sumOf(after, name, labels) - sumOf(before, name, labels);
    assert.equal(
      delta("livegate_http_requests_total", { route: "/health", status: "200", method: "GET" }),
      3,
    );
    assert.equal(delta("livegate_http_requests_total", { route: "unmatched", status: "404" }), 1);
    assert.equal(delta("livegate_http_requests_total", { route: "/api/recordings/:path", status: "401" }), 1);
    assert.equal(
      delta("livegate_http_requests_total", { route: "/login", status: "401", method: "POST" }),
      1,
    );
    assert.equal(delta("livegate_login_failures_total", { reason: "bad_credentials" }), 1);
    assert.ok(after.some((s) => s.name === "livegate_http_request_duration_seconds_bucket"));
    // MediaMTX is not running here: its part is reported as missing, not an error.
    assert.equal(sumOf(after, "livegate_mediamtx_metrics_up"), 0);
  } finally {
    t.close();
  }
});

Deno.test("metrics: IP allow-list admits listed clients without a token", async () => {
  const t = await testApp({
    LIVEGATE_METRICS_ALLOW: "203.0.113.0/24",
    LIVEGATE_MTX_METRICS_PORT: closedPort(),
  });
  try {
    const ok = await new Jar(t.app, "203.0.113.9").req("/metrics");
    assert.equal(ok.status, 200);
    parsePrometheus(await ok.text());
    const no = await new Jar(t.app, "198.51.100.1").req("/metrics");
    assert.equal(no.status, 401);
    await no.body?.cancel();
  } finally {
    t.close();
  }
});

Deno.test("/ready is 503 with the reason while MediaMTX is not running; /health stays OK", async () => {
  const t = await testApp();
  try {
    const jar = new Jar(t.app);
    const r = await jar.req("/ready");
    assert.equal(r.status, 503);
    const j = await r.json();
    assert.equal(j.ready, false);
    assert.match(j.error, /stopped/);
    assert.equal(await (await jar.req("/health")).text(), "OK");
  } finally {
    t.close();
  }
});
