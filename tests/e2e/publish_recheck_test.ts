// End to end with real MediaMTX + ffmpeg: MediaMTX asks the hook only when a publish starts, so livegate
// checks running publishes again (src/mediamtx/publish-recheck.ts). A stream key revoked through the CLI
// in another process, or through the API, ends the publish made with it; a publish with another key goes on,
// and the revoked key is refused afterwards.
import assert from "node:assert/strict";
import {
  ADMIN_PASSWORD,
  Client,
  exitsWithin as exited,
  publish,
  startLivegate,
  stopProc,
  waitHlsOnline,
} from "./harness.ts";

Deno.test({
  name: "e2e: revoking a stream key (CLI or API) ends the running publish made with it",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const lg = await startLivegate();
    const rtmp = `rtmp://127.0.0.1:${lg.rtmpPort}`;
    const admin = new Client(lg.url);
    const pubs: Deno.ChildProcess[] = [];
    const live = (path: string) => waitHlsOnline(admin, path);
    try {
      assert.equal((await admin.login("admin", ADMIN_PASSWORD)).status, 303);
      const made = await lg.cli("key", "create", "studio", "--name", "leaked");
      assert.equal(made.code, 0, made.stderr);
      const id = /^key (\S+) for/.exec(made.stdout)![1];
      const key = made.stdout.split("\n")[1].trim();

      pubs.push(publish(`${rtmp}/studio?token=${key}`));
      pubs.push(publish(`${rtmp}/live?token=${lg.key}`));
      await live("studio");
      await live("live");
      assert.equal(await exited(pubs[0], 6000), false, "a valid key's publish goes on past a recheck");

      await t("CLI", async () => {
        const r = await lg.cli("key", "revoke", id);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(await exited(pubs[0], 15_000), "the publish with the revoked key is ended");
        assert.ok(
          lg.logs.some((l) => l.includes("ended the publish to 'studio'") && l.includes("revoked")),
          "livegate says why",
        );
        const again = publish(`${rtmp}/studio?token=${key}`, 5);
        assert.notEqual((await again.status).code, 0, "the revoked key is refused");
        await again.stderr.cancel();
      });

      await t("API", async () => {
        const k = await admin.api("POST", "/api/streams/studio/keys", { name: "second" });
        assert.equal(k.status, 201, JSON.stringify(k.body));
        pubs.push(publish(`${rtmp}/studio?token=${k.body.key}`));
        await live("studio");
        const del = await admin.api("DELETE", `/api/streams/studio/keys/${k.body.meta.id}`);
        assert.equal(del.status, 200, JSON.stringify(del.body));
        assert.ok(await exited(pubs[2], 15_000), "the publish with the revoked key is ended");
      });
      assert.equal(await exited(pubs[1], 1000), false, "the publish with another key goes on");
    } finally {
      for (const p of pubs) await stopProc(p);
      await lg.stop();
    }
  },
});

async function t(name: string, fn: () => Promise<void>) {
  try {
    await fn();
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`, { cause: e });
  }
}
