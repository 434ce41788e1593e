// Hostile input to the surfaces of pulled sources and the embeddable player, in process as a logged-in
// admin with a valid CSRF token: fuzzed and hand-picked source URLs through PATCH /api/streams/<path>
// (never a 5xx; 400 with a message, or stored masked), sources that point back at livegate, callers the
// door refuses; fuzzed /embed/<path>, embedOrigins (nothing reaches the CSP but origins) and /oembed?url=.
import assert from "node:assert/strict";
import { Jar, PASSWORD, testApp } from "../http/helpers.ts";
import { addUser } from "../../src/store/users.ts";
import { checkSane, count } from "./check.ts";
import { enc, nastyOrRandom, prng, randomJson } from "./corpus.ts";

const SCHEMES = [
  "rtsp",
  "rtsps",
  "rtmp",
  "rtmps",
  "http",
  "https",
  "srt",
  "ftp",
  "file",
  "javascript",
  "RTSP",
  "",
];

/** A URL-shaped hostile string: a scheme, odd credentials, host, port and path from the corpus. */
function hostileUrl(r: ReturnType<typeof prng>): string {
  const scheme = r.pick(SCHEMES);
  const cred = r.next() < 0.5 ? `${nastyOrRandom(r, 12)}:${nastyOrRandom(r, 12)}@` : "";
  const host = r.pick([
    "192.168.1.20",
    "camera.example",
    "[::1]",
    "127.0.0.1",
    "localhost",
    nastyOrRandom(r, 20),
  ]);
  const port = r.pick(["", ":554", ":0", ":65536", ":-1", `:${r.int(70000)}`, ":abc"]);
  return `${scheme}://${cred}${host}${port}/${nastyOrRandom(r, 30)}`;
}

Deno.test("hardening: source URLs through PATCH - no 5xx, 400 with a message, never a password back", async () => {
  const t = await testApp();
  try {
    const admin = new Jar(t.app, "192.0.2.110");
    assert.equal((await admin.login("admin", PASSWORD)).status, 303);
    const csrf = admin.cookies.get("lg_csrf")!;
    const patch = (path: string, body: unknown, jar = admin, token = csrf) =>
      jar.req(`/api/streams/${path}`, {
        method: "PATCH",
        headers: { "content-type": "application/json", "x-csrf-token": token },
        body: JSON.stringify(body),
      });
    const create = await admin.req("/api/streams", {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify({ path: "cam" }),
    });
    assert.equal(create.status, 201);

    const r = prng(2323);
    const statuses: Record<number, number> = {};
    for (let i = 0; i < 400; i++) {
      const value = r.next() < 0.6 ? hostileUrl(r) : randomJson(r);
      const body: Record<string, unknown> = { source: value };
      if (r.next() < 0.3) body.sourceOnDemand = randomJson(r);
      const res = await patch("cam", body);
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      const text = await checkSane(res, `PATCH source ${JSON.stringify(body).slice(0, 120)}`, "PATCH");
      assert.ok([200, 400].includes(res.status), `${res.status} ${text}`);
      if (res.status === 200 && typeof value === "string" && value.includes("@")) {
        const pw = /^[^:]*:\/\/[^:/@]*:([^@/]+)@/.exec(value)?.[1];
        if (pw && pw.length > 3 && pw !== "***") {
          assert.ok(!text.includes(`:${pw}@`), `password echoed: ${text}`);
        }
      }
      count("source PATCH");
    }
    assert.ok(statuses[400] > 100, JSON.stringify(statuses));

    // Pointing back at livegate: every loopback spelling, the public host, each own port.
    const ports = [t.cfg.port, ...Object.values(t.cfg.mediamtx.ports)];
    for (
      const host of [
        "127.0.0.1",
        "localhost",
        "[::1]",
        "0.0.0.0",
        "127.1.2.3",
        "LOCALHOST",
        new URL(t.cfg.publicUrl).hostname,
      ]
    ) {
      for (const port of ports) {
        const res = await patch("cam", { source: `rtsp://${host}:${port}/live` });
        const text = await checkSane(res, `self ${host}:${port}`, "PATCH");
        assert.equal(res.status, 400, `${host}:${port} ${text}`);
        assert.match(text, /livegate itself/);
      }
    }

    // A password with reserved characters is stored and shown masked.
    const ok = await patch("cam", {
      source: "rtsp://admin:p%40ss%3Aw0rd!@192.168.1.20:554/stream1",
      sourceOnDemand: true,
    });
    const okText = await checkSane(ok, "good source", "PATCH");
    assert.equal(ok.status, 200, okText);
    assert.ok(!okText.includes("p%40ss") && !okText.includes("w0rd"), okText);
    assert.match(JSON.parse(okText).source.url, /^rtsp:\/\/admin:\*\*\*@192\.168\.1\.20:554\/stream1$/);

    // The door: anonymous 401, a streamer who does not own it 403, no CSRF 403, an unknown stream 404.
    const anon = new Jar(t.app, "192.0.2.111");
    assert.equal((await patch("cam", { source: null }, anon, "")).status, 401);
    await addUser(t.kv, "mallory", "mallory-password-123", "streamer");
    const mallory = new Jar(t.app, "192.0.2.112");
    assert.equal((await mallory.login("mallory", "mallory-password-123")).status, 303);
    const m = await patch(
      "cam",
      { source: "rtsp://evil.example/x" },
      mallory,
      mallory.cookies.get("lg_csrf")!,
    );
    assert.equal(m.status, 403);
    await m.body?.cancel();
    assert.equal((await patch("cam", { source: null }, admin, "wrong")).status, 403);
    const unknown = await patch("nosuch", { source: "rtsp://camera.example/x" });
    assert.equal(unknown.status, 404);
    await unknown.body?.cancel();
    const src = await admin.req("/api/streams/cam/source");
    assert.equal(src.status, 200, "the good source is still there");
    assert.equal(JSON.parse(await src.text()).source.onDemand, true);
    console.log(`source PATCH statuses ${JSON.stringify(statuses)}`);
  } finally {
    t.close();
  }
});

Deno.test("hardening: /embed/<path>, embedOrigins and /oembed?url= - no 5xx, nothing but origins in the CSP", async () => {
  const t = await testApp();
  try {
    const admin = new Jar(t.app, "192.0.2.120");
    assert.equal((await admin.login("admin", PASSWORD)).status, 303);
    const csrf = admin.cookies.get("lg_csrf")!;
    const json = (method: string, path: string, body?: unknown) =>
      admin.req(path, {
        method,
        headers: { "content-type": "application/json", "x-csrf-token": csrf },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    assert.equal((await json("POST", "/api/streams", { path: "pub", visibility: "public" })).status, 201);
    const r = prng(2324);
    const anon = new Jar(t.app, "192.0.2.121");
    for (let i = 0; i < 200; i++) {
      const res = await anon.req(
        `/embed/${enc(nastyOrRandom(r))}${r.next() < 0.3 ? `?share=${enc(nastyOrRandom(r))}` : ""}`,
      );
      await checkSane(res, "embed");
      const csp = res.headers.get("content-security-policy");
      if (csp) assert.match(csp, /frame-ancestors ('none'|'self'( https?:\/\/[^ ;']+)*);/);
      count("embed page");
    }
    for (let i = 0; i < 200; i++) {
      const value = r.next() < 0.5
        ? [r.pick(["https://", "http://", "", "*://", "data:"]) + nastyOrRandom(r, 20)]
        : randomJson(r);
      const res = await json("PATCH", "/api/streams/pub", { embedOrigins: value });
      const text = await checkSane(res, `embedOrigins ${JSON.stringify(value).slice(0, 80)}`, "PATCH");
      assert.ok([200, 400].includes(res.status), text);
      const page = await anon.req("/embed/pub");
      await page.body?.cancel();
      const fa = /frame-ancestors ([^;]*)/.exec(page.headers.get("content-security-policy") ?? "")![1];
      for (const src of fa.split(" ").slice(1)) {
        assert.match(src, /^https?:\/\/[a-z0-9.\-\[\]:]+$/i, `not an origin in the CSP: ${src}`);
      }
      assert.equal(page.headers.get("x-frame-options"), null);
      count("embedOrigins PATCH");
    }
    for (let i = 0; i < 200; i++) {
      const url = r.next() < 0.5
        ? `${t.cfg.publicUrl}/${r.pick(["watch", "embed"])}/${nastyOrRandom(r)}`
        : nastyOrRandom(r, 100);
      const format = r.next() < 0.3 ? nastyOrRandom(r, 6) : undefined;
      const extra = format === undefined ? "" : `&maxwidth=${enc(nastyOrRandom(r, 8))}&format=${enc(format)}`;
      const res = await anon.req(`/oembed?url=${enc(url)}${extra}`);
      if (res.status === 501) {
        // oEmbed 1.0 §2.3.4: a format the provider does not offer is 501 Not Implemented.
        assert.ok(format !== undefined && format !== "json");
        assert.match((await res.json()).error, /format=json/);
        continue;
      }
      const text = await checkSane(res, `oembed ${url.slice(0, 60)}`);
      assert.ok([200, 401, 404, 501].includes(res.status), `${res.status} ${text}`);
      if (res.status === 200) assert.match(JSON.parse(text).html, /\/embed\/pub"/);
      count("oembed");
    }
  } finally {
    t.close();
  }
});
