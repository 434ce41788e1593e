// Shared check for deployment tests: a logged-in client gets the LL-HLS playlists of a live stream and a
// video segment that ffmpeg decodes.
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Client, needTool, run, waitHlsOnline } from "./harness.ts";

/** Waits for `path` to be live for `viewer`, then fetches and decodes init + last segment of the video. */
export async function checkHlsPlays(viewer: Client, path: string, tmpDir: string): Promise<void> {
  const master = await waitHlsOnline(viewer, path);
  assert.match(master, /#EXTM3U/);
  const variant = master.split("\n").find((l) => l.endsWith(".m3u8") && !l.startsWith("#"));
  assert.ok(variant, `variant playlist listed in:\n${master}`);
  const vres = await viewer.fetch(`/hls/${path}/${variant}`);
  assert.equal(vres.status, 200);
  const media = await vres.text();
  assert.match(media, /#EXT-X-PART:/, "low-latency parts");
  const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(media)![1];
  const segs = media.split("\n").filter((l) => l.endsWith(".mp4") && !l.startsWith("#"));
  assert.ok(segs.length >= 1, "at least one segment");
  const bytes: Uint8Array[] = [];
  for (const f of [init, segs[segs.length - 1]]) {
    const r = await viewer.fetch(`/hls/${path}/${f}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-type"), "video/mp4");
    bytes.push(new Uint8Array(await r.arrayBuffer()));
  }
  const file = join(tmpDir, `check-${crypto.randomUUID()}.mp4`);
  await Deno.writeFile(file, new Uint8Array([...bytes[0], ...bytes[1]]));
  try {
    const dec = await run(needTool("ffmpeg"), ["-v", "error", "-i", file, "-f", "null", "-"]);
    assert.equal(dec.code, 0, dec.stderr);
    const probe = await run(needTool("ffprobe"), [
      "-v",
      "error",
      "-show_entries",
      "stream=codec_name",
      "-of",
      "csv=p=0",
      file,
    ]);
    assert.match(probe.stdout, /h264/);
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}
