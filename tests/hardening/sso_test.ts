// Hostile input on the surfaces of single sign-on and API tokens: the bearer parsing of /api/* (malformed,
// oversized, unknown and look-alike tokens), the token API and the MediaMTX JWT API with fuzzed bodies, and
// the OpenID Connect start and callback routes with fuzzed provider ids, codes, states, errors and state
// cookies. Invariants: never a 5xx, never a session or a token from a bad request, every refusal with a
// message, no markup echoed into pages.
import assert from "node:assert/strict";
import { Jar, PASSWORD, testApp } from "../http/helpers.ts";
import { createToken } from "../../src/store/tokens.ts";
import { createStream } from "../../src/store/streams.ts";
import { enc, NASTY, nastyOrRandom, prng, randomJson } from "./corpus.ts";
import { count } from "./check.ts";

function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  l.close();
  return (l.addr as Deno.NetAddr).port;
}

async function sane(res: Response, what: string, allowed: number[], ownSession = false) {
  const body = await res.text();
  assert.ok(allowed.includes(res.status), `${what} -> ${res.status} ${body.slice(0, 200)}`);
  if (res.status >= 400) assert.ok(body.trim().length > 0, `no message: ${what}`);
  // (A logged-in caller's own cookie may be renewed; a new session never comes out of these requests.)
  assert.ok(
    ownSession ||
      !res.headers.getSetCookie().some((c) => c.startsWith("lg_session=") && !/max-age=0/i.test(c)),
    `session from ${what}`,
  );
  if ((res.headers.get("content-type") ?? "").startsWith("text/html")) {
    assert.doesNotMatch(body, /<script>alert|<img src=x onerror/i, `markup echoed: ${what}`);
  }
  return body;
}

Deno.test("hardening: bearer parsing on /api/* -> 401 with a message, never a 5xx or a user", async () => {
  const t = await testApp();
  try {
    const { token } = await createToken(t.kv, "admin", { name: "real", scopes: ["admin"], ttlS: 3600 });
    const r = prng(0x5501);
    const values: string[] = [
      "Bearer",
      "Bearer ",
      "Bearer  ",
      "bearer\t",
      `Bearer ${token} extra`,
      `Bearer ${token.slice(0, -1)}`,
      `Bearer ${token}x`,
      `Bearer ${token.toUpperCase()}`,
      `Bearer lgt_`,
      `Bearer lgt_${"A".repeat(300)}`,
      `Bearer ${"x".repeat(10_000)}`,
      `Bearer ${token}\u0000`,
    ];
    for (const n of NASTY) values.push(`Bearer ${n}`, `Bearer lgt_${n}`);
    for (let i = 0; i < 300; i++) {
      values.push(`${r.pick(["Bearer", "bearer", "BEARER"])} ${nastyOrRandom(r, 80)}`);
    }
    for (const v of values) {
      // deno-lint-ignore no-control-regex
      if (/[\x00-\x08\x0a-\x1f\x7f]/.test(v)) continue; // not a valid HTTP field value (RFC 9110 5.5)
      let headers: Headers;
      try {
        headers = new Headers({ authorization: v });
      } catch {
        continue; // not sendable as a header at all (a client cannot send it either)
      }
      for (const path of ["/api/me", "/api/users", "/api/tokens", "/api/mediamtx/jwt"]) {
        const res = await t.app.request(`http://localhost${path}`, { headers });
        const body = await sane(res, `${JSON.stringify(v).slice(0, 60)} ${path}`, [401]);
        assert.match(body, /token|Authorization|login required/, `${JSON.stringify(v)} ${path}: ${body}`);
        count("sso: bearer");
      }
    }
    // The real one still works after all that (nothing was locked or cached wrong).
    const ok = await t.app.request("http://localhost/api/me", {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(ok.status, 200);
  } finally {
    t.close();
  }
});

Deno.test("hardening: fuzzed token and JWT API bodies -> 4xx with a message or a valid answer, never 5xx", async () => {
  const t = await testApp();
  try {
    await createStream(t.kv, "live", { visibility: "private" });
    const admin = new Jar(t.app, "192.0.2.91");
    assert.equal((await admin.login("admin", PASSWORD)).status, 303);
    const csrf = admin.cookies.get("lg_csrf")!;
    const r = prng(0x5502);
    const fields = ["name", "scopes", "expiresIn", "path", "action", "ttl"];
    for (let i = 0; i < 600; i++) {
      const shape = r.int(4);
      const obj: Record<string, unknown> = {};
      for (const f of fields) if (r.int(2)) obj[f] = r.int(3) ? nastyOrRandom(r, 40) : randomJson(r);
      if (shape === 0) obj.scopes = [r.pick(["read", "streams", "admin", "ADMIN", "", "read,admin"])];
      if (shape === 1) obj.ttl = r.pick([0, -1, 1, 1e9, 1.5, NaN, "60"]);
      const body = r.int(10) === 0 ? nastyOrRandom(r, 200) : JSON.stringify(obj);
      const path = r.pick(["/api/tokens", "/api/mediamtx/jwt"]);
      const res = await admin.req(path, {
        method: "POST",
        headers: { "content-type": r.int(8) ? "application/json" : "text/plain", "x-csrf-token": csrf },
        body,
      });
      const text = await sane(res, `${path} ${body.slice(0, 80)}`, [200, 201, 400, 403, 413, 415], true);
      if (res.status === 201) assert.match(text, /"token":"lgt_/);
      count("sso: token/jwt api");
    }
    for (const n of NASTY) {
      const res = await admin.req(`/api/tokens/${enc(n)}`, {
        method: "DELETE",
        headers: { "x-csrf-token": csrf },
      });
      await sane(res, `DELETE /api/tokens/${n}`, [400, 404], true);
      count("sso: token api");
    }
  } finally {
    t.close();
  }
});

Deno.test("hardening: OIDC start and callback with hostile ids, codes, states, errors and cookies -> 4xx page, never a session", async () => {
  const t = await testApp({
    // A provider whose issuer is a closed port: every hostile callback must be refused before any call out.
    LIVEGATE_OIDC_PROVIDERS: JSON.stringify([
      { id: "test", name: "Test", issuer: `http://127.0.0.1:${closedPort()}`, clientId: "c" },
    ]),
  });
  try {
    const r = prng(0x5503);
    for (let i = 0; i < 400; i++) {
      const id = r.int(3) ? "test" : enc(nastyOrRandom(r, 40));
      const q = new URLSearchParams();
      for (const k of ["code", "state", "error", "error_description", "iss", "session_state"]) {
        if (r.int(2)) q.set(k, nastyOrRandom(r, 120));
      }
      const headers: Record<string, string> = {};
      const state = q.get("state");
      // Sometimes the attacker's own state cookie equals the state: still no transaction behind it.
      if (r.int(2)) {
        const v = state !== null && r.int(2) ? state : nastyOrRandom(r, 60);
        if (/^[\x21-\x7e]*$/.test(v) && !/[;,]/.test(v)) headers.cookie = `lg_oidc=${v}`;
      }
      const res = await t.app.request(`http://localhost/login/oidc/${id}/callback?${q}`, { headers });
      await sane(res, `callback ${id} ${q}`.slice(0, 200), [400, 401, 404]);
      count("sso: oidc callback");
    }
    // Starting a sign-in with hostile ids / next values: 404, or 502 (this provider is down), never 5xx else.
    for (const n of NASTY) {
      const res = await t.app.request(`http://localhost/login/oidc/${enc(n)}?next=${enc(n)}`);
      await sane(res, `start ${n}`, [404, 502]);
      count("sso: oidc start");
    }
    const down = await t.app.request("http://localhost/login/oidc/test?next=//evil.example");
    const body = await sane(down, "start test", [502]);
    assert.match(body, /cannot be reached/);
  } finally {
    t.close();
  }
});
