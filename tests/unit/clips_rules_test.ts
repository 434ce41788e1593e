// Issue #22 rules and helpers without I/O: who may clip (by the stream's setting), who may delete a clip,
// the door's "clip" decision reading the stored setting, and the LL-HLS playlist picks of the thumbnailer.
import assert from "node:assert/strict";
import { clipDeleteRule, clipRule } from "../../src/auth/permissions.ts";
import { Access } from "../../src/auth/access.ts";
import { PublishTickets } from "../../src/auth/publish-tickets.ts";
import { systemClock } from "../../src/core/clock.ts";
import { storeOf } from "../../src/store/kv.ts";
import { createStream, deleteStream, type Stream } from "../../src/store/streams.ts";
import { addUser, type User } from "../../src/store/users.ts";
import { setClipSettings, validateClipSettings } from "../../src/store/clips.ts";
import { firstVariant, newestSegment } from "../../src/clips/thumbs.ts";

const u = (name: string, role: User["role"], disabled = false) =>
  ({ name, role, disabled, hash: "", created: 0 }) as unknown as User;
const stream = (visibility: Stream["visibility"], owner: string | null, allow: string[] = []): Stream => ({
  path: "live",
  title: "",
  visibility,
  owner,
  allow,
  created: 0,
});

Deno.test("clipRule: owner and admins always; viewers only when the stream says so", () => {
  const s = stream("public", "sam");
  const mod = { clipBy: "moderators" as const }, all = { clipBy: "viewers" as const };
  assert.equal(clipRule(u("root", "admin"), s, mod).allow, true);
  assert.equal(clipRule(u("sam", "streamer"), s, mod).allow, true);
  assert.equal(clipRule(u("vic", "viewer"), s, mod).allow, false);
  assert.equal(clipRule(u("vic", "viewer"), s, all).allow, true);
  const anon = clipRule(null, s, all);
  assert.equal(anon.allow, false);
  assert.equal(!anon.allow && anon.status, 401, "public streams still need a login to clip");
  assert.equal(clipRule(u("vic", "viewer", true), s, all).allow, false, "disabled users may not");
  // Viewers who may not watch (allow-list) may not clip either, and are told nothing more.
  const listed = stream("private", "sam", ["ann"]);
  assert.equal(clipRule(u("ann", "viewer"), listed, all).allow, true);
  const vic = clipRule(u("vic", "viewer"), listed, all);
  assert.equal(!vic.allow && vic.reason, "no such stream, or not for you");
  // A path without a record: admins only.
  assert.equal(clipRule(u("vic", "viewer"), null, all).allow, false);
  assert.equal(clipRule(u("sam", "streamer"), null, all).allow, false);
});

Deno.test("clipDeleteRule: creator, owner, admin", () => {
  const s = stream("private", "sam");
  assert.equal(clipDeleteRule(u("vic", "viewer"), s, "vic").allow, true);
  assert.equal(clipDeleteRule(u("ann", "viewer"), s, "vic").allow, false);
  assert.equal(clipDeleteRule(u("sam", "streamer"), s, "vic").allow, true);
  assert.equal(clipDeleteRule(u("root", "admin"), s, "vic").allow, true);
  assert.equal(clipDeleteRule(u("vic", "viewer", true), s, "vic").allow, false);
  assert.equal(clipDeleteRule(null, s, "").allow, false);
});

Deno.test("the door's clip decision follows the stored setting", async () => {
  const store = storeOf(await Deno.openKv(":memory:"));
  try {
    await addUser(store, "sam", "sam-password-123", "streamer");
    const vic = await addUser(store, "vic", "vic-password-123", "viewer");
    await createStream(store, "live", { owner: "sam", visibility: "private" });
    const door = new Access({ store, tickets: new PublishTickets(), clock: systemClock });
    const ask = () => door.authorize({ actor: { kind: "user", user: vic }, action: "clip", path: "live" });
    assert.equal((await ask()).allow, false);
    await setClipSettings(store, "live", validateClipSettings({ clipBy: "viewers" }));
    assert.equal((await ask()).allow, true);
    assert.throws(() => validateClipSettings({ clipBy: "everyone" }), /clipBy must be one of/);
    const del = await door.authorize({
      actor: { kind: "user", user: vic },
      action: "clip-delete",
      path: "live",
      createdBy: "vic",
    });
    assert.equal(del.allow, true);
    // Deleting the stream drops its clip setting: a new stream under that path starts from the default.
    await deleteStream(store, "live");
    await createStream(store, "live", { owner: "sam", visibility: "private" });
    assert.equal((await ask()).allow, false);
  } finally {
    store.kv.close();
  }
});

Deno.test("thumbnailer: the variant of a multivariant playlist, the newest complete segment and its init", () => {
  const multi = '#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-MEDIA:TYPE=AUDIO,URI="audio2_stream.m3u8"\n' +
    "#EXT-X-STREAM-INF:BANDWIDTH=1\nvideo1_stream.m3u8\n";
  assert.equal(firstVariant(multi), "video1_stream.m3u8");
  const media = [
    "#EXTM3U",
    '#EXT-X-MAP:URI="abc_video1_init.mp4"',
    "#EXTINF:1.00000,",
    "abc_video1_seg10.mp4",
    '#EXT-X-PART:DURATION=0.2,URI="abc_video1_part50.mp4",INDEPENDENT=YES',
    "#EXTINF:1.00000,",
    "abc_video1_seg11.mp4",
    '#EXT-X-PART:DURATION=0.2,URI="abc_video1_part56.mp4"',
    '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="abc_video1_part57.mp4"',
    "",
  ].join("\r\n");
  assert.deepEqual(newestSegment(media), { init: "abc_video1_init.mp4", segment: "abc_video1_seg11.mp4" });
  assert.equal(newestSegment('#EXTM3U\n#EXT-X-MAP:URI="i.mp4"\n'), null, "no complete segment yet");
});
