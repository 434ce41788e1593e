// Pulled sources in process (no MediaMTX: the source is kept and applied when MediaMTX is back): the
// owning streamer sets one through PATCH, the state says MediaMTX cannot be asked, and the door refuses
// every kind of publish to the stream (key, browser publish ticket, the go-live page) until it is removed;
// deleting the stream deletes its source.
import assert from "node:assert/strict";
import { Jar, testApp } from "./helpers.ts";
import { addUser } from "../../src/store/users.ts";
import { createKey } from "../../src/store/keys.ts";
import { createStream, deleteStream } from "../../src/store/streams.ts";
import { getSource } from "../../src/store/sources.ts";
import { PULLED_STREAM } from "../../src/auth/access.ts";

Deno.test("sources: the owner sets one; every publish is refused while it is there", async () => {
  const t = await testApp();
  try {
    await addUser(t.kv, "sam", "sam-password-12345", "streamer");
    await createStream(t.kv, "cam", { owner: "sam" });
    const { key } = await createKey(t.kv, "cam", "obs", { owner: "sam" });
    const publishKey = () =>
      t.deps.access.authorize({ actor: { kind: "key", key }, action: "publish", path: "cam" }, {
        cache: false,
      });
    assert.equal((await publishKey()).allow, true);

    const sam = new Jar(t.app);
    assert.equal((await sam.login("sam", "sam-password-12345")).status, 303);
    const patch = async (body: unknown) => {
      const res = await sam.req("/api/streams/cam", {
        method: "PATCH",
        headers: { "content-type": "application/json", "x-csrf-token": sam.cookies.get("lg_csrf")! },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    };
    const r = await patch({ source: "rtsps://cam:pw-9876@camera.example:322/live", sourceOnDemand: false });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(
      r.body.sourceApplied,
      false,
      "MediaMTX is not running here: kept, applied at its next start",
    );
    assert.equal(r.body.source.url, "rtsps://cam:***@camera.example:322/live");
    assert.equal(r.body.source.state, "unknown");
    const rec = await getSource(t.kv, "cam");
    assert.ok(rec && !rec.sealed.includes("pw-9876") && rec.sealed.startsWith("v1."));

    const d = await publishKey();
    assert.equal(d.allow, false);
    assert.equal(!d.allow && d.reason, PULLED_STREAM);
    const ticket = await t.deps.tickets.create("cam", "sam");
    const dt = await t.deps.access.authorize(
      { actor: { kind: "ticket", ticket }, action: "publish", path: "cam", protocol: "webrtc" },
    );
    assert.equal(dt.allow, false);
    const golive = await sam.req("/go-live/cam");
    assert.equal(golive.status, 403);
    await golive.body?.cancel();
    assert.equal((await t.deps.access.publishGrant("cam", { user: "sam" })).allow, false);

    // "on demand" alone keeps the stored URL.
    const od = await patch({ sourceOnDemand: true });
    assert.equal(od.status, 200);
    assert.equal(od.body.source.onDemand, true);
    assert.equal(od.body.source.url, "rtsps://cam:***@camera.example:322/live");

    const off = await patch({ source: null });
    assert.equal(off.status, 200);
    assert.equal((await publishKey()).allow, true, "publishing works again");

    await patch({ source: "rtmp://cdn.example/app/stream" });
    await deleteStream(t.kv, "cam");
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await getSource(t.kv, "cam"), null, "the source went with the stream");
  } finally {
    t.close();
  }
});
