// Hostile input for edge delivery (src/edge/): the /e/<token>/<path>/<file> origin route edges fetch from,
// the delivery API (GET/PUT /api/streams/<path>/delivery) and the replica hook. Seeded corpus
// (corpus.ts); every answer keeps check.ts's invariants. A request whose token is not exactly valid for
// its path is refused with 403 and never reaches MediaMTX (the HLS proxy's upstream counter stays put).
import assert from "node:assert/strict";
import { Jar, PASSWORD, testApp } from "../http/helpers.ts";
import { createStream } from "../../src/store/streams.ts";
import { issueToken } from "../../src/edge/token.ts";
import { checkSane, count } from "./check.ts";
import { enc, mangleEncoding, nastyOrRandom, prng, randomJson } from "./corpus.ts";

const ENV = {
  LIVEGATE_DELIVERY: "edge",
  LIVEGATE_EDGE_URLS: "http://edge.test",
  LIVEGATE_EDGE_SECRET: "hardening-edge-secret-0123456789abcdef",
};

Deno.test("hardening: fuzzed /e/ paths, tokens and queries -> 403/400/404, bad tokens never go upstream", async () => {
  const t = await testApp(ENV);
  try {
    await createStream(t.kv, "pub", { visibility: "public" });
    const now = Math.floor(Date.now() / 1000);
    const good = await issueToken(t.deps.edge.secret, "pub", now + 600, "v1");
    const r = prng(0xed9e);
    const j = new Jar(t.app);
    for (let i = 0; i < 1500; i++) {
      const shape = r.int(6);
      let token = good;
      let path = "pub";
      let file = "index.m3u8";
      let query = "";
      if (shape === 0) token = nastyOrRandom(r, 120);
      else if (shape === 1) token = good.slice(0, r.int(good.length)) + nastyOrRandom(r, 8);
      else if (shape === 2) path = nastyOrRandom(r, 70);
      else if (shape === 3) file = nastyOrRandom(r, 140);
      else if (shape === 4) query = `?_HLS_msn=${nastyOrRandom(r, 20)}&_HLS_part=${nastyOrRandom(r, 20)}`;
      else token = mangleEncoding(r, good);
      const url = `/e/${enc(token)}/${enc(path)}/${enc(file)}${query ? enc(query).replace(/%3F/, "?") : ""}`;
      const before = t.deps.hls.shared.upstreamRequests;
      const exact = token === good && path === "pub";
      // (A HEAD that reaches the stopped MediaMTX has no body to say so: exact tokens use GET.)
      const method = exact ? "GET" : r.pick(["GET", "GET", "HEAD", "POST"]);
      let res: Response;
      try {
        res = await j.req(url, { method });
      } catch (e) {
        assert.ok(e instanceof TypeError, `${url} threw ${e}`);
        continue;
      }
      const text = await checkSane(res, url, method);
      if (!exact) {
        assert.ok([400, 403, 404].includes(res.status), `${url}: ${res.status} ${text}`);
        assert.equal(t.deps.hls.shared.upstreamRequests, before, `${url} went upstream`);
      }
      count("edge");
    }
  } finally {
    t.close();
  }
});

Deno.test("hardening: fuzzed delivery API bodies and paths -> 4xx with a message, setting unchanged", async () => {
  const t = await testApp(ENV);
  try {
    await createStream(t.kv, "pub", { visibility: "public" });
    const admin = new Jar(t.app);
    assert.equal((await admin.login("admin", PASSWORD)).status, 303);
    const csrf = admin.cookies.get("lg_csrf") ?? "";
    const r = prng(0xde11);
    for (let i = 0; i < 600; i++) {
      const path = r.next() < 0.7 ? "pub" : nastyOrRandom(r, 70);
      const body = r.next() < 0.5
        ? JSON.stringify(randomJson(r))
        : JSON.stringify({ mode: nastyOrRandom(r, 20) });
      let res: Response;
      try {
        res = await admin.req(`/api/streams/${enc(path)}/delivery`, {
          method: r.pick(["PUT", "GET"]),
          headers: { "content-type": r.pick(["application/json", "text/plain"]), "x-csrf-token": csrf },
          body: undefined,
        }).then(async (g) => {
          if (g.status === 200 && r.next() < 0.5) await g.body?.cancel();
          return await admin.req(`/api/streams/${enc(path)}/delivery`, {
            method: "PUT",
            headers: { "content-type": "application/json", "x-csrf-token": csrf },
            body,
          });
        });
      } catch (e) {
        assert.ok(e instanceof TypeError, `${path} threw ${e}`);
        continue;
      }
      const text = await checkSane(res, `PUT ${path} ${body.slice(0, 80)}`, "PUT");
      const valid = path === "pub" && /^\{"mode":"(direct|edge|default)"\}$/.test(body);
      if (!valid) assert.ok(res.status >= 400 && res.status < 500, `${path} ${body}: ${res.status} ${text}`);
      count("edge-api");
    }
    // Whatever the fuzzer did, the effective mode is one of the two.
    const d = await (await admin.req("/api/streams/pub/delivery")).json();
    assert.ok(d.mode === "edge" || d.mode === "direct");
  } finally {
    t.close();
  }
});

Deno.test("hardening: fuzzed replica hook bodies -> 400/401, only a read with the exact token passes", async () => {
  const t = await testApp({ ...ENV, LIVEGATE_WHEP_REPLICAS: "http://replica.test:8889" });
  try {
    const url = `/internal/edge/replica-auth/${await t.deps.edge.replicaHookSecret()}`;
    const good = await issueToken(t.deps.edge.secret, "pub", Math.floor(Date.now() / 1000) + 600);
    const r = prng(0x4e91);
    let allowed = 0;
    for (let i = 0; i < 800; i++) {
      const body: Record<string, unknown> = {};
      for (const f of ["action", "path", "token", "password", "query", "user", "ip", "protocol", "id"]) {
        const p = r.next();
        if (p < 0.3) continue;
        if (f === "action") body[f] = r.pick(["read", "read", "publish", "api", nastyOrRandom(r, 10)]);
        else if (f === "path") body[f] = r.pick(["pub", "pub", nastyOrRandom(r, 70)]);
        else if (f === "token") body[f] = r.pick([good, good.slice(1), nastyOrRandom(r, 80)]);
        else body[f] = p < 0.9 ? nastyOrRandom(r, 40) : randomJson(r);
      }
      const raw = r.next() < 0.1 ? nastyOrRandom(r, 100) : JSON.stringify(body);
      const res = await t.app.request(url, { method: "POST", body: raw });
      const text = await checkSane(res, `replica hook ${raw.slice(0, 100)}`, "POST");
      const mustAllow = body.action === "read" && body.path === "pub" && body.token === good &&
        raw === JSON.stringify(body) && Object.values(body).every((v) =>
          typeof v === "string" && v.length <= 4096
        );
      if (res.status === 200) {
        allowed++;
        assert.ok(
          body.action === "read" && body.path === "pub" &&
            [body.token, body.password, new URLSearchParams(String(body.query ?? "")).get("token")].includes(
              good,
            ),
          `allowed without the token: ${raw}`,
        );
      } else {
        assert.ok([400, 401].includes(res.status), `${res.status} ${text}`);
        assert.ok(!mustAllow, `refused a good read: ${raw}`);
      }
      count("edge-replica-hook");
    }
    assert.ok(allowed > 10, `the corpus must also contain allowed reads (${allowed})`);
  } finally {
    t.close();
  }
});
