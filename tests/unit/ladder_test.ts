// Quality ladders, the pure parts: rung path names, settings validation, the hook and the door on rung
// paths, encoder detection from ffmpeg's lists, the ffmpeg command line and the combined multivariant
// playlist.
import assert from "node:assert/strict";
import { isRungPath, rungHeight, rungParent, rungPath } from "../../src/core/rungs.ts";
import { NAME_RE } from "../../src/core/names.ts";
import { validateLadder } from "../../src/store/ladder.ts";
import { StoreError } from "../../src/core/errors.ts";
import { decide, type HookRequest } from "../../src/auth/hook.ts";
import { Access } from "../../src/auth/access.ts";
import { PublishTickets } from "../../src/auth/publish-tickets.ts";
import { systemClock } from "../../src/core/clock.ts";
import { ladderCredential, makeSecrets } from "../../src/mediamtx/secrets.ts";
import { storeOf } from "../../src/store/kv.ts";
import { createKey } from "../../src/store/keys.ts";
import { createStream } from "../../src/store/streams.ts";
import { addUser, getUser } from "../../src/store/users.ts";
import { encoderArgs, parseEncoders, pickEncoder } from "../../src/ladder/encoders.ts";
import { fittingRungs, ladderArgs, parseProbe } from "../../src/ladder/args.ts";
import { combineMultivariant } from "../../src/ladder/multivariant.ts";
import { parseSpeed } from "../../src/ladder/transcoder.ts";
import { isLadderCommand, reapOrphans } from "../../src/ladder/orphans.ts";
import { slowness } from "../../src/ladder/manager.ts";

Deno.test("rung paths: <stream>/<H>p, never a user stream name", () => {
  assert.equal(rungPath("live", 360), "live/360p");
  assert.equal(rungParent("live/360p"), "live");
  assert.equal(rungHeight("live/180p"), 180);
  for (const p of ["live", "live/", "live/360", "live/0360p", "/360p", "a/b/360p", "live~360p", "-x/360p"]) {
    assert.equal(isRungPath(p), false, p);
  }
  assert.equal(NAME_RE.test("live/360p"), false, "users cannot create a stream named like a rung");
});

Deno.test("ladder settings: presets, edited rungs, and 400s for bad input", () => {
  const ok = validateLadder({ enabled: true, rungs: ["180p", { height: 360, kbps: 600 }] });
  assert.deepEqual(ok.rungs, [{ height: 360, kbps: 600 }, { height: 180, kbps: 250 }]);
  assert.equal(ok.encoder, "x264");
  const bad: [unknown, RegExp][] = [
    [{ rungs: [{ height: 360, kbps: 0 }] }, /positive/],
    [{ rungs: [{ height: 360, kbps: -1 }] }, /positive/],
    [{ rungs: [{ height: 360, kbps: 1.5 }] }, /whole number/],
    [{ rungs: [{ height: 100, kbps: 300 }] }, /144 to 2160/],
    [{ rungs: ["720p", "480p", "360p", "240p", "180p"] }, /at most 4/],
    [{ rungs: ["360p", { height: 360, kbps: 300 }] }, /two rungs of 360/],
    [{ enabled: true }, /at least one rung/],
    [{ other: 1 }, /unknown field/],
    [[], /must be an object/],
  ];
  for (const [p, re] of bad) {
    assert.throws(
      () => validateLadder(p),
      (e) => e instanceof StoreError && e.kind === "invalid" && re.test(e.message),
    );
  }
});

Deno.test("hook and door: rung paths take livegate's internal publish only; watching is the stream's rule", async () => {
  const secrets = await makeSecrets("ladder-unit");
  const store = storeOf(await Deno.openKv(":memory:"));
  await createStream(store, "live", { visibility: "private", allow: ["carol"] });
  const key = (await createKey(store, "live", "k")).key;
  const access = new Access({ store, tickets: new PublishTickets(), clock: systemClock });
  const deps = { secrets, access };
  const req = (o: Partial<HookRequest>): HookRequest => ({
    ip: "127.0.0.1",
    user: "",
    password: "",
    token: "",
    action: "publish",
    path: "live/180p",
    protocol: "rtmp",
    id: null,
    query: "",
    userAgent: "",
    ...o,
  });
  assert.equal((await decide(req({ token: key, query: `token=${key}` }), deps)).allow, false, "stream key");
  assert.equal((await decide(req({}), deps)).allow, false, "nothing");
  assert.equal((await decide(req({ user: secrets.internalUser, password: "wrong" }), deps)).allow, false);
  const ladder = await ladderCredential(secrets, "live");
  const lc = { user: ladder.user, password: ladder.pass };
  assert.equal((await decide(req(lc), deps)).allow, true, "the stream's ladder publishes its rung");
  assert.equal((await decide(req({ ...lc, path: "other/180p" }), deps)).allow, false, "not another's rung");
  assert.equal((await decide(req({ ...lc, path: "live" }), deps)).allow, false, "not the stream itself");
  assert.equal((await decide(req({ ...lc, action: "read", path: "live" }), deps)).allow, true, "reads it");
  assert.equal((await decide(req({ ...lc, action: "read", path: "other" }), deps)).allow, false);
  assert.equal((await decide(req({ ...lc, action: "api", path: "" }), deps)).allow, false, "no API");
  assert.equal((await decide(req({ ...lc, action: "playback", path: "live" }), deps)).allow, false);
  const internal = { user: secrets.internalUser, password: secrets.internalPass };
  assert.equal((await decide(req(internal), deps)).allow, true, "livegate's ladder");
  assert.equal((await decide(req({ ...internal, path: "live" }), deps)).allow, false, "internal on a stream");
  assert.equal((await decide(req({ token: key, path: "live" }), deps)).allow, true, "the key on its stream");

  await addUser(store, "bob", "bob-password-123", "viewer");
  await addUser(store, "carol", "carol-password-123", "viewer");
  const bob = { kind: "user" as const, user: (await getUser(store, "bob"))! };
  const carol = { kind: "user" as const, user: (await getUser(store, "carol"))! };
  for (const actor of [bob, carol, { kind: "anonymous" as const }]) {
    const parent = await access.authorize({ actor, action: "watch", path: "live" });
    const rung = await access.authorize({ actor, action: "watch", path: "live/180p" });
    assert.deepEqual(rung, parent);
  }
  assert.equal((await access.authorize({ actor: carol, action: "watch", path: "live/180p" })).allow, true);
  const manage = await access.authorize({ actor: carol, action: "manage", path: "live/180p" });
  assert.equal(manage.allow, false);
  store.kv.close();
});

Deno.test("encoders: hardware ones from ffmpeg's lists; x264 unless asked and usable", () => {
  const enc =
    " V....D libx264  libx264 H.264\n V....D h264_nvenc NVIDIA\n V..... h264_qsv QSV\n V....D h264_vaapi VAAPI\n";
  assert.deepEqual(parseEncoders(enc, "Hardware acceleration methods:\nvaapi\ncuda\n"), ["nvenc", "vaapi"]);
  assert.deepEqual(parseEncoders(" V....D libx264 x\n", "vaapi\n"), []);
  assert.deepEqual(pickEncoder("auto", { listed: ["vaapi"], usable: [] }), { kind: "x264" });
  assert.deepEqual(pickEncoder("auto", { listed: ["vaapi"], usable: ["vaapi"] }), { kind: "vaapi" });
  assert.equal(pickEncoder("nvenc", { listed: ["nvenc"], usable: [] }).kind, "x264");
  assert.match(pickEncoder("nvenc", { listed: [], usable: [] }).note!, /not usable/);
  assert.ok(encoderArgs("x264", { height: 180, kbps: 250 }).includes("250k"));
  assert.deepEqual(
    encoderArgs("x264", { height: 180, kbps: 250 }).slice(-4),
    ["-force_key_frames", "source", "-bf", "0"],
  );
});

Deno.test("ffmpeg command: one input, split, one RTMP output per rung; rungs above the source skipped", () => {
  const source = { codec: "h264", width: 640, height: 360, audio: "aac" };
  const args = ladderArgs({
    input: "rtsp://u:p@127.0.0.1:1/live",
    output: (p) => `rtmp://127.0.0.1:2/${p}`,
    path: "live",
    rungs: [{ height: 360, kbps: 600 }, { height: 180, kbps: 250 }],
    encoder: "x264",
    source,
  });
  assert.equal(args.filter((a) => a === "-i").length, 1);
  assert.ok(args.includes("[0:v:0]split=2[s0][s1];[s0]scale=-2:360[v0];[s1]scale=-2:180[v1]"));
  assert.deepEqual(args.filter((a) => a.startsWith("rtmp://")), [
    "rtmp://127.0.0.1:2/live/360p",
    "rtmp://127.0.0.1:2/live/180p",
  ]);
  assert.equal(args.filter((a) => a === "-an").length, 2, "rungs are video only (shared audio)");
  assert.ok(args.indexOf("-copyts") < args.indexOf("-i"), "the source's timestamps are kept");
  const one = ladderArgs({
    input: "x",
    output: (p) => p,
    path: "live",
    rungs: [{ height: 180, kbps: 250 }],
    encoder: "x264",
    source,
  });
  assert.ok(one.includes("[0:v:0]scale=-2:180[v0]"));
  const f = fittingRungs([{ height: 720, kbps: 2500 }, { height: 180, kbps: 250 }], 360);
  assert.deepEqual(f.skipped.map((r) => r.height), [720]);
  assert.deepEqual(f.use.map((r) => r.height), [180]);
  assert.deepEqual(
    parseProbe('{"streams":[{"codec_type":"video","codec_name":"h264","width":640,"height":360}]}'),
    {
      codec: "h264",
      width: 640,
      height: 360,
      audio: null,
    },
  );
  assert.equal(parseProbe("not json"), null);
  assert.equal(parseSpeed("speed=0.98x"), 0.98);
  assert.equal(parseSpeed("speed=N/A"), null);
});

Deno.test("multivariant: source first, video-only rungs under <H>p/ sharing the source's audio", () => {
  const src = `#EXTM3U
#EXT-X-VERSION:10
#EXT-X-INDEPENDENT-SEGMENTS

#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio2",AUTOSELECT=YES,DEFAULT=YES,URI="audio2_stream.m3u8"

#EXT-X-STREAM-INF:BANDWIDTH=1268240,AVERAGE-BANDWIDTH=1268240,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=30.000,AUDIO="audio"
video1_stream.m3u8
`;
  const rung = `#EXTM3U
#EXT-X-VERSION:10
#EXT-X-INDEPENDENT-SEGMENTS

#EXT-X-STREAM-INF:BANDWIDTH=238992,AVERAGE-BANDWIDTH=238992,CODECS="avc1.64000d",RESOLUTION=320x180,FRAME-RATE=30.000
video1_stream.m3u8
`;
  const out = combineMultivariant(src, [{ prefix: "180p", text: rung, bandwidth: 250_000 }])!;
  const lines = out.split("\n");
  assert.equal(lines.filter((l) => l.startsWith("#EXT-X-STREAM-INF")).length, 2);
  assert.equal(lines.filter((l) => l.startsWith("#EXT-X-MEDIA")).length, 1, "one shared audio rendition");
  assert.ok(lines.includes("video1_stream.m3u8"));
  assert.ok(lines.includes("180p/video1_stream.m3u8"));
  assert.match(
    out,
    /BANDWIDTH=366992,AVERAGE-BANDWIDTH=366992,CODECS="avc1.64000d,mp4a.40.2",RESOLUTION=320x180,FRAME-RATE=30.000,AUDIO="audio"\n180p\/video1_stream.m3u8/,
  );
  // A rung MediaMTX has not measured yet gets its configured bitrate.
  const fresh = combineMultivariant(src, [{
    prefix: "180p",
    text: rung.replaceAll("238992", "0"),
    bandwidth: 250_000,
  }])!;
  assert.match(fresh, /BANDWIDTH=378000,AVERAGE-BANDWIDTH=378000/);
  assert.equal(combineMultivariant("#EXTM3U\n", []), null);
});

Deno.test("orphans: a ladder ffmpeg left by a killed livegate is ended at the next start", async () => {
  const port = 20_000 + Math.floor(Math.random() * 10_000);
  const url = `rtmp://127.0.0.1:${port}/live/180p?user=livegate-ladder&pass=x`;
  assert.equal(isLadderCommand(["/usr/bin/ffmpeg", "-i", url], port), true);
  assert.equal(isLadderCommand(["/usr/bin/ffmpeg", "-i", url], port + 1), false, "another livegate's");
  assert.equal(isLadderCommand(["sh", "-c", url], port), false);
  // A real orphan: an ffmpeg (reading silence, writing nothing) whose parent shell exits at once.
  const sh = await new Deno.Command("sh", {
    args: [
      "-c",
      `ffmpeg -nostdin -hide_banner -loglevel error -re -f lavfi -i anullsrc -f null - -metadata "x=${url}" >/dev/null 2>&1 & echo $!`,
    ],
    stdout: "piped",
  }).output();
  const pid = Number(new TextDecoder().decode(sh.stdout).trim());
  assert.ok(pid > 0);
  const alive = () => {
    try {
      Deno.kill(pid, "SIGCONT");
      return true;
    } catch {
      return false;
    }
  };
  try {
    assert.equal(alive(), true);
    const lines: string[] = [];
    assert.deepEqual(reapOrphans(port, (l) => lines.push(l)), [pid]);
    for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(alive(), false, "the orphan is gone");
    assert.match(lines[0], /left by a previous livegate/);
    assert.deepEqual(reapOrphans(port, () => {}), [], "nothing else matched");
  } finally {
    if (alive()) Deno.kill(pid, "SIGKILL");
  }
});

Deno.test("cannot keep up: 3 reports below 0.9x in a row warn once; keeping up again says so", () => {
  const lines: string[] = [];
  const c = { slowCount: 0 };
  let slow = false;
  for (const s of [0.8, 0.85, 1.0, 0.7, 0.8]) slow = slowness(c, s, slow, (l) => lines.push(l));
  assert.equal(slow, false, "a fast report in between resets the count");
  assert.equal(lines.length, 0);
  for (const s of [0.6, 0.6, 0.6]) slow = slowness(c, s, slow, (l) => lines.push(l));
  assert.equal(slow, true);
  assert.equal(lines.length, 1);
  assert.match(lines[0], /WARNING: the encoder cannot keep up \(speed 0\.60x/);
  slow = slowness(c, 1.02, slow, (l) => lines.push(l));
  assert.equal(slow, false);
  assert.match(lines[1], /keeps up again/);
});

Deno.test("ladder: the viewer's rung list (sizes as ffmpeg's scale=-2:H makes them), recordRungs validated", async () => {
  const { liveRungsView } = await import("../../src/ladder/routes.ts");
  const running = (
    source: { width: number; height: number } | null,
    rungs: { height: number; kbps: number }[],
  ) => ({
    status: () => ({ source: source && { ...source, codec: "h264", audio: null } }) as never,
    liveRungs: (path: string) => rungs.map((rung) => ({ path: `${path}/${rung.height}p`, rung })),
  });
  assert.deepEqual(
    liveRungsView(running({ width: 640, height: 360 }, [{ height: 180, kbps: 250 }]), "live", []),
    {
      source: { width: 640, height: 360 },
      rungs: [{ height: 180, width: 320, kbps: 250, whep: "/whep/live/180p" }],
    },
  );
  // 1280x720 -> 240 lines: 426.67 -> 426 (av_rescale to half the width, times 2); 1920x1080 -> 360: 640.
  const hd = liveRungsView(running({ width: 1280, height: 720 }, [{ height: 240, kbps: 400 }]), "cam", []);
  assert.equal(hd.rungs[0].width, 426);
  assert.equal(
    liveRungsView(running({ width: 1920, height: 1080 }, [{ height: 360, kbps: 700 }]), "x", []).rungs[0]
      .width,
    640,
  );
  // No ladder running, or no live rung: nothing to offer.
  assert.deepEqual(liveRungsView(running(null, []), "live", []), { source: null, rungs: [] });
  assert.deepEqual(liveRungsView(running({ width: 640, height: 360 }, []), "live", []), {
    source: null,
    rungs: [],
  });
  // recordRungs: a boolean, kept when other fields change.
  const on = validateLadder({ enabled: true, rungs: ["180p"], recordRungs: true });
  assert.equal(on.recordRungs, true);
  assert.equal(validateLadder({ rungs: ["240p"] }, on).recordRungs, true);
  assert.throws(() => validateLadder({ recordRungs: "yes" }), /ladder.recordRungs must be true or false/);
});
