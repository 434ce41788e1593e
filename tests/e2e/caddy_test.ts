// The top-level Caddyfile for real: Debian's caddy with its internal CA (no root, high ports, a temp data dir, no
// trust-store install) in front of livegate with LIVEGATE_TRUST_PROXY=true. Login over HTTPS sets Secure
// cookies, HTTP redirects to HTTPS, LL-HLS (blocking reloads included) plays through Caddy, and every
// recording link of a 25 h recording starts well before Caddy's response_header_timeout.
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Caddy, startCaddy } from "./caddy.ts";
import { ADMIN_PASSWORD, Client, publish, startLivegate, stopProc } from "./harness.ts";
import { checkHlsPlays } from "./hls_check.ts";
import { writeRecording } from "./synthetic_recording.ts";

class HttpsClient extends Client {
  constructor(base: string, readonly client: Deno.HttpClient) {
    super(base);
  }
  override fetch(path: string, init: RequestInit = {}): Promise<Response> {
    return super.fetch(path, { ...init, client: this.client } as RequestInit);
  }
}

Deno.test({
  name: "e2e Caddy: HTTPS with tls internal in front of livegate, Secure cookies, LL-HLS through the proxy",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "livegate-caddy-" });
    const lg = await startLivegate({ LIVEGATE_TRUST_PROXY: "true", LIVEGATE_RECORD_RETENTION: "3d" });
    let caddy: Caddy | undefined;
    let pub: Deno.ChildProcess | undefined;
    try {
      caddy = await startCaddy(dir, new URL(lg.url).host);
      const c = caddy;

      await t.step("HTTPS answers with HSTS; plain HTTP redirects to HTTPS", async () => {
        const r = await fetch(`${c.https}/health`, { client: c.client });
        assert.equal(await r.text(), "OK");
        assert.match(r.headers.get("strict-transport-security") ?? "", /max-age=\d+/);
        assert.equal(r.headers.get("server"), null);
        const plain = await fetch(`${c.http}/login`, { redirect: "manual" });
        await plain.body?.cancel();
        assert.ok([301, 302, 307, 308].includes(plain.status), `redirect, got ${plain.status}`);
        // (Caddy 2.6 leaves the non-standard test port out of the redirect; in production it is 443.)
        assert.match(plain.headers.get("location") ?? "", /^https:\/\/localhost(:\d+)?\/login$/);
      });

      const viewer = new HttpsClient(c.https, c.client);
      await t.step("login over HTTPS sets Secure cookies (not so over plain HTTP to livegate)", async () => {
        const page = await viewer.fetch("/login");
        assert.equal(page.status, 200);
        await page.body?.cancel();
        const res = await viewer.login("admin", ADMIN_PASSWORD, "/watch/live");
        assert.equal(res.status, 303, await res.text());
        assert.equal(res.headers.get("location"), "/watch/live");
        const cookies = res.headers.getSetCookie();
        assert.ok(cookies.length > 0, "session cookie set");
        for (const ck of cookies) {
          assert.match(ck, /;\s*Secure/i, `Secure flag on ${ck.split("=")[0]}`);
          assert.match(ck, /;\s*HttpOnly/i);
        }
        const watch = await viewer.fetch("/watch/live");
        assert.equal(watch.status, 200);
        await watch.body?.cancel();

        const direct = new Client(lg.url);
        const dres = await direct.login("admin", ADMIN_PASSWORD);
        assert.equal(dres.status, 303);
        for (const ck of dres.headers.getSetCookie()) assert.doesNotMatch(ck, /;\s*Secure/i);
      });

      await t.step("recording links of a 25 h recording start at once through Caddy", async () => {
        const count = 25 * 60;
        await writeRecording({
          recordDir: join(lg.dataDir, "recordings"),
          path: "live",
          start: new Date(Date.now() - (count + 2) * 60_000),
          count,
          segmentSeconds: 60,
          scratch: dir,
        });
        const page = await (await viewer.fetch("/recordings/live")).text();
        const links = [...page.matchAll(/href="(\/recordings\/live\/media\?[^"]+)"/g)]
          .map((m) => m[1].replaceAll("&amp;", "&"));
        const first = new URL(links[0], c.https).searchParams;
        // The page's links (two 12.5 h parts) and the longest MP4 range.
        links.push(`/recordings/live/media?${new URLSearchParams({
          start: first.get("start")!,
          duration: "3600",
          format: "mp4",
        })}`);
        assert.equal(links.length, 3, page);
        for (const l of links) {
          const t0 = performance.now();
          const r = await viewer.fetch(l);
          assert.equal(r.status, 200, l);
          const reader = r.body!.getReader();
          const { value } = await reader.read();
          const ms = performance.now() - t0;
          await reader.cancel();
          assert.ok(value && value.byteLength > 0);
          assert.ok(ms < 10_000, `${l}: first byte through Caddy after ${ms.toFixed(0)} ms`);
        }
        const head = await viewer.fetch(links[0], { method: "HEAD" });
        assert.equal(head.status, 200);
        assert.equal(head.headers.get("accept-ranges"), "none");
        assert.equal(head.headers.get("content-length"), null);
        await head.body?.cancel();
      });

      await t.step("a cross-site login POST through Caddy is refused", async () => {
        const r = await viewer.fetch("/login", {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
          body: new URLSearchParams({ user: "admin", password: ADMIN_PASSWORD, csrf: "x" }),
        });
        assert.equal(r.status, 403);
        await r.body?.cancel();
      });

      await t.step(
        "a forged X-Forwarded-For through Caddy does not dodge the per-IP login limit",
        async () => {
          const statuses: number[] = [];
          for (let i = 0; i < 11; i++) {
            const cl = new HttpsClient(c.https, c.client);
            const page = await (await cl.fetch("/login")).text();
            const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? "";
            const r = await cl.fetch("/login", {
              method: "POST",
              headers: {
                "content-type": "application/x-www-form-urlencoded",
                "x-forwarded-for": `203.0.113.${i + 1}`,
              },
              body: new URLSearchParams({ csrf, user: `nobody${i}`, password: "wrong-password", next: "/" }),
            });
            await r.body?.cancel();
            statuses.push(r.status);
          }
          assert.deepEqual(statuses, [...Array(10).fill(401), 429], "Caddy's own X-Forwarded-For counts");
        },
      );

      await t.step("LL-HLS plays through Caddy, blocking playlist reloads come back through it", async () => {
        pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 60);
        await checkHlsPlays(viewer, "live", dir);
        const master = await (await viewer.fetch("/hls/live/index.m3u8")).text();
        const variant = master.split("\n").find((l) => l.endsWith(".m3u8") && !l.startsWith("#"))!;
        const media = await (await viewer.fetch(`/hls/live/${variant}`)).text();
        const segs = media.split("\n").filter((l) => l.endsWith(".mp4") && !l.startsWith("#"));
        const msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(media)![1]) + segs.length;
        const t0 = Date.now();
        const blocked = await viewer.fetch(`/hls/live/${variant}?_HLS_msn=${msn}&_HLS_part=0`);
        assert.equal(blocked.status, 200);
        assert.match(await blocked.text(), /#EXT-X-PART:/);
        assert.ok(Date.now() - t0 < 5000, "the blocking reload came back through Caddy in time");
      });
    } finally {
      if (pub) await stopProc(pub);
      await caddy?.stop();
      caddy?.client.close();
      await lg.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
