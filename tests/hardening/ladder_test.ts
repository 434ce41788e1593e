// Hostile input for the quality ladder's surfaces (src/ladder/), in process: fuzzed `ladder` objects in
// PATCH /api/streams/<path> (the settings stay valid whatever was refused), nasty rung URLs under /hls/
// (through the hot path too), /whep/<stream>/<rung> signalling, the viewer's rung list and rung recordings, and MediaMTX hook bodies aimed at rung paths (never allowed without the
// stream's ladder credential). No 5xx, a message with every 4xx.
import assert from "node:assert/strict";
import { PASSWORD, testApp } from "../http/helpers.ts";
import { getLadder, MAX_RUNGS } from "../../src/store/ladder.ts";
import { addUser } from "../../src/store/users.ts";
import { createStream } from "../../src/store/streams.ts";
import { api, loggedIn } from "./api.ts";
import { checkSane } from "./check.ts";
import { enc, nastyOrRandom, prng, randomJson } from "./corpus.ts";

Deno.test("hardening: fuzzed ladder settings, rung URLs and hook bodies -> no 5xx, settings stay valid", async () => {
  const t = await testApp();
  try {
    await createStream(t.kv, "live", { visibility: "public" });
    await addUser(t.kv, "mallory", "mallory-password-123", "streamer");
    const admin = await loggedIn(t, "admin", PASSWORD, "192.0.2.70");
    const mallory = await loggedIn(t, "mallory", "mallory-password-123", "192.0.2.71");
    const r = prng(0x1add);
    const statuses: Record<number, number> = {};
    const rung = () => ({
      height: r.pick([0, -360, 144, 180, 181, 2160, 2162, 1e9, 1.5, NaN, "360", null]),
      kbps: r.pick([0, -1, 50, 250, 49, 50_000, 50_001, 1.5, "250", null, 1e308]),
    });
    for (let i = 0; i < 400; i++) {
      const shape = r.int(5);
      const ladder = shape === 0
        ? randomJson(r)
        : shape === 1
        ? { enabled: r.next() < 0.5, rungs: Array.from({ length: r.int(7) }, rung) }
        : shape === 2
        ? {
          enabled: true,
          rungs: Array.from(
            { length: r.int(6) },
            () => r.pick(["180p", "720p", "source", nastyOrRandom(r, 10)]),
          ),
        }
        : shape === 3
        ? {
          encoder: r.pick(["x264", "auto", "vaapi", nastyOrRandom(r, 20)]),
          [nastyOrRandom(r, 8)]: randomJson(r),
        }
        : {
          enabled: r.next() < 0.5,
          rungs: [r.pick(["180p", "240p", "360p"])],
          encoder: "x264",
          recordRungs: r.pick([true, false, "yes", null, 1, {}]),
        };
      const who = r.int(5) === 0 ? mallory : admin;
      const path = r.int(6) === 0 ? enc(nastyOrRandom(r, 20)) : "live";
      const res = await who.req(`/api/streams/${path}`, {
        method: "PATCH",
        headers: { "content-type": "application/json", "x-csrf-token": who.cookies.get("lg_csrf") ?? "" },
        body: JSON.stringify({ ladder }),
      }).catch((e) => {
        assert.ok(e instanceof TypeError, String(e));
        return null;
      });
      if (!res) continue;
      await checkSane(res, `PATCH ladder ${JSON.stringify(ladder).slice(0, 120)}`, "PATCH");
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (who === mallory && res.status < 300) {
        assert.fail("a streamer who does not own 'live' set its ladder");
      }
      // Whatever was accepted or refused, what is stored is a valid ladder.
      const l = await getLadder(t.kv, "live");
      assert.ok(l.rungs.length <= MAX_RUNGS);
      for (const g of l.rungs) {
        assert.ok(Number.isInteger(g.height) && g.height >= 144 && g.height <= 2160 && g.height % 2 === 0);
        assert.ok(Number.isInteger(g.kbps) && g.kbps >= 50 && g.kbps <= 50_000);
      }
      assert.ok(!l.enabled || l.rungs.length > 0);
      assert.ok(l.recordRungs === undefined || typeof l.recordRungs === "boolean");
    }
    console.log(`ladder PATCH statuses ${JSON.stringify(statuses)}`);
    assert.ok((statuses[200] ?? 0) > 20 && (statuses[400] ?? 0) > 100, JSON.stringify(statuses));

    // Rung URLs: odd rung and file names, through the server's handler (hot path first).
    for (let i = 0; i < 300; i++) {
      const seg = r.pick([
        "180p",
        "0180p",
        "99999p",
        "src",
        "..",
        "%2e%2e",
        enc(nastyOrRandom(r, 12)),
        "360p",
      ]);
      const file = r.pick([
        "index.m3u8",
        "video1_stream.m3u8",
        "x_seg1.mp4",
        "..",
        enc(nastyOrRandom(r, 20)),
      ]);
      const q = r.int(3) === 0 ? `?_HLS_msn=${enc(nastyOrRandom(r, 10))}` : "";
      const who = r.int(2) === 0 ? admin : mallory;
      const res = await who.req(`/hls/live/${seg}/${file}${q}`).catch(() => null);
      if (res) await checkSane(res, `GET /hls/live/${seg}/${file}${q}`);
    }
    const ladder = await api(admin, "GET", "/api/streams/live/ladder");
    assert.equal(ladder.status, 200);

    // The rungs over WebRTC and in recordings: odd rung segments, methods, bodies and sessions on
    // /whep/<stream>/<rung>[/<session>], the viewer's rung list, rung recordings (MediaMTX not running: an
    // allowed request gets 502/503, never a 500).
    for (let i = 0; i < 300; i++) {
      const seg = r.pick([
        "180p",
        "360p",
        "0180p",
        "99999p",
        "..",
        "%2e%2e",
        "180p%2f..",
        enc(nastyOrRandom(r, 12)),
      ]);
      const stream = r.pick(["live", "live", enc(nastyOrRandom(r, 16))]);
      const who = r.int(2) === 0 ? admin : mallory;
      const csrf = who.cookies.get("lg_csrf") ?? "";
      const kind = r.int(3);
      const url = kind === 0
        ? `/whep/${stream}/${seg}`
        : kind === 1
        ? `/whep/${stream}/${seg}/${
          r.pick(["0b7b9c3e-9d1a-4c1e-8f1e-7a6b5c4d3e2f", enc(nastyOrRandom(r, 40))])
        }`
        : r.pick([
          `/api/streams/${stream}/rungs`,
          `/api/recordings/${stream}/${seg}`,
          `/recordings/${stream}/${seg}`,
          `/recordings/${stream}/${seg}/media?start=${enc(nastyOrRandom(r, 30))}&duration=${
            enc(nastyOrRandom(r, 6))
          }`,
        ]);
      const method = kind === 2 ? "GET" : r.pick(["POST", "PATCH", "DELETE", "OPTIONS", "GET", "PUT"]);
      const res = await who.req(url, {
        method,
        headers: {
          "content-type": r.pick(["application/sdp", "application/trickle-ice-sdpfrag", "text/plain"]),
          "x-csrf-token": r.int(4) === 0 ? "" : csrf,
        },
        body: method === "GET" || method === "OPTIONS" ? undefined : nastyOrRandom(r, 200),
      }).catch(() => null);
      if (res) await checkSane(res, `${method} ${url}`, method);
    }

    // Hook bodies aimed at rung paths: never allowed without the ladder credential.
    const hook = `/internal/mediamtx/auth/${t.secrets.hook}`;
    for (let i = 0; i < 200; i++) {
      const body = {
        action: r.pick(["publish", "read", "api", "playback"]),
        path: r.pick(["live/180p", "live/360p", "other/180p", "live", nastyOrRandom(r, 20) + "/180p"]),
        user: r.pick(["", "livegate-ladder", t.secrets.internalUser, nastyOrRandom(r, 20)]),
        password: r.pick(["", nastyOrRandom(r, 64), "0".repeat(64)]),
        token: r.pick(["", nastyOrRandom(r, 30)]),
        protocol: "rtmp",
        ip: "127.0.0.1",
      };
      const res = await t.handler(
        new Request(`http://localhost${hook}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        }),
        { remoteAddr: { hostname: "127.0.0.1", port: 1, transport: "tcp" } } as Deno.ServeHandlerInfo,
      );
      const text = await checkSane(res, `hook ${JSON.stringify(body).slice(0, 120)}`, "POST");
      // 401 refused, 400 a malformed body (e.g. a field over 4 KiB): never allowed.
      assert.ok(
        res.status === 401 || res.status === 400,
        `allowed without a credential: ${JSON.stringify(body).slice(0, 300)} ${res.status} ${text}`,
      );
    }
  } finally {
    t.close();
  }
});
