// Hostile input to the restream destinations API (as the stream's admin, past the guards): fuzzed bodies
// from the corpus plus URLs aimed at ffmpeg (other protocols, concat:/file:/pipe:, option-looking strings,
// credentials in every place, odd ports and hosts), and any tlsVerify. Invariants: no 5xx, a message with
// every 4xx, nothing stored unless its URL has a supported scheme and no credentials, the certificate
// opt-out only on rtmps://, no key echoed in any answer, markup in
// names never raw on the page.
import assert from "node:assert/strict";
import { Jar, PASSWORD, testApp } from "../http/helpers.ts";
import { createStream } from "../../src/store/streams.ts";
import { listAllDestinations } from "../../src/store/restream.ts";
import { checkSane } from "./check.ts";
import { enc, nastyOrRandom, prng, randomJson } from "./corpus.ts";

const URLS = [
  "rtmp://a.rtmp.youtube.com/live2",
  "rtmps://live-api-s.facebook.com:443/rtmp",
  "srt://127.0.0.1:9000?latency=200000",
  "https://whip.example/whip/endpoint",
  "concat:rtmp://a/b|file:///etc/passwd",
  "file:///etc/passwd",
  "pipe:1",
  "subfile:,start,0,end,0,,:/etc/passwd",
  "tcp://127.0.0.1:22",
  "udp://239.0.0.1:1234",
  "rtsp://127.0.0.1:8554/live",
  "gopher://x",
  "-f",
  "-i /etc/passwd",
  "rtmp://-oProxyCommand=x/app",
  "rtmp://user:pass@host/app",
  "rtmp://host/app?token=abc",
  "rtmp://host/app?streamkey=abc",
  "srt://host:9000?streamid=publish:x",
  "srt://host:9000?passphrase=0123456789",
  "srt://host:0",
  "srt://host:99999",
  "rtmp://host:99999/app",
  "rtmp://[::1]:1935/app",
  "rtmp://host/app#x",
  "rtmp://host/app\r\nX: y",
  "rtmp://host/app%0d%0a",
  "rtmp://ho st/app",
  "rtmp:///app",
  "rtmp://",
  "srt://",
  "http://",
  "RTMP://HOST/APP",
  "rtmp://日本.example/app",
  "rtmp://host/" + "a".repeat(2000),
];

const SECRET = "hardening-key-0123456789-SECRET";

Deno.test("hardening: fuzzed restream destinations API -> clear 4xx, nothing bad stored, no key echoed", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "livegate-restream-fuzz-" });
  const t = await testApp({ LIVEGATE_DATA_DIR: dataDir });
  try {
    await createStream(t.kv, "live", {});
    const admin = new Jar(t.app, "192.0.2.95");
    assert.equal((await admin.login("admin", PASSWORD)).status, 303);
    const csrf = admin.cookies.get("lg_csrf")!;
    const r = prng(0x2121);
    const statuses: Record<number, number> = {};
    let ids: string[] = [];
    for (let i = 0; i < 600; i++) {
      const field = () => r.next() < 0.6 ? nastyOrRandom(r, 60) : randomJson(r);
      const body: Record<string, unknown> = {
        name: r.next() < 0.6 ? r.pick(["YouTube", "<script>alert(1)</script>", "x"]) : field(),
        url: r.next() < 0.7 ? r.pick(URLS) : field(),
        key: r.next() < 0.6 ? r.pick([SECRET, "-y", "a b", "k\u0000", "x".repeat(600)]) : field(),
      };
      if (r.next() < 0.3) body.enabled = r.next() < 0.5 ? r.next() < 0.5 : field();
      // The certificate opt-out: false only for rtmps://, anything but a boolean refused.
      if (r.next() < 0.3) body.tlsVerify = r.next() < 0.6 ? r.next() < 0.5 : field();
      const method = ids.length && r.next() < 0.3 ? r.pick(["PATCH", "DELETE"]) : "POST";
      const id = method === "POST" ? "" : r.next() < 0.8 ? r.pick(ids) : enc(nastyOrRandom(r, 30));
      const path = `/api/streams/${r.next() < 0.9 ? "live" : enc(nastyOrRandom(r, 20))}/destinations${
        id ? `/${id}` : ""
      }`;
      const res = await admin.req(path, {
        method,
        headers: { "content-type": "application/json", "x-csrf-token": csrf },
        body: r.next() < 0.95 ? JSON.stringify(r.next() < 0.9 ? body : randomJson(r)) : nastyOrRandom(r, 100),
      });
      const text = await checkSane(res, `${method} ${path} ${JSON.stringify(body).slice(0, 200)}`, method);
      assert.ok(!text.includes(SECRET), `the key echoed: ${method} ${path}`);
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (res.status === 201) ids.push(JSON.parse(text).destination.id);
      if (method === "DELETE" && res.status === 200) ids = ids.filter((x) => x !== id);
      if (ids.length >= 9) {
        for (const x of ids) {
          await admin.req(`/api/streams/live/destinations/${x}`, {
            method: "DELETE",
            headers: { "x-csrf-token": csrf },
          });
        }
        ids = [];
      }
    }
    console.log(`restream API fuzz statuses ${JSON.stringify(statuses)}`);
    assert.ok((statuses[201] ?? 0) > 10 && (statuses[400] ?? 0) > 200, JSON.stringify(statuses));
    for (const d of await listAllDestinations(t.kv)) {
      assert.match(d.url, /^(rtmps?|srt|https?):\/\/[^/@\s]+/i, `stored ${d.url}`);
      assert.ok(!d.url.includes("@") && !/[?&](token|key|streamid|passphrase)=/i.test(d.url), d.url);
      assert.ok(!JSON.stringify(d).includes(SECRET), "no clear key at rest");
      assert.ok(d.tlsVerify === undefined || typeof d.tlsVerify === "boolean", `tlsVerify ${d.tlsVerify}`);
      assert.ok(d.tlsVerify !== false || d.kind === "rtmps", `opt-out stored for ${d.kind}`);
    }
    const page = await admin.req("/admin/streams/live");
    const html = await checkSane(page, "/admin/streams/live");
    assert.ok(!html.includes(SECRET));
  } finally {
    await t.deps.restream.stop();
    t.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
