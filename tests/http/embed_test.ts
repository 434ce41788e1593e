// The embeddable player's HTTP surface in process: /embed/<path> headers (frame-ancestors of the stream's
// allowed origins, no X-Frame-Options; /watch stays unframable), refusals as pages, embedOrigins through
// PATCH /api/streams/<path> (bad input 400, other fields still applied, owner only), and oEmbed (public
// streams only, 401/404/501 otherwise).
import assert from "node:assert/strict";
import { Jar, PASSWORD, testApp } from "./helpers.ts";
import { addUser } from "../../src/store/users.ts";

async function logged(t: Awaited<ReturnType<typeof testApp>>, user = "admin", pw = PASSWORD) {
  const j = new Jar(t.app);
  assert.equal((await j.login(user, pw)).status, 303);
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await j.req(path, {
      method,
      headers: { "content-type": "application/json", "x-csrf-token": j.cookies.get("lg_csrf") ?? "" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // deno-lint-ignore no-explicit-any
    return { status: res.status, body: await res.json().catch(() => ({})) as Record<string, any> };
  };
  return { j, call };
}

Deno.test("embed: CSP frame-ancestors per stream, no X-Frame-Options; /watch stays DENY", async () => {
  const t = await testApp();
  try {
    const { call } = await logged(t);
    assert.equal((await call("POST", "/api/streams", { path: "cam", visibility: "public" })).status, 201);
    const anon = new Jar(t.app);
    let res = await anon.req("/embed/cam");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-security-policy") ?? "", /frame-ancestors 'self'(;|$)/);
    assert.equal(res.headers.get("x-frame-options"), null);
    const html = await res.text();
    assert.match(html, /<video id="video" playsinline autoplay muted>/);
    assert.doesNotMatch(html, /<header/);

    const bad = await call("PATCH", "/api/streams/cam", { embedOrigins: ["https://a.example/path"] });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /not an origin/);
    for (
      const v of [["*"], ["javascript:alert(1)"], "https://x.example 'unsafe-inline'", 5, [
        "https://u:p@x.example",
      ]]
    ) {
      assert.equal(
        (await call("PATCH", "/api/streams/cam", { embedOrigins: v })).status,
        400,
        JSON.stringify(v),
      );
    }
    const ok = await call("PATCH", "/api/streams/cam", {
      embedOrigins: "https://blog.example.com, http://localhost:8080",
      title: "Front door",
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(ok.body.embedOrigins, ["http://localhost:8080", "https://blog.example.com"]);
    assert.equal(ok.body.stream.title, "Front door", "the streams API applied the rest of the body");
    const got = await call("GET", "/api/streams/cam");
    assert.deepEqual(got.body.embedOrigins, ["http://localhost:8080", "https://blog.example.com"]);
    assert.ok(got.body.embed.startsWith(`<iframe src="${t.cfg.publicUrl}/embed/cam"`), got.body.embed);

    res = await anon.req("/embed/cam");
    assert.match(
      res.headers.get("content-security-policy") ?? "",
      /frame-ancestors 'self' http:\/\/localhost:8080 https:\/\/blog\.example\.com;/,
    );
    await res.body?.cancel();
    const { j } = await logged(t);
    const dash = await (await j.req("/admin/streams/cam")).text();
    assert.match(dash, /id="source-form"/, "the dashboard's Source card");
    assert.match(dash, /id="embed-snippet"/, "the dashboard's Embed card");
    assert.match(dash, /src="\/static\/sources.js"/);
    const watch = await anon.req("/watch/cam");
    assert.equal(watch.headers.get("x-frame-options"), "DENY");
    assert.match(watch.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
    await watch.body?.cancel();
  } finally {
    t.close();
  }
});

Deno.test("embed: private and unknown streams show a page in the frame; only owners set origins", async () => {
  const t = await testApp();
  try {
    const { call } = await logged(t);
    assert.equal((await call("POST", "/api/streams", { path: "priv" })).status, 201);
    const anon = new Jar(t.app);
    let res = await anon.req("/embed/priv");
    assert.equal(res.status, 401);
    let html = await res.text();
    assert.match(html, /This stream is private/);
    assert.match(html, /href="\/watch\/priv"/);
    assert.doesNotMatch(html, /<video/);
    res = await anon.req("/embed/nosuch");
    assert.equal(res.status, 401, "the same answer as for a private stream");
    assert.match(await res.text(), /This stream is private/);
    res = await anon.req("/embed/..%2f");
    assert.equal(res.status, 404);
    await res.body?.cancel();

    await addUser(t.kv, "viewer1", "viewer-password-1", "viewer");
    const v = await logged(t, "viewer1", "viewer-password-1");
    const r = await v.call("PATCH", "/api/streams/priv", { embedOrigins: ["https://evil.example"] });
    assert.equal(r.status, 403);
    html = await (await v.j.req("/embed/priv")).text();
    assert.match(html, /<video/, "a private stream without allow-list: every logged-in user watches");
  } finally {
    t.close();
  }
});

Deno.test("oEmbed: public streams only; JSON; bad url 404, private 401, xml 501", async () => {
  const t = await testApp();
  try {
    const { call } = await logged(t);
    await call("POST", "/api/streams", { path: "pub", visibility: "public", title: "Harbour cam" });
    await call("POST", "/api/streams", { path: "hidden", visibility: "unlisted" });
    const anon = new Jar(t.app);
    const base = t.cfg.publicUrl;
    const q = (url: string, extra = "") =>
      anon.req(`/oembed?url=${encodeURIComponent(url.replace("http://localhost", base))}${extra}`);
    let res = await q("http://localhost/watch/pub", "&maxwidth=320");
    assert.equal(res.status, 200);
    const o = await res.json();
    assert.equal(o.version, "1.0");
    assert.equal(o.type, "video");
    assert.equal(o.title, "Harbour cam");
    assert.equal(o.width, 320);
    assert.equal(o.height, 180);
    assert.ok(o.html.startsWith(`<iframe src="${base}/embed/pub" width="320" height="180"`), o.html);
    assert.equal((await q("http://localhost/embed/pub")).status, 200);
    for (
      const [url, status] of [
        ["http://localhost/watch/hidden", 401],
        ["http://localhost/watch/nosuch", 401],
        ["https://elsewhere.example/watch/pub", 404],
        ["not a url", 404],
        ["http://localhost/admin/streams/pub", 404],
      ] as const
    ) {
      res = await q(url);
      assert.equal(res.status, status, url);
      assert.ok((await res.json()).error);
    }
    // Discovery (oEmbed §4): the public stream's watch page names the endpoint; a private one does not.
    const page = await (await anon.req("/watch/pub")).text();
    const link = /<link rel="alternate" type="application\/json\+oembed" href="([^"]+)"/.exec(page)?.[1];
    assert.ok(link, "discovery link");
    const found = await anon.req(
      new URL(link.replaceAll("&amp;", "&")).pathname + new URL(link.replaceAll("&amp;", "&")).search,
    );
    assert.equal(found.status, 200);
    assert.equal((await found.json()).title, "Harbour cam");
    await call("POST", "/api/streams", { path: "priv2" });
    const { j } = await logged(t);
    assert.doesNotMatch(await (await j.req("/watch/priv2")).text(), /json\+oembed/);
    res = await q("http://localhost/watch/pub", "&format=xml");
    assert.equal(res.status, 501);
    await res.body?.cancel();
  } finally {
    t.close();
  }
});

Deno.test("embed: a share link plays an unlisted stream (the token goes to the player for its URLs)", async () => {
  const t = await testApp();
  try {
    const { call } = await logged(t);
    assert.equal((await call("POST", "/api/streams", { path: "unl", visibility: "unlisted" })).status, 201);
    const share = await call("POST", "/api/streams/unl/shares", { hours: 1 });
    assert.equal(share.status, 201);
    const anon = new Jar(t.app);
    const res = await anon.req(`/embed/unl?share=${encodeURIComponent(share.body.token)}`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /<video id="video"/);
    assert.ok(html.includes(`data-share="${share.body.token}"`), "the player gets the token");
    assert.match(html, /data-via="share"/);
    // The player's first request with the token in its URL passes the door (no cookie in a third-party frame).
    const media = await new Jar(t.app).req(
      `/api/streams/unl/media?share=${encodeURIComponent(share.body.token)}`,
    );
    assert.notEqual(media.status, 401);
    assert.notEqual(media.status, 403);
    await media.body?.cancel();
    const bad = await new Jar(t.app).req("/embed/unl?share=forged.token.value");
    assert.equal(bad.status, 401);
    assert.match(await bad.text(), /share link is invalid, expired or revoked/);
  } finally {
    t.close();
  }
});
