// Who may watch what, through the real routes: /hls (the proxy), /api/streams/<path>/media (the WebRTC
// side's check), /watch (the player page) and /api/live
// (the home list), for every role x visibility, share links by query and by the cookie the page sets.
// MediaMTX is not running here, so an allowed media request reaches the upstream and gets 502/503; a
// refused one never gets that far (401 without login, 403 when logged in but not allowed).
import assert from "node:assert/strict";
import { Jar, PASSWORD, testApp } from "./helpers.ts";
import { addUser } from "../../src/store/users.ts";
import { createStream } from "../../src/store/streams.ts";
import { createShare } from "../../src/store/shares.ts";

Deno.test("http: /hls and /watch - role x visibility matrix, share links", async () => {
  const t = await testApp();
  try {
    await addUser(t.kv, "sam", "sam-password-1", "streamer");
    await addUser(t.kv, "olga", "olga-password-1", "streamer");
    await addUser(t.kv, "vic", "vic-password-1", "viewer");
    await addUser(t.kv, "lisa", "lisa-password-1", "viewer");
    await createStream(t.kv, "pub", { visibility: "public", owner: "sam" });
    await createStream(t.kv, "priv", { visibility: "private", owner: "sam" });
    await createStream(t.kv, "club", { visibility: "private", owner: "sam", allow: ["lisa"] });
    await createStream(t.kv, "unl", { visibility: "unlisted", owner: "sam" });
    const jars: Record<string, Jar> = { anonymous: new Jar(t.app) };
    for (
      const [name, pw] of [["admin", PASSWORD], ["sam", "sam-password-1"], ["olga", "olga-password-1"], [
        "vic",
        "vic-password-1",
      ], ["lisa", "lisa-password-1"]]
    ) {
      jars[name] = new Jar(t.app);
      assert.equal((await jars[name].login(name, pw)).status, 303);
    }
    type Want = "ok" | 401 | 403;
    const MATRIX: Record<string, Record<string, Want>> = {
      pub: { anonymous: "ok", admin: "ok", sam: "ok", olga: "ok", vic: "ok", lisa: "ok" },
      priv: { anonymous: 401, admin: "ok", sam: "ok", olga: "ok", vic: "ok", lisa: "ok" },
      club: { anonymous: 401, admin: "ok", sam: "ok", olga: 403, vic: 403, lisa: "ok" },
      unl: { anonymous: 401, admin: "ok", sam: "ok", olga: "ok", vic: "ok", lisa: "ok" },
      // No stream record (never registered, or deleted): admins only.
      live: { anonymous: 401, admin: "ok", sam: 403, olga: 403, vic: 403, lisa: 403 },
    };
    for (const [path, row] of Object.entries(MATRIX)) {
      for (const [who, want] of Object.entries(row)) {
        const r = await jars[who].req(`/hls/${path}/index.m3u8`);
        const body = await r.json();
        if (want === "ok") assert.ok(r.status === 502 || r.status === 503, `${who} ${path}: ${r.status}`);
        else assert.equal(r.status, want, `${who} ${path}: ${JSON.stringify(body)}`);
        // The WebRTC side (media info for the player, same rule as WHEP).
        const m = await jars[who].req(`/api/streams/${path}/media`);
        await m.body?.cancel();
        if (want === "ok") {
          assert.ok(m.status === 502 || m.status === 503, `media ${who} ${path}: ${m.status}`);
        } else assert.equal(m.status, want, `media ${who} ${path}`);
        const page = await jars[who].req(`/watch/${path}`);
        await page.body?.cancel();
        const pageWant = want === "ok" ? 200 : want === 401 ? 302 : 403;
        assert.equal(page.status, pageWant, `page ${who} ${path}`);
      }
    }

    // Share links: by query on /hls, and via the cookie set by the /watch page.
    const { token } = await createShare(t.kv, "unl", { hours: 1, createdBy: "sam" });
    const q = await t.app.request(`http://localhost/hls/unl/index.m3u8?share=${encodeURIComponent(token)}`);
    await q.body?.cancel();
    assert.ok(q.status === 502 || q.status === 503, `share by query: ${q.status}`);
    const guest = new Jar(t.app);
    const page = await guest.req(`/watch/unl?share=${encodeURIComponent(token)}`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /player\.js/);
    assert.equal(guest.cookies.get("lg_share"), token, "share cookie set");
    const viaCookie = await guest.req("/hls/unl/index.m3u8");
    await viaCookie.body?.cancel();
    assert.ok(viaCookie.status === 502 || viaCookie.status === 503, `share by cookie: ${viaCookie.status}`);
    // The share link is bound to its stream.
    assert.equal((await guest.req("/hls/priv/index.m3u8")).status, 401);
    // A bad share link: a page saying so (not a login redirect), 401 for media.
    const bad = await new Jar(t.app).req("/watch/unl?share=abc.def.ghijklmnopqrstuvwxyz0123");
    assert.equal(bad.status, 401);
    assert.match(await bad.text(), /share link is invalid/);
  } finally {
    t.close();
  }
});

Deno.test("http: home page and /api/live list only what the visitor may see", async () => {
  const t = await testApp();
  try {
    await addUser(t.kv, "vic", "vic-password-1", "viewer");
    await createStream(t.kv, "pub", { visibility: "public", title: "Public <b>show</b>" });
    await createStream(t.kv, "priv", { visibility: "private" });
    await createStream(t.kv, "club", { visibility: "private", allow: ["someone"] });
    await createStream(t.kv, "unl", { visibility: "unlisted" });
    const paths = async (j: Jar) => {
      const r = await j.req("/api/live");
      assert.equal(r.status, 200);
      const b = await r.json();
      assert.equal(b.mtxDown, true, "MediaMTX is down in this test");
      return b.streams.map((s: { path: string }) => s.path).sort();
    };
    const anon = new Jar(t.app);
    assert.deepEqual(await paths(anon), ["pub"]);
    const home = await anon.req("/");
    assert.equal(home.status, 200, "home page without login");
    const html = await home.text();
    assert.match(html, /Public &lt;b&gt;show&lt;\/b&gt;/, "titles are escaped");
    assert.ok(!html.includes("/watch/priv"));
    assert.match(html, /home\.js/);
    const vic = new Jar(t.app);
    await vic.login("vic", "vic-password-1");
    assert.deepEqual(await paths(vic), ["priv", "pub"]);
    const admin = new Jar(t.app);
    await admin.login("admin", PASSWORD);
    assert.deepEqual(await paths(admin), ["club", "priv", "pub", "unl"]);
    // Dashboard pages: admins yes, viewers no, anonymous to the login page.
    assert.equal((await admin.req("/admin")).status, 200);
    assert.equal((await admin.req("/admin/streams/pub")).status, 200);
    assert.equal((await admin.req("/admin/users/vic")).status, 200);
    assert.equal((await admin.req("/admin/users/nobody")).status, 404);
    assert.equal((await vic.req("/admin")).status, 403);
    assert.equal((await anon.req("/admin")).status, 302);
  } finally {
    t.close();
  }
});
