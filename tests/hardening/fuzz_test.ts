// In-process fuzzing (app.request) with a seeded corpus: MediaMTX hook payloads, login forms, proxy and
// page paths, cookies and headers. Every case must keep the invariants of check.ts, and the hook and the
// login must never let anyone in who should not be.
import assert from "node:assert/strict";
import { Jar, PASSWORD, testApp, viaServer } from "../http/helpers.ts";
import { createKey } from "../../src/store/keys.ts";
import { checkSane, count, counts } from "./check.ts";
import {
  enc,
  HOOK_ACTIONS,
  HOOK_FIELDS,
  mangleEncoding,
  NASTY,
  nastyOrRandom,
  prng,
  randomJson,
} from "./corpus.ts";

const conn = (ip: string) => ({ remoteAddr: { hostname: ip, port: 40000, transport: "tcp" } });

Deno.test("hardening: fuzzed MediaMTX hook payloads -> 400/401/403/413, only valid keys pass", async () => {
  const t = await testApp();
  try {
    const { key } = await createKey(t.kv, "live", "fuzz");
    const { key: otherKey } = await createKey(t.kv, "other", "fuzz");
    const r = prng(0x600d);
    const url = (secret = t.secrets.hook) => `http://localhost/internal/mediamtx/auth/${secret}`;
    // Through the server's handler: the hook is answered in front of the app (src/http/front.ts).
    const post = (body: BodyInit | null, secret?: string, headers: Record<string, string> = {}) =>
      viaServer(t.handler, url(secret), { method: "POST", body, headers }, "127.0.0.1");
    let allowed = 0;
    for (let i = 0; i < 2500; i++) {
      const shape = r.int(10);
      let res: Response;
      let expect: number[];
      let desc: string;
      if (shape === 0) { // any JSON value, mostly not an object
        const v = randomJson(r);
        desc = `json ${JSON.stringify(v)?.slice(0, 80)}`;
        res = await post(JSON.stringify(v));
        expect = [400, 401];
      } else if (shape === 1) { // not JSON at all
        const bytes = crypto.getRandomValues(new Uint8Array(r.int(300)));
        if (bytes.length) bytes[0] = r.pick([0x7b, 0x5b, 0x22, 0x00, 0xff]);
        desc = `bytes(${bytes.length})`;
        res = await post(bytes);
        expect = [400];
        if (bytes.length) {
          try {
            JSON.parse(new TextDecoder().decode(bytes));
            expect = [400, 401];
          } catch { /* expected */ }
        }
      } else if (shape === 2) { // wrong or mangled secret
        const secret = r.pick([
          "",
          t.secrets.hook.slice(1),
          t.secrets.hook.toUpperCase(),
          t.secrets.hook + "0",
          nastyOrRandom(r, 80),
          enc(nastyOrRandom(r, 80)),
        ]);
        desc = `secret ${JSON.stringify(secret).slice(0, 80)}`;
        try {
          res = await post(JSON.stringify({ action: "publish", path: "live", token: key }), secret);
        } catch (e) {
          // Only a URL that cannot even be built may throw; that never reaches livegate.
          assert.ok(e instanceof TypeError, `${desc}: ${e}`);
          count("hook");
          continue;
        }
        expect = [403, 404];
      } else if (shape === 3) { // oversized
        const big = JSON.stringify({ action: "publish", path: "live", token: "x".repeat(70_000) });
        desc = "oversized";
        res = r.next() < 0.5 ? await post(big) : await post(
          new ReadableStream({ // chunked, no Content-Length
            start(ctl) {
              ctl.enqueue(new TextEncoder().encode(big));
              ctl.close();
            },
          }),
        );
        expect = [413];
      } else { // objects with the real field names, each field fuzzed
        const o: Record<string, unknown> = {};
        for (const f of HOOK_FIELDS) {
          const p = r.next();
          if (p < 0.25) continue; // missing
          if (p < 0.35) o[f] = randomJson(r);
          else if (f === "action") o[f] = r.pick(HOOK_ACTIONS);
          else if (f === "path") o[f] = r.pick(["live", "other", "live ", "LIVE", nastyOrRandom(r)]);
          else if (f === "token" || f === "password") {
            o[f] = r.pick([
              key,
              otherKey,
              key.slice(0, -1),
              key + " ",
              t.secrets.internalPass,
              nastyOrRandom(r),
            ]);
          } else if (f === "query") o[f] = r.pick([`token=${key}`, `token=${otherKey}`, nastyOrRandom(r)]);
          else if (f === "user") o[f] = r.pick([t.secrets.internalUser, nastyOrRandom(r)]);
          else o[f] = nastyOrRandom(r);
        }
        desc = `hook ${JSON.stringify(o).slice(0, 1000)}`;
        res = await post(JSON.stringify(o));
        expect = [400, 401];
        if (oracleAllows(o, { live: key, other: otherKey }, t.secrets)) expect = [200];
      }
      const body = await checkSane(res, desc);
      assert.ok(expect.includes(res.status), `${desc}: expected ${expect}, got ${res.status} ${body}`);
      if (res.status === 200) allowed++;
      count("hook");
    }
    assert.ok(allowed > 10, `the corpus must also contain valid requests (allowed ${allowed})`);
  } finally {
    t.close();
  }
});

/** What the hook must decide for a well-formed body (field types already valid). */
function oracleAllows(
  o: Record<string, unknown>,
  keys: Record<string, string>,
  s: { internalUser: string; internalPass: string },
): boolean {
  for (const f of HOOK_FIELDS) {
    const v = o[f];
    if (v !== undefined && v !== null && (typeof v !== "string" || (f !== "id" && v.length > 4096))) {
      return false;
    }
  }
  const str = (f: string) => (typeof o[f] === "string" ? o[f] as string : "");
  if (str("action") === "publish") {
    let presented = str("token") || str("password");
    if (!presented) {
      try {
        presented = new URLSearchParams(str("query")).get("token") ?? "";
      } catch { /* none */ }
    }
    return Object.hasOwn(keys, str("path")) && presented === keys[str("path")];
  }
  if (["read", "playback", "api", "metrics"].includes(str("action"))) {
    return str("user") === s.internalUser && str("password") === s.internalPass;
  }
  return false;
}

Deno.test("hardening: fuzzed login forms -> 400/401/403/413/429, never a session", async () => {
  const t = await testApp();
  try {
    const r = prng(0x1091);
    const j = new Jar(t.app, "198.51.100.50");
    const csrf = await j.csrf();
    let i = 0;
    for (; i < 1500; i++) {
      const form = new URLSearchParams();
      const fields = ["csrf", "user", "password", "next"];
      for (const f of fields) {
        const p = r.next();
        if (p < 0.15) continue;
        if (f === "csrf") form.set(f, p < 0.8 ? csrf : nastyOrRandom(r));
        else if (f === "user") {
          form.set(f, r.pick(["admin", "Admin", " admin", nastyOrRandom(r, 80), "a".repeat(65)]));
        } else if (f === "password") {
          // Never the right password: no case may log in.
          form.set(f, r.pick(["", "x".repeat(1025), nastyOrRandom(r, 40), PASSWORD + " "]));
        } else form.set(f, nastyOrRandom(r));
      }
      if (r.next() < 0.1) form.append("user", "admin"); // duplicate fields
      const shape = r.int(8);
      let body: BodyInit = form.toString();
      let type = "application/x-www-form-urlencoded";
      if (shape === 0) {
        type = r.pick(["application/json", "text/plain", "", "multipart/form-data; boundary=x"]);
      }
      if (shape === 1) body = "x=" + "y".repeat(17_000);
      if (shape === 2) body = mangleEncoding(r, form.toString()) + "%" + r.pick(["", "z", "0"]);
      if (shape === 3) {
        const fd = new FormData();
        for (const [k, v] of form) fd.append(k, v);
        body = fd;
        type = "";
      }
      const headers: Record<string, string> = {};
      if (type) headers["content-type"] = type;
      if (r.next() < 0.1) {
        headers.origin = r.pick(["https://evil.example", "null", "garbage", nastyOrRandom(r)]);
      }
      let res: Response;
      try {
        res = await j.req("/login", { method: "POST", headers, body });
      } catch (e) {
        assert.ok(e instanceof TypeError, `login case ${i} threw ${e}`); // header value the client refused
        count("login");
        continue;
      }
      const text = await checkSane(res, `login ${form.toString().slice(0, 120)}`);
      assert.ok([400, 401, 403, 413, 429].includes(res.status), `login case ${i}: ${res.status} ${text}`);
      assert.ok(!res.headers.getSetCookie().some((c) => c.startsWith("lg_session=")), "fuzz logged in");
      count("login");
    }
    // The real user still logs in from another address.
    const ok = await new Jar(t.app, "198.51.100.99").login("admin", PASSWORD);
    assert.equal(ok.status, 303);
  } finally {
    t.close();
  }
});

Deno.test("hardening: fuzzed paths, queries, cookies and headers on every route", async () => {
  const t = await testApp();
  try {
    await createKey(t.kv, "live", "fuzz");
    const r = prng(0x9a7b);
    // Through the server's handler, so the HLS hot path and the hook in front of the app are fuzzed too.
    const user = new Jar(t.app, "198.51.100.60", t.handler);
    assert.equal((await user.login("admin", PASSWORD)).status, 303);
    const anon = new Jar(t.app, "198.51.100.61", t.handler);
    const prefixes = [
      "/hls/",
      "/hls/live/",
      "/watch/",
      "/static/",
      "/login?next=",
      "/api/stream/validate?token=",
      "/api/me",
      "/test",
      "/",
      "/internal/mediamtx/auth/",
      "/api/",
      "/admin/",
      "/whep/",
      "/whip/",
      "/metrics",
    ];
    for (let i = 0; i < 2500; i++) {
      const seg = nastyOrRandom(r, 40);
      let tail = r.int(3) === 0 ? mangleEncoding(r, seg) : enc(seg);
      // deno-lint-ignore no-control-regex
      if (r.int(5) === 0) tail = r.pick(NASTY).replace(/[\s\u0000-\u001f]/g, "") + "/" + tail;
      if (r.int(8) === 0) tail += "/" + "a".repeat(r.pick([200, 3000, 9000]));
      if (r.int(6) === 0) tail += r.pick(["index.m3u8", "?_HLS_msn=" + nastyOrRandom(r, 8), "?_HLS_part=-1"]);
      const path = r.pick(prefixes) + tail;
      const jar = r.next() < 0.7 ? user : anon;
      const headers = new Headers();
      const hp = r.int(10);
      try {
        if (hp === 0) headers.set("range", nastyOrRandom(r, 120));
        if (hp === 1) headers.set("cookie", `lg_session=${enc(nastyOrRandom(r, 200))}`);
        if (hp === 2) headers.set("if-none-match", nastyOrRandom(r));
        if (hp === 3) headers.set("x-forwarded-for", nastyOrRandom(r));
        if (hp === 4) headers.set("accept", "x".repeat(8000));
      } catch {
        /* a value Headers refuses never reaches a server */
      }
      const method = r.pick(["GET", "GET", "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]);
      let res: Response;
      try {
        res = hp === 1
          ? await viaServer(t.handler, `http://localhost${path}`, { method, headers }, "198.51.100.62")
          : await jar.req(path, { method, headers });
      } catch (e) {
        assert.ok(e instanceof TypeError, `path case ${path}: ${e}`); // URL the client cannot build
        count("paths");
        continue;
      }
      await checkSane(res, `${method} ${path.slice(0, 160)}`, method);
      if (method === "GET" && path.startsWith("/hls/") && jar === anon) {
        assert.ok([401, 404].includes(res.status), `anonymous ${path} -> ${res.status}`);
      }
      count("paths");
    }
    // Raw cookie headers the cookie parser must survive.
    for (let i = 0; i < 1000; i++) {
      let cookie = "";
      for (let k = r.int(4); k >= 0; k--) {
        const name = r.pick(["lg_session", "lg_csrf", "lg_session", nastyOrRandom(r, 10)]);
        const value = r.pick([nastyOrRandom(r, 300), "", '"quoted"', "%", "a".repeat(129)]);
        cookie += `${name}=${value}${r.pick(["; ", ";", ",", " ; "])}`;
      }
      let res: Response;
      try {
        res = await t.app.request("http://localhost/api/me", { headers: { cookie } }, conn("198.51.100.63"));
      } catch (e) {
        assert.ok(e instanceof TypeError, `cookie case: ${e}`);
        count("cookies");
        continue;
      }
      await checkSane(res, `cookie ${cookie.slice(0, 120)}`);
      assert.equal(res.status, 401, `cookie ${JSON.stringify(cookie).slice(0, 120)} -> ${res.status}`);
      count("cookies");
    }
  } finally {
    t.close();
  }
});

Deno.test("hardening: a never-ending chunked body gets 413 instead of being buffered", async () => {
  const t = await testApp();
  try {
    for (
      const [path, type] of [
        [`/internal/mediamtx/auth/${t.secrets.hook}`, "application/json"],
        ["/login", "application/x-www-form-urlencoded"],
        ["/logout", "application/x-www-form-urlencoded"],
      ]
    ) {
      let sent = 0;
      const endless = new ReadableStream<Uint8Array>({
        pull(ctl) {
          sent += 65536;
          ctl.enqueue(new Uint8Array(65536).fill(0x61));
        },
      });
      const res = await t.app.request(`http://localhost${path}`, {
        method: "POST",
        headers: { "content-type": type },
        body: endless,
      }, conn("198.51.100.70"));
      await checkSane(res, `endless body to ${path}`);
      assert.ok([400, 403, 413].includes(res.status), `${path}: ${res.status}`);
      assert.ok(sent < 1024 * 1024, `${path} read ${sent} bytes of an endless body`);
      count("bodies");
    }
  } finally {
    t.close();
  }
});

Deno.test("hardening: fuzz case counts", () => {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  console.log(`hardening fuzz cases: ${JSON.stringify(counts)} total ${total}`);
  assert.ok(total >= 7000, `corpus too small: ${total}`);
});
