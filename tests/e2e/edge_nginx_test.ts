// #20 items 1-2 end to end, with real parts: livegate (+ MediaMTX) as the origin and two Debian nginx
// edges running deploy/nginx-edge.conf + deploy/nginx-edge.js as shipped (tests/e2e/nginx_edge.ts).
// - Simulated LL-HLS viewers (bench/viewers.ts) split over the edges: going from 20 to 100 viewers, the
//   requests reaching livegate's /e/ route per second stay flat (the edges collapse identical requests and
//   keep parts), with 0 errors. (Larger N: bench/edge.ts.)
// - Expired, forged, malformed and other-stream tokens get 403 at the edge and never reach livegate
//   (counted with livegate's own request metrics).
// - The player (Chromium) plays LL-HLS through an edge and keeps playing across token renewals.
// - The private stream stays private: no token without a login; revoking a viewer stops new tokens at
//   once and the old token at its expiry (LIVEGATE_EDGE_TOKEN_TTL, 20 s here).
import assert from "node:assert/strict";
import { Client, freePort, publish, startLivegate, stopProc, waitFor } from "./harness.ts";
import { startEdge } from "./nginx_edge.ts";
import { launchChromium, videoInfo } from "./chromium.ts";
import { runViewers } from "../../bench/viewers.ts";
import { EdgeSecret, issueToken } from "../../src/edge/token.ts";

const SECRET = "e2e-edge-secret-0123456789abcdefghijklmnop";
const METRICS_TOKEN = "e2e-metrics-token-0123456789";
const ROUTE = 'route="/e/:token/:path/:file"';

/** Requests livegate answered on its /e/ route so far (any status). */
async function originRequests(url: string): Promise<number> {
  const text =
    await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }))
      .text();
  let n = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("livegate_http_requests_total{") && line.includes(ROUTE)) {
      n += Number(line.split(" ").pop());
    }
  }
  return n;
}

Deno.test({
  name: "e2e/edge: 2 nginx edges - flat origin load, tokens checked at the edge, private stays private",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const ports = [freePort(), freePort()];
    const lg = await startLivegate({
      LIVEGATE_DELIVERY: "edge",
      LIVEGATE_EDGE_URLS: ports.map((p) => `http://127.0.0.1:${p}`).join(","),
      LIVEGATE_EDGE_SECRET: SECRET,
      LIVEGATE_EDGE_TOKEN_TTL: "20",
      LIVEGATE_METRICS_TOKEN: METRICS_TOKEN,
      LIVEGATE_RECORD: "false",
    });
    const edges = await Promise.all(ports.map((p) => startEdge(lg.url, SECRET, p)));
    const ff = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 180);
    try {
      const admin = new Client(lg.url);
      assert.equal((await admin.login("admin", "e2e-admin-password")).status, 303);
      assert.equal(
        (await admin.api("POST", "/api/streams", { path: "pub", visibility: "public" })).status,
        201,
      );
      assert.equal(
        (await admin.api("POST", "/api/users", { name: "vic", password: "vic-password-1", role: "viewer" }))
          .status,
        201,
      );
      const token = async (c: Client, path = "live") => {
        const r = await c.api("GET", `/api/streams/${path}/delivery`);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.mode, "edge");
        return r.body as { hls: string; token: string; expiresAt: number };
      };
      // The stream is live through an edge (waits for MediaMTX's muxer).
      const first = await token(admin);
      assert.ok(ports.some((p) => first.hls.startsWith(`http://127.0.0.1:${p}/e/`)), first.hls);
      const master = await waitFor("playlist through the edge", async () => {
        const r = await fetch(first.hls);
        if (r.status === 200) return await r.text();
        throw new Error(`${r.status} ${await r.text()}`);
      }, 40_000);
      assert.match(master, /#EXTM3U/);

      await t.step(
        "viewers over 2 edges: origin requests/s flat from 20 to 100 viewers, 0 errors",
        async () => {
          const rates: number[] = [];
          for (const n of [20, 100]) {
            const tk = (await token(admin)).token;
            const before = await originRequests(lg.url);
            const t0 = performance.now();
            const half = Math.ceil(n / 2);
            const [a, b] = await Promise.all(
              edges.map((e, i) =>
                runViewers(`${e.url}/e/${tk}/live`, new Array(i === 0 ? half : n - half).fill(""), 8, 2)
              ),
            );
            const secs = (performance.now() - t0) / 1000;
            const origin = (await originRequests(lg.url)) - before;
            const viewerReqs = a.requests + b.requests;
            rates.push(origin / secs);
            console.log(
              `  ${n} viewers: ${viewerReqs} viewer requests, ${origin} at livegate (${
                (origin / secs).toFixed(1)
              }/s), ` +
                `errors ${a.errors + b.errors} ${JSON.stringify({ ...a.errorKinds, ...b.errorKinds })}`,
            );
            assert.equal(a.errors + b.errors, 0, JSON.stringify({ ...a.errorKinds, ...b.errorKinds }));
            assert.ok(a.parts > 0 && b.parts > 0, "both edges delivered parts");
            if (n === 100) {
              assert.ok(origin * 4 < viewerReqs, `edges absorb most requests (${origin}/${viewerReqs})`);
            }
          }
          // Flat: 5x the viewers, not more than 1.5x the origin requests (generous: a 2-core shared machine).
          assert.ok(
            rates[1] <= rates[0] * 1.5 + 2,
            `origin req/s ${rates.map((r) => r.toFixed(1))}`,
          );
        },
      );

      await t.step("bad tokens: 403 at the edge, nothing reaches livegate", async () => {
        const good = await token(admin);
        const now = Math.floor(Date.now() / 1000);
        const expired = await issueToken(new EdgeSecret(SECRET, "/nonexistent"), "live", now - 5);
        const alien = await issueToken(new EdgeSecret("x".repeat(40), "/nonexistent"), "live", now + 60);
        const pubTok = (await token(new Client(lg.url), "pub")).token;
        const flip = good.token.slice(0, -3) + (good.token.slice(-3) === "AAA" ? "BBB" : "AAA");
        const before = await originRequests(lg.url);
        for (const tk of [expired, alien, pubTok, flip, "garbage", `${now + 60}..${"A".repeat(43)}`]) {
          for (const file of ["index.m3u8", "video1_stream.m3u8?_HLS_msn=1&_HLS_part=0"]) {
            const r = await fetch(`${edges[0].url}/e/${tk}/live/${file}`);
            await r.body?.cancel();
            assert.equal(r.status, 403, `${tk} ${file}`);
          }
        }
        assert.equal(await originRequests(lg.url), before, "no refused request reached livegate");
        // The good one still plays (from the cache or livegate).
        const ok = await fetch(`${edges[1].url}/e/${good.token}/live/index.m3u8`);
        assert.equal(ok.status, 200);
        await ok.body?.cancel();
      });

      await t.step("the player plays LL-HLS through an edge, across token renewals", async () => {
        const browser = await launchChromium();
        try {
          const page = await browser.newPage();
          const edgeUrls: string[] = [];
          const tokens = new Set<string>();
          page.on("request", (r) => {
            const m = /^http:\/\/127\.0\.0\.1:(\d+)\/e\/([^/]+)\//.exec(r.url());
            if (m && ports.includes(Number(m[1]))) {
              edgeUrls.push(r.url());
              tokens.add(m[2]);
            }
          });
          await page.goto(`${lg.url}/login?next=${encodeURIComponent("/watch/live")}`);
          await page.fill("input[name=user]", "admin");
          await page.fill("input[name=password]", "e2e-admin-password");
          await Promise.all([page.waitForURL(`${lg.url}/watch/live`), page.click("button[type=submit]")]);
          const state = () =>
            page.evaluate(() =>
              (globalThis as unknown as { livegate: { status: string; mode: string } }).livegate
            );
          await waitFor("player live on LL-HLS", async () => {
            const s = await state();
            return s.status === "live" && s.mode === "hls" ? true : undefined;
          }, 40_000);
          const a = await videoInfo(page);
          // Longer than the token's lifetime (20 s): the player renews it and keeps playing.
          await new Promise((r) => setTimeout(r, 24_000));
          const b = await videoInfo(page);
          assert.ok(b.t > a.t + 18, `video advanced across the renewal: ${a.t} -> ${b.t}`);
          assert.equal((await state()).status, "live");
          assert.ok(edgeUrls.length > 50, `media came from the edge (${edgeUrls.length} requests)`);
          assert.ok(tokens.size >= 2, `requests carried a renewed token (${tokens.size} tokens)`);
        } finally {
          await browser.close();
        }
      });

      await t.step(
        "private stays private; revoking stops new tokens at once, the old one at expiry",
        async () => {
          const anon = new Client(lg.url);
          assert.equal((await anon.api("GET", "/api/streams/live/delivery")).status, 401);
          const vic = new Client(lg.url);
          assert.equal((await vic.login("vic", "vic-password-1")).status, 303);
          const old = await token(vic);
          const play = async () => {
            const r = await fetch(old.hls);
            await r.body?.cancel();
            return r.status;
          };
          assert.equal(await play(), 200);
          // The admin takes vic off the stream (allow-list).
          assert.equal((await admin.api("PATCH", "/api/streams/live", { allow: ["admin"] })).status, 200);
          assert.equal((await vic.api("GET", "/api/streams/live/delivery")).status, 403, "no new token");
          assert.equal(await play(), 200, "the old token works until it expires");
          await waitFor(
            "the old token expired",
            async () => (await play()) === 403 ? true : undefined,
            30_000,
          );
          assert.ok(Date.now() >= old.expiresAt, "refused only after its expiry");
        },
      );
    } finally {
      await stopProc(ff);
      await Promise.all(edges.map((e) => e.stop()));
      await lg.stop();
    }
  },
});
