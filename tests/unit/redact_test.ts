// src/core/log.ts redactSecrets: livegate's secrets by shape, and whatever follows a credential name, are
// removed from log lines; help text placeholders and ordinary text stay.
import assert from "node:assert/strict";
import { redactSecrets } from "../../src/core/log.ts";
import { randomToken } from "../../src/core/crypto.ts";

Deno.test("redactSecrets: keys, tickets, share tokens, named credentials, URL passwords", () => {
  for (let i = 0; i < 200; i++) {
    const key = `lg_${randomToken(24)}`, ticket = `lgw_${randomToken(32)}`;
    const share = `${randomToken(6)}.${Date.now().toString(36)}.${randomToken(32)}`;
    const junk = randomToken(9);
    const lines = [
      `refused publish to 'live/${key}' from 1.2.3.4`,
      `[RTMP] [conn 1.2.3.4:5] closed: path '${key}'`,
      `bearer ${ticket}`,
      `GET /hls/live/index.m3u8?share=${share}&_HLS_msn=3`,
      `x ${share} y`,
      `rtmp://h/live?token=${junk}`,
      `srt://h:8890?streamid=publish:live::${junk}&pkt_size=1316`,
      `srt://h:8890?streamid=publish:${junk}`,
      `rtsp://user:${junk}@h:8554/live`,
      `password=${junk}`,
    ];
    for (const l of lines) {
      const out = redactSecrets(l);
      for (const s of [key, ticket, share, junk]) assert.ok(!out.includes(s), `${l} -> ${out}`);
      assert.match(out, /\[redacted\]/);
    }
  }
  const help =
    "publish to rtmp://HOST:1935/<stream>?token=KEY, srt://HOST:8890?streamid=publish:<stream>::KEY";
  assert.equal(redactSecrets(help), help, "placeholders stay");
  assert.equal(redactSecrets("stream 'live' started; 3 viewers"), "stream 'live' started; 3 viewers");
  assert.equal(redactSecrets("srt streamid=publish:live::s3cret"), "srt streamid=publish:live:[redacted]");
});
