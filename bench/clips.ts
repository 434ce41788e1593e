// Issue #22 costs, each against a peer measured in the same run (BENCHMARKS.md "Clips and thumbnails"):
//   cut      POST /api/clips {last: N} (cut from MediaMTX's playback server, copied to the data dir) against
//            downloading the same range as MP4 from /recordings/<path>/media (what a viewer's download costs)
//   still    the thumbnailer's ffmpeg run on one LL-HLS segment (first frame, 320 px JPEG, one thread)
//            against decoding that whole segment (what watching 1 s of the stream with ffmpeg costs)
//
//   deno run -A bench/clips.ts [--rounds=3]
import { parseArgs } from "node:util";
import { join } from "node:path";
import {
  ADMIN_PASSWORD,
  Client,
  publish,
  startLivegate,
  stopProc,
  waitFor,
  waitHlsOnline,
} from "../tests/e2e/harness.ts";
import { firstVariant, newestSegment, THUMB_WIDTH } from "../src/clips/thumbs.ts";

const { values } = parseArgs({ args: Deno.args, options: { rounds: { type: "string", default: "3" } } });
const rounds = Number(values.rounds);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed(cmd: string[], stdin?: Uint8Array): Promise<{ wall: number; cpu: number }> {
  const p = new Deno.Command("/usr/bin/time", {
    args: ["-f", "%e %U %S", ...cmd],
    stdin: stdin ? "piped" : "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  if (stdin) {
    const w = p.stdin.getWriter();
    await w.write(stdin).catch(() => {});
    await w.close().catch(() => {});
  }
  const out = await p.output();
  const last = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1)!.split(" ").map(Number);
  return { wall: last[0], cpu: last[1] + last[2] };
}

const lg = await startLivegate();
const pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 240, { size: "640x360" });
const tmp = await Deno.makeTempDir({ prefix: "livegate-bench-clips-" });
try {
  const admin = new Client(lg.url);
  await admin.login("admin", ADMIN_PASSWORD);
  await waitHlsOnline(admin, "live");
  await waitFor("65 s recorded", async () => {
    const r = await admin.api("GET", "/api/recordings/live");
    return (r.body.spans?.at(-1)?.duration ?? 0) >= 65 || undefined;
  }, 120_000);

  console.log("| measure | livegate (issue #22) | peer | ratio |");
  console.log("| --- | --- | --- | --- |");
  for (const n of [10, 60]) {
    const cut: number[] = [], peer: number[] = [], bytes: number[] = [];
    for (let i = 0; i < rounds; i++) {
      let t0 = performance.now();
      const r = await admin.api("POST", "/api/clips", { path: "live", last: n });
      cut.push(performance.now() - t0);
      if (r.status !== 201) throw new Error(`cut failed: ${JSON.stringify(r.body)}`);
      bytes.push(r.body.clip.bytes);
      const q = new URLSearchParams({ start: r.body.clip.start, duration: String(n), format: "mp4" });
      t0 = performance.now();
      const m = await admin.fetch(`/recordings/live/media?${q}`);
      await m.arrayBuffer();
      peer.push(performance.now() - t0);
      await admin.api("DELETE", `/api/clips/${r.body.clip.id}`);
    }
    console.log(
      `| cut last ${n} s (${(median(bytes) / 1e6).toFixed(1)} MB), median of ${rounds} | ${
        median(cut).toFixed(0)
      } ms | ` +
        `${median(peer).toFixed(0)} ms (download of the same range) | ${
          (median(cut) / median(peer)).toFixed(2)
        } |`,
    );
  }

  // One segment as the thumbnailer sees it (through livegate's HLS proxy, same bytes as MediaMTX's).
  const multi = await (await admin.fetch("/hls/live/index.m3u8")).text();
  const variant = firstVariant(multi)!;
  const seg = newestSegment(await (await admin.fetch(`/hls/live/${variant}`)).text())!;
  const get = async (u: string) => new Uint8Array(await (await admin.fetch(`/hls/live/${u}`)).arrayBuffer());
  const input = new Uint8Array([...await get(seg.init), ...await get(seg.segment)]);
  await Deno.writeFile(join(tmp, "seg.mp4"), input);
  const still: number[] = [], full: number[] = [];
  for (let i = 0; i < rounds * 3; i++) {
    still.push(
      (await timed([
        ...["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-threads", "1"],
        ...["-f", "mp4", "-i", "pipe:0", "-an", "-frames:v", "1"],
        ...["-vf", `scale=${THUMB_WIDTH}:-2`, "-q:v", "6", "-f", "image2", "-c:v", "mjpeg", "pipe:1"],
      ], input)).cpu,
    );
    full.push(
      (await timed([
        ...["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-threads", "1"],
        ...["-i", join(tmp, "seg.mp4"), "-an", "-f", "null", "-"],
      ])).cpu,
    );
  }
  console.log(
    `| CPU of one still (640x360 H.264, ${(input.length / 1e3).toFixed(0)} kB segment), median of ${
      rounds * 3
    } | ` +
      `${(median(still) * 1000).toFixed(0)} ms (${
        (median(still) / 10 * 100).toFixed(1)
      }% of a core per live stream at one still / 10 s) | ` +
      `${(median(full) * 1000).toFixed(0)} ms (decoding the whole 1 s segment) | ${
        (median(still) / median(full)).toFixed(2)
      } |`,
  );
} finally {
  await stopProc(pub);
  await lg.stop();
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
}
