// src/proxy/playlist-uris.ts: a share token added to every URI of MediaMTX's LL-HLS playlists, nothing else
// changed.
import assert from "node:assert/strict";
import { addQueryParam, withQueryParam } from "../../src/proxy/playlist-uris.ts";

const MULTI = `#EXTM3U
#EXT-X-VERSION:9
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio2",AUTOSELECT=YES,DEFAULT=YES,URI="audio2_stream.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=1000000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=640x360,AUDIO="audio"
video1_stream.m3u8
`;
const MEDIA = `#EXTM3U\r
#EXT-X-VERSION:9\r
#EXT-X-TARGETDURATION:1\r
#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.50000,CAN-SKIP-UNTIL=6.00000\r
#EXT-X-PART-INF:PART-TARGET=0.20000\r
#EXT-X-MEDIA-SEQUENCE:3\r
#EXT-X-MAP:URI="4f3c_video1_init.mp4"\r
#EXT-X-PROGRAM-DATE-TIME:2026-11-30T11:00:00.000Z\r
#EXT-X-PART:DURATION=0.20000,URI="4f3c_video1_part10.mp4",INDEPENDENT=YES\r
#EXTINF:1.00000,\r
4f3c_video1_seg3.mp4\r
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="4f3c_video1_part16.mp4"\r
#EXT-X-RENDITION-REPORT:URI="audio2_stream.m3u8?_HLS_msn=4",LAST-MSN=4,LAST-PART=0\r
`;
const TOKEN = "Ab3_x.lq9zz1.Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eA";

Deno.test("playlist URIs: every URI line and URI attribute gets the share, nothing else changes", () => {
  for (const text of [MULTI, MEDIA]) {
    const out = withQueryParam(text, "share", TOKEN);
    const a = text.split("\n"), b = out.split("\n");
    assert.equal(a.length, b.length, "same lines");
    let uris = 0;
    for (let i = 0; i < a.length; i++) {
      const uriCount = (a[i].match(/URI="/g) ?? []).length + (a[i].trim() && !a[i].startsWith("#") ? 1 : 0);
      uris += uriCount;
      if (!uriCount) assert.equal(b[i], a[i], "lines without a URI are untouched");
      else assert.equal((b[i].match(/share=/g) ?? []).length, uriCount, b[i]);
      assert.equal(b[i].endsWith("\r"), a[i].endsWith("\r"), "line endings kept");
    }
    assert.ok(uris >= 2);
    assert.equal(withQueryParam(out, "share", TOKEN), out, "adding it twice changes nothing");
  }
  const media = withQueryParam(MEDIA, "share", TOKEN);
  assert.match(media, /URI="audio2_stream\.m3u8\?_HLS_msn=4&share=Ab3_x\.lq9zz1\.Zm9v/);
  assert.match(media, /\n4f3c_video1_seg3\.mp4\?share=Ab3_x/);
  assert.match(media, /#EXT-X-MAP:URI="4f3c_video1_init\.mp4\?share=/);
});

Deno.test("playlist URIs: the value is percent-encoded; a fragment stays last", () => {
  assert.equal(addQueryParam("a.m3u8", "share", "x y&z"), "a.m3u8?share=x%20y%26z");
  assert.equal(addQueryParam("a.mp4#t=1", "share", "t"), "a.mp4?share=t#t=1");
  assert.equal(addQueryParam("a.mp4?", "share", "t"), "a.mp4?share=t");
  assert.equal(addQueryParam("a.mp4?share=old", "share", "t"), "a.mp4?share=old");
});
