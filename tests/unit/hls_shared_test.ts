// hls-shared.ts against a real HTTP server standing in for MediaMTX: identical requests in flight become
// one upstream request, media files are kept briefly, playlists are not, a viewer leaving does not cancel
// the others, and every viewer gets the full body.
import assert from "node:assert/strict";
import { SharedFetch } from "../../src/proxy/hls-shared.ts";

/** The shared answer as a Response, the way a viewer receives it. */
async function fetchVia(s: SharedFetch, url: string, file: string, signal?: AbortSignal): Promise<Response> {
  const e = await s.get(url, file, signal);
  return new Response(e.body.byteLength ? e.body : null, { status: e.status, headers: e.headers });
}

function upstream() {
  const hits = new Map<string, number>();
  const auth: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const u = new URL(req.url);
    const key = u.pathname + u.search;
    hits.set(key, (hits.get(key) ?? 0) + 1);
    auth.push(req.headers.get("authorization") ?? "");
    // Like a blocking playlist reload: the answer comes later.
    await new Promise((r) => setTimeout(r, 150));
    if (u.pathname.endsWith("missing.mp4")) return new Response("no", { status: 404 });
    const body = u.pathname.endsWith(".m3u8") ? `#EXTM3U\n#${hits.get(key)}\n` : "x".repeat(100_000);
    return new Response(body, { headers: { "content-type": "video/mp4", etag: '"e1"' } });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  return { base, hits, auth, close: () => server.shutdown() };
}

Deno.test("hls shared fetch: 50 identical requests in flight -> 1 upstream request, full bodies", async () => {
  const up = upstream();
  try {
    const s = new SharedFetch({ authorization: "Bearer cdn" });
    const url = `${up.base}/live/v_stream.m3u8?_HLS_msn=8&_HLS_part=1`;
    const rs = await Promise.all(Array.from({ length: 50 }, () => fetchVia(s, url, "v_stream.m3u8")));
    const texts = await Promise.all(rs.map((r) => r.text()));
    assert.equal(up.hits.get("/live/v_stream.m3u8?_HLS_msn=8&_HLS_part=1"), 1);
    assert.deepEqual(new Set(texts), new Set(["#EXTM3U\n#1\n"]));
    assert.deepEqual(up.auth, ["Bearer cdn"]);
    // Playlists are not kept: the next reload goes upstream again.
    assert.equal(await (await fetchVia(s, url, "v_stream.m3u8")).text(), "#EXTM3U\n#2\n");

    const part = `${up.base}/live/abc_video1_part5.mp4`;
    const parts = await Promise.all(
      Array.from({ length: 20 }, () => fetchVia(s, part, "abc_video1_part5.mp4")),
    );
    for (const r of parts) {
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("content-length"), "100000");
      assert.equal(r.headers.get("etag"), '"e1"');
      assert.equal((await r.arrayBuffer()).byteLength, 100_000);
    }
    // Kept: a later viewer is served from memory.
    assert.equal((await (await fetchVia(s, part, "abc_video1_part5.mp4")).arrayBuffer()).byteLength, 100_000);
    assert.equal(up.hits.get("/live/abc_video1_part5.mp4"), 1);
    assert.equal(s.upstreamRequests, 3);
    // Errors are shared while in flight but never kept.
    const miss = `${up.base}/live/missing.mp4`;
    assert.equal((await fetchVia(s, miss, "missing.mp4")).status, 404);
    assert.equal((await fetchVia(s, miss, "missing.mp4")).status, 404);
    assert.equal(up.hits.get("/live/missing.mp4"), 2);
  } finally {
    await up.close();
  }
});

Deno.test("hls shared fetch: a viewer leaving does not cancel the others; kept files expire", async () => {
  const up = upstream();
  try {
    const s = new SharedFetch({}, { keepMs: 200 });
    const url = `${up.base}/live/abc_seg7.mp4`;
    const ac = new AbortController();
    const leaving = fetchVia(s, url, "abc_seg7.mp4", ac.signal);
    const staying = fetchVia(s, url, "abc_seg7.mp4");
    ac.abort();
    await assert.rejects(leaving);
    assert.equal((await (await staying).arrayBuffer()).byteLength, 100_000);
    await new Promise((r) => setTimeout(r, 250));
    await (await fetchVia(s, url, "abc_seg7.mp4")).arrayBuffer();
    assert.equal(up.hits.get("/live/abc_seg7.mp4"), 2, "fetched again after keepMs");
  } finally {
    await up.close();
  }
});

Deno.test("hls shared fetch: memory stays within maxBytes", async () => {
  const up = upstream();
  try {
    const s = new SharedFetch({}, { maxBytes: 800_000 });
    for (let i = 0; i < 12; i++) {
      await (await fetchVia(s, `${up.base}/live/p${i}.mp4`, `p${i}.mp4`)).arrayBuffer();
    }
    assert.ok(s.keptBytes <= 800_000 && s.keptBytes >= 700_000, `kept ${s.keptBytes}`);
    await (await fetchVia(s, `${up.base}/live/p11.mp4`, "p11.mp4")).arrayBuffer();
    await (await fetchVia(s, `${up.base}/live/p0.mp4`, "p0.mp4")).arrayBuffer();
    assert.equal(up.hits.get("/live/p11.mp4"), 1, "newest kept");
    assert.equal(up.hits.get("/live/p0.mp4"), 2, "oldest evicted");
  } finally {
    await up.close();
  }
});
