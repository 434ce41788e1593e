// JWTs MediaMTX checks itself: a second, real MediaMTX (v1.20.1) runs with `authMethod: jwt` and livegate's
// JWKS URL and never calls livegate's hook. livegate (its own MediaMTX not started: LIVEGATE_MEDIAMTX_MANAGE
// =false) issues a publish JWT (ffmpeg publishes over RTMP with ?jwt=) and read JWTs through the door
// (POST /api/mediamtx/jwt with an API token); a read JWT plays HLS from that MediaMTX (ffmpeg decodes a
// segment); an expired token, one signed by a foreign key, one for another path and none are refused;
// after a key rotation new tokens (signed by the key published ahead as "next") and old, unexpired ones
// both work, without MediaMTX fetching the JWKS again.
import assert from "node:assert/strict";
import { join } from "node:path";
import { generateKeyPair, SignJWT } from "jose";
import { freePort, needTool, publish, run, startLivegate, stopProc, waitFor } from "./harness.ts";
import { randomToken } from "../../src/core/crypto.ts";
import { findMediamtx } from "../../src/mediamtx/binary.ts";

/** Plays HLS of `path` from MediaMTX at `base` with `jwt` as bearer: status of the multivariant playlist,
 * and when 200, whether a media segment decodes (ffmpeg). */
async function playHls(base: string, path: string, jwt: string | null, dir: string) {
  const headers: Record<string, string> = jwt ? { authorization: `Bearer ${jwt}` } : {};
  // MediaMTX answers the first request with a redirect to ?cookieCheck=1 (NOTES.md); fetch follows it.
  const r = await fetch(`${base}/${path}/index.m3u8`, { headers });
  if (r.status !== 200) {
    await r.body?.cancel();
    return { status: r.status, decoded: false };
  }
  const master = await r.text();
  const variant = master.split("\n").find((l) => l && !l.startsWith("#"))!;
  const media = await (await fetch(new URL(variant, r.url), { headers })).text();
  const segs = media.split("\n").filter((l) => l && !l.startsWith("#"));
  assert.ok(segs.length > 0, media);
  const seg = await fetch(new URL(segs[segs.length - 1], new URL(variant, r.url)), { headers });
  assert.equal(seg.status, 200);
  const file = join(dir, `seg-${crypto.randomUUID()}.ts`);
  await Deno.writeFile(file, new Uint8Array(await seg.arrayBuffer()));
  const dec = await run(needTool("ffprobe"), [
    "-v",
    "error",
    "-count_frames",
    "-select_streams",
    "v:0",
    "-show_entries",
    "stream=codec_name,nb_read_frames",
    "-of",
    "csv=p=0",
    file,
  ]);
  await Deno.remove(file).catch(() => {});
  return {
    status: 200,
    decoded: dec.code === 0 && /^h264,\d+/.test(dec.stdout.trim()) && !/,0$/.test(dec.stdout.trim()),
  };
}

Deno.test({
  name:
    "e2e MediaMTX with authMethod jwt: livegate's JWTs publish and play; expired, foreign, wrong path refused; rotation keeps old tokens",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const lg = await startLivegate({
      LIVEGATE_MEDIAMTX_MANAGE: "false",
      LIVEGATE_MTX_SECRET: randomToken(32),
      LIVEGATE_JWT_MAX_TTL: "300",
    });
    let mtx: Deno.ChildProcess | undefined;
    let pub: Deno.ChildProcess | undefined;
    const mtxLog: string[] = [];
    try {
      const tok = await lg.cli("token", "create", "admin", "--scopes", "streams", "--expires", "1d");
      assert.equal(tok.code, 0, tok.stderr);
      const apiToken = tok.stdout.split("\n")[1].trim();
      const issue = async (action: string, path: string, ttl: number) => {
        const r = await fetch(`${lg.url}/api/mediamtx/jwt`, {
          method: "POST",
          headers: { authorization: `Bearer ${apiToken}`, "content-type": "application/json" },
          body: JSON.stringify({ action, path, ttl }),
        });
        const b = await r.json();
        assert.equal(r.status, 200, JSON.stringify(b));
        return b as { jwt: string; kid: string };
      };

      const rtmp = freePort(), hls = freePort();
      const yml = join(lg.dataDir, "mediamtx-jwt.yml");
      await Deno.writeTextFile(
        yml,
        [
          "logLevel: info",
          "authMethod: jwt",
          `authJWTJWKS: ${lg.url}/.well-known/jwks.json`,
          `authJWTIssuer: http://localhost:${lg.env.LIVEGATE_PORT}`,
          "authJWTAudience: mediamtx",
          "api: no",
          "metrics: no",
          "pprof: no",
          "playback: no",
          "rtsp: no",
          "webrtc: no",
          "srt: no",
          "moq: no",
          "rtmp: yes",
          `rtmpAddress: 127.0.0.1:${rtmp}`,
          "hls: yes",
          `hlsAddress: 127.0.0.1:${hls}`,
          "hlsVariant: mpegts",
          "hlsSegmentCount: 3",
          "hlsSegmentDuration: 1s",
          "hlsAlwaysRemux: yes",
          "paths:",
          "  all_others:",
          "",
        ].join("\n"),
      );
      mtx = new Deno.Command(findMediamtx(Deno.env.get("MEDIAMTX_BIN") ?? ""), {
        args: [yml],
        cwd: lg.dataDir,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const pump = async (s: ReadableStream<Uint8Array>) => {
        const dec = new TextDecoder();
        for await (const b of s) mtxLog.push(dec.decode(b, { stream: true }));
      };
      const pumps = [pump(mtx.stdout), pump(mtx.stderr)];
      await waitFor(
        "MediaMTX listening",
        () => Promise.resolve(mtxLog.join("").includes("[HLS] started") ? true : undefined),
      );
      const base = `http://127.0.0.1:${hls}`;

      await t.step(
        "a publish JWT from livegate publishes over RTMP; a read JWT for the path plays HLS",
        async () => {
          const badPub = publish(
            `rtmp://127.0.0.1:${rtmp}/live?jwt=${(await issue("read", "live", 60)).jwt}`,
            5,
          );
          assert.notEqual((await badPub.status).code, 0, "a read JWT must not publish");
          await badPub.stderr.cancel().catch(() => {});
          const p = await issue("publish", "live", 60);
          pub = publish(`rtmp://127.0.0.1:${rtmp}/live?jwt=${p.jwt}`, 90);
          const read = await issue("read", "live", 120);
          const played = await waitFor("HLS plays with the read JWT", async () => {
            const r = await playHls(base, "live", read.jwt, lg.dataDir);
            return r.status === 200 && r.decoded ? r : undefined;
          }, 40_000);
          assert.ok(played.decoded);
        },
      );

      await t.step(
        "refused: no token, another path's token, an expired token, a foreign key's token",
        async () => {
          assert.equal((await playHls(base, "live", null, lg.dataDir)).status, 401);
          const other = await issue("read", "other", 60);
          assert.equal((await playHls(base, "live", other.jwt, lg.dataDir)).status, 401);
          const short = await issue("read", "live", 1);
          await new Promise((r) => setTimeout(r, 2500));
          assert.equal((await playHls(base, "live", short.jwt, lg.dataDir)).status, 401, "expired");
          // Same claims and even the same kid, signed by a key livegate never published.
          const { privateKey } = await generateKeyPair("ES256");
          const cur = (await (await fetch(`${lg.url}/.well-known/jwks.json`)).json()).keys[0].kid;
          const forged = await new SignJWT({ mediamtx_permissions: [{ action: "read", path: "live" }] })
            .setProtectedHeader({ alg: "ES256", kid: cur })
            .setSubject("admin").setIssuer(`http://localhost:${lg.env.LIVEGATE_PORT}`).setAudience("mediamtx")
            .setIssuedAt().setExpirationTime("2m").sign(privateKey);
          assert.equal((await playHls(base, "live", forged, lg.dataDir)).status, 401, "foreign key");
        },
      );

      await t.step("after a key rotation, new tokens and old unexpired ones both play", async () => {
        const old = await issue("read", "live", 300);
        const jwksBefore = (await (await fetch(`${lg.url}/.well-known/jwks.json`)).json()).keys.map((
          k: { kid: string },
        ) => k.kid);
        const rot = await lg.cli("jwt", "rotate");
        assert.equal(rot.code, 0, rot.stderr);
        const fresh = await issue("read", "live", 300);
        assert.notEqual(fresh.kid, old.kid, "signed by the new key");
        assert.ok(jwksBefore.includes(fresh.kid), "the new key was published before it signed");
        const jwksAfter = (await (await fetch(`${lg.url}/.well-known/jwks.json`)).json()).keys.map((
          k: { kid: string },
        ) => k.kid);
        assert.ok(jwksAfter.includes(old.kid), "the retired key stays published");
        const a = await playHls(base, "live", fresh.jwt, lg.dataDir);
        assert.deepEqual(a, { status: 200, decoded: true }, "new token");
        const b = await playHls(base, "live", old.jwt, lg.dataDir);
        assert.deepEqual(b, { status: 200, decoded: true }, "old token");
      });
      await stopProc(pub!);
      pub = undefined;
      mtx.kill("SIGTERM");
      await mtx.status;
      await Promise.allSettled(pumps);
      mtx = undefined;
    } catch (e) {
      console.error(`MediaMTX log:\n${mtxLog.join("")}`);
      throw e;
    } finally {
      if (pub) await stopProc(pub);
      if (mtx) await stopProc(mtx);
      await lg.stop();
    }
  },
});
