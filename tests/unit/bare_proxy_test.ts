// bench/bare_proxy.ts, the scale benchmark's floor: it must really proxy (with MediaMTX's CDN secret) and
// share upstream requests like livegate, or its figures compare nothing.
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { forEachLine } from "../../src/mediamtx/lines.ts";

const SCRIPT = join(dirname(new URL(import.meta.url).pathname), "..", "..", "bench", "bare_proxy.ts");

Deno.test("bare proxy: answers /hls/<path>/<file> from the upstream with the CDN secret, shared", async () => {
  const seen: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const upstream = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    seen.push(`${new URL(req.url).pathname}${new URL(req.url).search} ${req.headers.get("authorization")}`);
    if (req.url.includes("_HLS_msn")) await gate; // a blocking playlist reload
    if (req.url.endsWith("/missing.mp4")) return new Response("no", { status: 404 });
    return new Response(`body of ${new URL(req.url).pathname}`, { headers: { "content-type": "video/mp4" } });
  });
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SCRIPT, `http://127.0.0.1:${upstream.addr.port}`],
    env: { BARE_CDN_SECRET: "s3cret" },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    const port = await new Promise<number>((resolve) =>
      forEachLine(proc.stdout, (l) => {
        const m = /^listening (\d+)$/.exec(l);
        if (m) resolve(Number(m[1]));
      })
    );
    const base = `http://127.0.0.1:${port}`;
    // Five viewers wait on the same blocking reload: one upstream request.
    const waiting = Array.from(
      { length: 5 },
      () => fetch(`${base}/hls/live/index.m3u8?_HLS_msn=3&_HLS_part=1`),
    );
    await new Promise((r) => setTimeout(r, 300));
    release();
    for (const r of await Promise.all(waiting)) {
      assert.equal(r.status, 200);
      assert.equal(await r.text(), "body of /live/index.m3u8");
    }
    // A part fetched twice is kept: still one upstream request.
    for (let i = 0; i < 2; i++) {
      const r = await fetch(`${base}/hls/live/part1.mp4`);
      assert.equal(r.headers.get("content-type"), "video/mp4");
      assert.equal(await r.text(), "body of /live/part1.mp4");
    }
    const miss = await fetch(`${base}/hls/live/missing.mp4`);
    assert.equal(miss.status, 404);
    await miss.body?.cancel();
    const other = await fetch(`${base}/elsewhere`);
    assert.equal(other.status, 404);
    await other.body?.cancel();
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^livegate_nodejs_heap_size_used_bytes \d+$/m);
    assert.deepEqual(seen, [
      "/live/index.m3u8?_HLS_msn=3&_HLS_part=1 Bearer s3cret",
      "/live/part1.mp4 Bearer s3cret",
      "/live/missing.mp4 Bearer s3cret",
    ]);
  } finally {
    proc.kill("SIGKILL");
    await proc.status;
    await upstream.shutdown();
  }
});
