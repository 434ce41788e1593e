// Links livegate hands out use the host the browser reached it on while LIVEGATE_PUBLIC_URL is unset
// (behind a trusted proxy: the forwarded host and scheme), the configured URL when it is set; the
// dashboard warns an admin about an unset public URL and plain HTTP from the network.
import assert from "node:assert/strict";
import { Jar, PASSWORD, testApp } from "./helpers.ts";
import { createStream } from "../../src/store/streams.ts";

async function admin(
  t: Awaited<ReturnType<typeof testApp>>,
  host: string,
  extra: Record<string, string> = {},
) {
  const jar = new Jar(t.app, "127.0.0.1");
  const headers = { host, ...extra };
  const csrf = await (async () => {
    const html = await (await jar.req("/login", { headers })).text();
    return /name="csrf" value="([^"]+)"/.exec(html)![1];
  })();
  const r = await jar.req("/login", {
    method: "POST",
    headers: { ...headers, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrf, user: "admin", password: PASSWORD, next: "/" }),
  });
  assert.equal(r.status, 303);
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await jar.req(path, {
      method,
      headers: {
        ...headers,
        "content-type": "application/json",
        "x-csrf-token": jar.cookies.get("lg_csrf")!,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  const page = async (path: string) => await (await jar.req(path, { headers })).text();
  return { api, page };
}

Deno.test("public URL: unset -> the reached host (and forwarded scheme/host behind a trusted proxy)", async () => {
  const t = await testApp({ LIVEGATE_TRUST_PROXY: "true" });
  try {
    await createStream(t.kv, "live", { visibility: "unlisted" });
    const a = await admin(t, "stream.example.org:3000");
    const key = await a.api("POST", "/api/streams/live/keys", { name: "obs" });
    assert.equal(key.status, 201);
    assert.match(key.body.publishUrl, /^rtmp:\/\/stream\.example\.org:\d+\/live\?token=lg_/);
    // What OBS needs, ready to paste: Server + Stream Key (the working RTMP form), and WHIP.
    assert.match(key.body.connect.obs.server, /^rtmp:\/\/stream\.example\.org:\d+$/);
    assert.equal(key.body.connect.obs.streamKey, `live?token=${key.body.key}`);
    assert.equal(key.body.connect.whip.server, "http://stream.example.org:3000/whip/live");
    assert.equal(key.body.connect.whip.bearerToken, key.body.key);
    const share = await a.api("POST", "/api/streams/live/shares", { hours: 1 });
    assert.match(share.body.url, /^http:\/\/stream\.example\.org:3000\/watch\/live\?share=/);
    // Over plain HTTP from the network: both warnings on the dashboard.
    const dash = await a.page("/admin");
    assert.match(dash, /LIVEGATE_PUBLIC_URL is not set/);
    assert.match(dash, /plain HTTP/);

    const p = await admin(t, "127.0.0.1:3000", {
      "x-forwarded-host": "tv.example.net",
      "x-forwarded-proto": "https",
    });
    const s2 = await p.api("POST", "/api/streams/live/shares", { hours: 1 });
    assert.match(s2.body.url, /^https:\/\/tv\.example\.net\/watch\/live\?share=/);
    const k2 = await p.api("POST", "/api/streams/live/keys", { name: "obs2" });
    assert.match(k2.body.publishUrl, /^rtmp:\/\/tv\.example\.net:/);
    const dash2 = await p.page("/admin");
    assert.match(dash2, /LIVEGATE_PUBLIC_URL is not set/);
    assert.doesNotMatch(dash2, /plain HTTP/, "HTTPS through the proxy");

    // A malformed Host falls back to the default; localhost gets no warnings.
    const bad = await admin(t, "evil.example/<x>");
    const s3 = await bad.api("POST", "/api/streams/live/shares", { hours: 1 });
    assert.match(s3.body.url, /^http:\/\/localhost:\d+\/watch\//);
    const local = await admin(t, "localhost:3000");
    assert.doesNotMatch(await local.page("/admin"), /role="alert"/);
  } finally {
    t.close();
  }
});

Deno.test("public URL: when set, every link uses it whatever host was reached", async () => {
  const t = await testApp({
    LIVEGATE_PUBLIC_URL: "https://live.example.com",
    LIVEGATE_PUBLISH_HOST: "ingest.example.com",
  });
  try {
    await createStream(t.kv, "live", { visibility: "unlisted" });
    const a = await admin(t, "10.1.2.3:3000");
    const share = await a.api("POST", "/api/streams/live/shares", { hours: 1 });
    assert.match(share.body.url, /^https:\/\/live\.example\.com\/watch\/live\?share=/);
    const key = await a.api("POST", "/api/streams/live/keys", { name: "obs" });
    assert.match(key.body.publishUrl, /^rtmp:\/\/ingest\.example\.com:/);
    assert.doesNotMatch(await a.page("/admin"), /LIVEGATE_PUBLIC_URL is not set/);
  } finally {
    t.close();
  }
});
