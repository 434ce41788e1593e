// HlsProxy (src/proxy/hls.ts) answers every viewer with a clone() of one template Response per upstream
// answer. Through a real Deno.serve: 200 clones sent at once and 50 after them all arrive whole, with the
// template's headers, and the template stays unread (it can be cloned again for the next viewer).
import assert from "node:assert/strict";

Deno.test("clones of one template Response reach 250 clients whole; the template stays usable", async () => {
  const bytes = new Uint8Array(100_000);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 8)) & 255;
  const template = new Response(bytes, {
    status: 200,
    headers: [["content-type", "video/mp4"], ["x-frame-options", "DENY"]],
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => template.clone());
  const url = `http://127.0.0.1:${server.addr.port}/`;
  try {
    const check = async () => {
      const r = await fetch(url);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("content-type"), "video/mp4");
      assert.equal(r.headers.get("x-frame-options"), "DENY");
      assert.equal(r.headers.get("content-length"), String(bytes.byteLength));
      assert.deepEqual(new Uint8Array(await r.arrayBuffer()), bytes);
    };
    await Promise.all(Array.from({ length: 200 }, check));
    for (let i = 0; i < 50; i++) await check();
    assert.equal(template.bodyUsed, false);
    assert.deepEqual(new Uint8Array(await template.clone().arrayBuffer()), bytes);
  } finally {
    await server.shutdown();
  }
});
