// src/proxy/empty-parts.ts: LL-HLS parts with no media (what MediaMTX writes for AAC over SRT, whose
// frames come in bursts longer than a part) are marked GAP=YES, each part looked at once, nothing else
// in the playlist changed.
import assert from "node:assert/strict";
import { EmptyParts, partHasMedia } from "../../src/proxy/empty-parts.ts";

const hex = (s: string) => new Uint8Array(s.match(/../g)!.map((b) => parseInt(b, 16)));
/** An empty audio part exactly as MediaMTX v1.20.1 wrote it: moof with only mfhd, then an empty mdat. */
const EMPTY = hex("000000186d6f6f66000000106d66686400000000000000200000000" + "86d646174");
/** A part with media: a moof (its boxes do not matter here) and an mdat with 4 bytes of payload. */
const FULL = hex("000000106d6f6f6600000008747261660000000c6d6461740a0b0c0d");

Deno.test("partHasMedia: an empty mdat is no media; a payload, or bytes that are no fragment, are", () => {
  assert.equal(EMPTY.byteLength, 32);
  assert.equal(partHasMedia(EMPTY), false);
  assert.equal(partHasMedia(FULL), true);
  // 64-bit largesize mdat with payload, and one without.
  const large = (payload: number) =>
    new Uint8Array([
      ...EMPTY.slice(0, 24),
      0,
      0,
      0,
      1,
      0x6d,
      0x64,
      0x61,
      0x74,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      16 + payload,
      ...new Array(payload).fill(7),
    ]);
  assert.equal(partHasMedia(large(0)), false);
  assert.equal(partHasMedia(large(3)), true);
  // Not ISO BMFF (a TS packet, garbage, nothing): never called empty.
  assert.equal(partHasMedia(new Uint8Array([0x47, 0x40, 0x11, 0x10, 0, 0, 0, 0, 1])), true);
  assert.equal(partHasMedia(new Uint8Array([0, 0, 0, 3, 1, 2, 3, 4])), true);
  assert.equal(partHasMedia(new Uint8Array()), true);
});

const PLAYLIST = `#EXTM3U\r
#EXT-X-VERSION:10\r
#EXT-X-TARGETDURATION:1\r
#EXT-X-PART-INF:PART-TARGET=0.20000\r
#EXT-X-MEDIA-SEQUENCE:7\r
#EXT-X-MAP:URI="ab_audio2_init.mp4"\r
#EXT-X-PART:DURATION=0.20000,URI="ab_audio2_part30.mp4",INDEPENDENT=YES\r
#EXT-X-PART:DURATION=0.20000,URI="ab_audio2_part31.mp4"\r
#EXT-X-PART:DURATION=0.20000,URI="ab_audio2_part32.mp4"\r
#EXT-X-PART:DURATION=0.20000,URI="ab_audio2_part33.mp4",GAP=YES\r
#EXTINF:1.00000,\r
ab_audio2_seg13.mp4\r
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="ab_audio2_part34.mp4"\r
`;

Deno.test("EmptyParts.mark: GAP=YES on empty parts only, each part fetched once, the rest untouched", async () => {
  const parts: Record<string, Uint8Array | null> = {
    "ab_audio2_part31.mp4": FULL,
    "ab_audio2_part32.mp4": EMPTY,
  };
  const fetched: string[] = [];
  const fetchPart = (uri: string) => {
    fetched.push(uri);
    return Promise.resolve(parts[uri] ?? null);
  };
  const ep = new EmptyParts();
  const out = await ep.mark(PLAYLIST, "live", fetchPart);
  const a = PLAYLIST.split("\n"), b = out.split("\n");
  assert.equal(b.length, a.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i].includes("part32")) {
      assert.equal(b[i], '#EXT-X-PART:DURATION=0.20000,URI="ab_audio2_part32.mp4",GAP=YES\r');
    } else assert.equal(b[i], a[i], "other lines untouched");
  }
  // INDEPENDENT parts start with a sync sample, GAP ones are marked already, a preload hint is no part yet.
  assert.deepEqual(fetched.sort(), ["ab_audio2_part31.mp4", "ab_audio2_part32.mp4"]);
  assert.equal(ep.found, 1);
  // The next reload of the playlist: known parts are not fetched again, and the mark stays.
  assert.equal(await ep.mark(PLAYLIST, "live", fetchPart), out);
  assert.equal(fetched.length, 2);
  // Another stream's part of the same name is its own.
  await ep.mark(PLAYLIST, "other", fetchPart);
  assert.equal(fetched.length, 4);
  // A part that could not be fetched is left unmarked and asked again next time.
  delete parts["ab_audio2_part32.mp4"];
  const ep2 = new EmptyParts();
  assert.equal(await ep2.mark(PLAYLIST, "live", fetchPart), PLAYLIST);
  await ep2.mark(PLAYLIST, "live", fetchPart);
  assert.equal(fetched.filter((u) => u.endsWith("part32.mp4")).length, 4);
  // A playlist without parts (multivariant, or plain HLS) is returned as it is, without fetching.
  const multi = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nvideo1_stream.m3u8\n";
  assert.equal(await ep.mark(multi, "live", fetchPart), multi);
});

Deno.test("EmptyParts: bounded memory (the oldest answers go first)", async () => {
  const ep = new EmptyParts(3);
  let n = 0;
  const fetchPart = () => (n++, Promise.resolve(EMPTY));
  for (let i = 0; i < 5; i++) {
    await ep.mark(`#EXT-X-PART:DURATION=0.2,URI="p${i}.mp4"\n`, "live", fetchPart);
  }
  assert.equal(n, 5);
  await ep.mark(`#EXT-X-PART:DURATION=0.2,URI="p4.mp4"\n`, "live", fetchPart);
  assert.equal(n, 5, "the newest is remembered");
  await ep.mark(`#EXT-X-PART:DURATION=0.2,URI="p0.mp4"\n`, "live", fetchPart);
  assert.equal(n, 6, "the oldest was dropped");
});
