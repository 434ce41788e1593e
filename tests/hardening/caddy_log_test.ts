// Issue 25 (low): share-link tokens must not reach the shipped proxy's access log. Debian's real Caddy runs
// the top-level Caddyfile (test-only global options first, as in tests/e2e/caddy_test.ts) in front of an
// in-process livegate; a share link is used every way a browser uses it (?share= on the page and on HLS,
// the lg_share cookie, the Referer of the page's subresources, a login redirect carrying it in ?next=), and
// a stream key is sent to /api/stream/validate?token=. Neither may appear anywhere in Caddy's output, while
// every request is logged (with share=REDACTED / token=REDACTED).
import assert from "node:assert/strict";
import { freePort, waitFor } from "../e2e/harness.ts";
import { startCaddy } from "../e2e/caddy.ts";
import { testApp } from "../http/helpers.ts";
import { createStream } from "../../src/store/streams.ts";
import { createShare } from "../../src/store/shares.ts";
import { createKey } from "../../src/store/keys.ts";

Deno.test({
  name: "hardening: Caddy's access log never holds a share token (query, next=, Referer, Location, cookies)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "livegate-caddy-log-" });
    const t = await testApp({ LIVEGATE_TRUST_PROXY: "true" });
    const port = freePort();
    const server = Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, t.handler);
    const caddy = await startCaddy(dir, `127.0.0.1:${port}`);
    const out = () => caddy.logs.join("");
    const client = caddy.client;
    try {
      await createStream(t.kv, "show", { visibility: "unlisted" });
      const { token } = await createShare(t.kv, "show", { hours: 1, createdBy: "admin" });
      const { key } = await createKey(t.kv, "show", "validate");
      const secret = token.split(".")[2]; // the signature: what must never be written down
      const base = caddy.https;
      const get = async (path: string, headers: Record<string, string> = {}) => {
        const r = await fetch(base + path, { client, headers, redirect: "manual" });
        await r.body?.cancel();
        return r;
      };
      const q = encodeURIComponent(token);
      const page = await get(`/watch/show?share=${q}`);
      assert.equal(page.status, 200);
      assert.ok(page.headers.getSetCookie().some((c) => c.includes(token)), "livegate did set the cookie");
      const requests: [string, Record<string, string>][] = [
        ["/static/player.js", { referer: `${base}/watch/show?share=${q}` }],
        ["/hls/show/index.m3u8", { cookie: `lg_share=${token}` }],
        [`/hls/show/index.m3u8?_HLS_msn=3&share=${q}&_HLS_part=1`, {}],
        [`/login?next=${encodeURIComponent(`/watch/show?share=${token}`)}`, {}],
        [`/SHARE=${q}`, {}],
        // The compatibility endpoint takes a stream key in the query.
        [`/api/stream/validate?token=${key}`, {}],
      ];
      for (const [path, headers] of requests) await get(path, headers);
      // A redirect carrying the link in its Location (a page that wants a login).
      const redirect = await get(`/recordings/show?share=${q}`);
      assert.equal(redirect.status, 302);
      assert.ok((redirect.headers.get("location") ?? "").includes(secret), "the Location did carry it");

      const logged = () => out().split("\n").filter((l) => l.includes('"handled request"')).length;
      await waitFor(
        "all requests in the access log",
        () => Promise.resolve(logged() >= requests.length + 3 ? true : undefined),
      );
      assert.ok(!out().includes(secret), `a share token reached Caddy's log:\n${out()}`);
      assert.ok(!out().includes(key.slice(3)), `a stream key reached Caddy's log:\n${out()}`);
      assert.match(out(), /validate\?token=REDACTED/);
      const redacted = out().split("\n").filter((l) => l.includes("share=REDACTED")).length;
      assert.ok(redacted >= 4, `requests with a share link are logged, redacted (${redacted}):\n${out()}`);
    } finally {
      client.close();
      await caddy.stop();
      await server.shutdown();
      t.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
