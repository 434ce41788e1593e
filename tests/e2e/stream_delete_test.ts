// Deleting a stream ends it for everyone but admins: the live publisher is kicked, its keys no longer
// publish, and other logged-in users cannot watch what is left (live or recorded).
import assert from "node:assert/strict";
import { ADMIN_PASSWORD, Client, publish, startLivegate, stopProc, waitFor } from "./harness.ts";

Deno.test({
  name: "e2e: deleting a live stream kicks its publisher, revokes its keys and closes it to non-admins",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const lg = await startLivegate();
    const admin = new Client(lg.url);
    const viewer = new Client(lg.url);
    let pub: Deno.ChildProcess | undefined;
    try {
      assert.equal((await admin.login("admin", ADMIN_PASSWORD)).status, 303);
      const add = await lg.cli("user", "add", "vera", "--role", "viewer");
      const password = /password: (\S+)/.exec(add.stdout)![1];
      assert.equal((await viewer.login("vera", password)).status, 303);
      const status = async (c: Client) => {
        const r = await c.fetch("/hls/live/index.m3u8");
        await r.body?.cancel();
        return r.status;
      };
      pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`);
      await waitFor("live for the viewer", async () => (await status(viewer)) === 200 ? true : undefined);

      const del = await admin.fetch("/api/streams/live", {
        method: "DELETE",
        headers: { "x-csrf-token": admin.cookies.get("lg_csrf")! },
      });
      assert.equal(del.status, 200);
      const body = await del.json();
      assert.equal(body.ok, true);
      assert.ok(body.kicked, "the live publisher was kicked");
      const st = await Promise.race([
        pub.status,
        new Promise<null>((r) => setTimeout(() => r(null), 15_000)),
      ]);
      assert.ok(st && st.code !== 0, "ffmpeg ended");
      await stopProc(pub);
      pub = undefined;

      assert.equal(await status(viewer), 403, "a deleted stream is admins only");
      const again = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 5);
      assert.notEqual((await again.status).code, 0, "the deleted stream's key no longer publishes");
      await again.stderr.cancel();
    } finally {
      if (pub) await stopProc(pub);
      await lg.stop();
    }
  },
});
