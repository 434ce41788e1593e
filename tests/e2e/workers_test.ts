// LIVEGATE_WORKERS=2 (issue #20 item 4): livegate serves its port from two request-serving isolates in
// front of the main isolate, with one real MediaMTX and one ffmpeg publish. Proves: HLS is answered by
// both isolates; a session ended (logout) and a share link revoked through one request are refused by
// every isolate within the documented bound (well inside the caches' 2 s lifetime, so it is the relayed
// change and not expiry that does it); a chat message sent on one isolate reaches a viewer on the other;
// /metrics sums the isolates' counters; a WHEP-less API and pages still work through the forwarding.
import assert from "node:assert/strict";
import {
  ADMIN_PASSWORD,
  Client,
  publish,
  startLivegate,
  stopProc,
  waitFor,
  waitHlsOnline,
} from "./harness.ts";

const METRICS_TOKEN = "workers-e2e-metrics-token-0123456789";
/** How soon every isolate must refuse a revoked credential (ms); the caches alone would take 2,000 ms. */
const BOUND_MS = 1500;

/** One request on a new connection (the kernel picks the isolate per connection); status and isolate. */
async function fresh(base: string, path: string, headers: Record<string, string> = {}) {
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  try {
    const r = await fetch(base + path, { headers, client, redirect: "manual" });
    const isolate = r.headers.get("x-livegate-isolate") ?? "?";
    const body = await r.text();
    return { status: r.status, isolate, body };
  } finally {
    client.close();
  }
}

/** Requests `path` on new connections until both isolates answered; returns their statuses by isolate. */
async function onBoth(base: string, path: string, headers: Record<string, string> = {}, max = 60) {
  const seen = new Map<string, number[]>();
  for (let i = 0; i < max && (seen.size < 2 || i < 8); i++) {
    const r = await fresh(base, path, headers);
    seen.set(r.isolate, [...(seen.get(r.isolate) ?? []), r.status]);
  }
  return seen;
}

/** Repeats rounds of requests until every answer in a round covering both isolates is `want`; the ms taken. */
async function refusedEverywhere(
  base: string,
  path: string,
  headers: Record<string, string>,
  want: number[],
) {
  const t0 = performance.now();
  for (;;) {
    const seen = await onBoth(base, path, headers);
    const all = [...seen.values()].flat();
    if (seen.size === 2 && all.every((s) => want.includes(s))) return performance.now() - t0;
    if (performance.now() - t0 > 10_000) throw new Error(`still answered ${JSON.stringify([...seen])}`);
  }
}

Deno.test({
  name: "e2e: LIVEGATE_WORKERS=2 serves from two isolates with correct caches, chat and metrics",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const lg = await startLivegate({
      LIVEGATE_WORKERS: "2",
      LIVEGATE_DEBUG_ISOLATE: "1",
      LIVEGATE_METRICS_TOKEN: METRICS_TOKEN,
    });
    const pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 300, { size: "320x180" });
    try {
      assert(lg.logs.some((l) => l.includes("with 2 HTTP isolates")), "the start line names the isolates");
      const admin = new Client(lg.url);
      assert.equal((await admin.login("admin", ADMIN_PASSWORD)).status, 303);
      assert.equal((await admin.api("PATCH", "/api/streams/live", { visibility: "private" })).status, 200);
      const multivariant = await waitHlsOnline(admin, "live");
      const media = multivariant.split("\n").find((l) => l.endsWith(".m3u8"))!;
      assert(media, multivariant);
      const hls = `/hls/live/${media}`;

      await t.step(
        "HLS is answered by both isolates; pages and the API through the main isolate",
        async () => {
          const seen = await onBoth(lg.url, hls, { cookie: `lg_session=${admin.cookies.get("lg_session")}` });
          assert.deepEqual([...seen.keys()].sort(), ["1", "2"]);
          for (const statuses of seen.values()) {
            assert(statuses.every((s) => s === 200), JSON.stringify([...seen]));
          }
          const anon = await onBoth(lg.url, hls);
          for (const statuses of anon.values()) {
            assert(
              statuses.every((s) => s === 401),
              JSON.stringify([...anon]),
            );
          }
          const me = await admin.api("GET", "/api/me");
          assert.equal(me.body.user, "admin");
          const home = await fresh(lg.url, "/");
          assert.equal(home.status, 200);
          assert.match(home.body, /livegate/i);
        },
      );

      await t.step(
        "a session ended through one request is refused by every isolate within the bound",
        async () => {
          const viewer = new Client(lg.url);
          assert.equal((await viewer.login("admin", ADMIN_PASSWORD)).status, 303);
          const cookie = { cookie: `lg_session=${viewer.cookies.get("lg_session")}` };
          // Both isolates hold the session in their caches (and the viewer's HLS pass).
          const warm = await onBoth(lg.url, hls, cookie);
          for (const s of warm.values()) assert(s.every((x) => x === 200), JSON.stringify([...warm]));
          const out = await viewer.fetch("/logout", {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams({ csrf: viewer.cookies.get("lg_csrf") ?? "" }),
          });
          await out.body?.cancel();
          assert(out.status === 303 || out.status === 302, `logout: ${out.status}`);
          const ms = await refusedEverywhere(lg.url, hls, cookie, [401]);
          console.log(`  session refused by both isolates ${ms.toFixed(0)} ms after the logout answered`);
          assert(ms < BOUND_MS, `took ${ms} ms`);
        },
      );

      await t.step(
        "a share link revoked through one request is refused by every isolate within the bound",
        async () => {
          assert.equal(
            (await admin.api("PATCH", "/api/streams/live", { visibility: "unlisted" })).status,
            200,
          );
          const link = await admin.api("POST", "/api/streams/live/shares", { hours: 1 });
          assert.equal(link.status, 201, JSON.stringify(link.body));
          const path = `${hls}?share=${encodeURIComponent(link.body.token)}`;
          const warm = await waitFor("the share link works on both isolates", async () => {
            const seen = await onBoth(lg.url, path);
            return [...seen.values()].flat().every((s) => s === 200) ? seen : undefined;
          });
          assert.equal(warm.size, 2);
          const del = await admin.api("DELETE", `/api/streams/live/shares/${link.body.share.id}`);
          assert.equal(del.status, 200);
          const ms = await refusedEverywhere(lg.url, path, {}, [401, 403]);
          console.log(`  share link refused by both isolates ${ms.toFixed(0)} ms after the revoke answered`);
          assert(ms < BOUND_MS, `took ${ms} ms`);
        },
      );

      await t.step("a chat message sent on one isolate reaches a viewer on the other", async () => {
        assert.equal((await admin.api("PATCH", "/api/streams/live", { visibility: "public" })).status, 200);
        const headers = { cookie: `lg_session=${admin.cookies.get("lg_session")}`, origin: lg.url };
        const metricsClient = Deno.createHttpClient({});
        const isolateCounts = async () => {
          const r = await fetch(`${lg.url}/metrics`, {
            headers: { authorization: `Bearer ${METRICS_TOKEN}` },
            client: metricsClient,
          });
          const text = await r.text();
          const counts: Record<string, number> = {};
          for (const m of text.matchAll(/^livegate_isolate_websockets_total\{isolate="(\d+)"\} (\d+)/gm)) {
            counts[m[1]] = Number(m[2]);
          }
          return { counts };
        };
        /** Opens a chat socket and tells which isolate took it (the WebSocket counters before and after). */
        const open = async () => {
          const before = await isolateCounts();
          // deno-lint-ignore no-explicit-any
          const ws = new WebSocket(`${lg.url.replace("http", "ws")}/chat/live`, { headers } as any);
          const frames: { type: string; [k: string]: unknown }[] = [];
          ws.onmessage = (e) => {
            const f = JSON.parse(e.data);
            if (f.type === "batch") frames.push(...f.frames);
            else frames.push(f);
          };
          await new Promise((r, j) => {
            ws.onopen = r;
            ws.onerror = j;
          });
          await waitFor("hello", () => Promise.resolve(frames.find((f) => f.type === "hello")));
          const after = await isolateCounts();
          const delta: Record<string, number> = {};
          for (const k of Object.keys(after.counts)) delta[k] = after.counts[k] - (before.counts[k] ?? 0);
          const on = Object.keys(delta).find((k) => delta[k] === 1)!;
          return { ws, frames, on };
        };
        const a = await open();
        let b = await open();
        for (let i = 0; b.on === a.on && i < 30; i++) {
          b.ws.close();
          b = await open();
        }
        metricsClient.close();
        assert(a.on && b.on && a.on !== b.on, `sockets on isolates ${a.on} and ${b.on}`);
        a.ws.send(JSON.stringify({ type: "send", text: "hello across isolates" }));
        const got = await waitFor(
          "the message on the other isolate",
          () =>
            Promise.resolve(b.frames.find((f) => f.type === "message" && f.text === "hello across isolates")),
          15_000,
        );
        assert.equal(got.text, "hello across isolates");
        a.ws.close();
        b.ws.close();
      });

      await t.step("/metrics sums the isolates' request counters", async () => {
        const r = await fresh(lg.url, "/metrics", { authorization: `Bearer ${METRICS_TOKEN}` });
        assert.equal(r.status, 200);
        const per = [...r.body.matchAll(/^livegate_isolate_requests_total\{isolate="(\d+)"\} (\d+)/gm)];
        assert.deepEqual(per.map((m) => m[1]).sort(), ["1", "2"]);
        for (const m of per) assert(Number(m[2]) > 20, m[0]);
        const hlsCount = [
          ...r.body.matchAll(/^livegate_http_requests_total\{[^}]*route="\/hls\/[^"]*"[^}]*\} (\d+)/gm),
        ]
          .reduce((s, m) => s + Number(m[1]), 0);
        assert(hlsCount >= 40, `HLS requests counted: ${hlsCount}`);
      });
    } finally {
      await stopProc(pub);
      await lg.stop();
    }
    assert(lg.logs.every((l) => !/HTTP isolate \d+ failed/.test(l)), lg.logs.join("\n"));
  },
});
