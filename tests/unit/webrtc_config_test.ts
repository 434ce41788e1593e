// WebRTC reachability settings: additional ICE hosts (NAT 1:1) and the optional ICE TCP port, and how they
// reach MediaMTX (MTX_* environment only).
import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../src/config/config.ts";
import { mediamtxEnv } from "../../src/mediamtx/env.ts";
import { makeSecrets } from "../../src/mediamtx/secrets.ts";

const secrets = await makeSecrets("unit");

Deno.test("config: WebRTC additional hosts and TCP port default to none", () => {
  const c = loadConfig({});
  assert.deepEqual(c.mediamtx.webrtcAdditionalHosts, []);
  assert.equal(c.mediamtx.webrtcTcpPort, null);
  const env = mediamtxEnv(c, secrets);
  assert.equal(env.MTX_WEBRTCADDITIONALHOSTS, undefined);
  assert.equal(env.MTX_WEBRTCLOCALTCPADDRESS, undefined);
  assert.equal(env.MTX_WEBRTCLOCALUDPADDRESS, ":8189");
});

Deno.test("config: LIVEGATE_WEBRTC_ADDITIONAL_HOSTS -> MTX_WEBRTCADDITIONALHOSTS", () => {
  const c = loadConfig({
    LIVEGATE_WEBRTC_ADDITIONAL_HOSTS: " 203.0.113.7, stream.example.org ,2001:db8::1",
    LIVEGATE_WEBRTC_TCP_PORT: "8189",
    LIVEGATE_WEBRTC_UDP_PORT: "8190",
  });
  assert.deepEqual(c.mediamtx.webrtcAdditionalHosts, ["203.0.113.7", "stream.example.org", "2001:db8::1"]);
  const env = mediamtxEnv(c, secrets);
  assert.equal(env.MTX_WEBRTCADDITIONALHOSTS, "203.0.113.7,stream.example.org,2001:db8::1");
  assert.equal(env.MTX_WEBRTCLOCALTCPADDRESS, ":8189");
});

Deno.test("config: WebRTC settings from the JSON file; bad values name the setting", async () => {
  const f = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(
      f,
      JSON.stringify({ mediamtx: { webrtcAdditionalHosts: ["192.168.1.10"], ports: { webrtcTcp: 8200 } } }),
    );
    const c = loadConfig({}, f);
    assert.deepEqual(c.mediamtx.webrtcAdditionalHosts, ["192.168.1.10"]);
    assert.equal(c.mediamtx.webrtcTcpPort, 8200);
    await Deno.writeTextFile(f, JSON.stringify({ mediamtx: { webrtcAdditionalHosts: ["ok.example", 5] } }));
    assert.throws(
      () => loadConfig({}, f),
      (e) => e instanceof ConfigError && /webrtcAdditionalHosts/.test(e.message),
    );
  } finally {
    await Deno.remove(f);
  }
  for (const bad of ["bad host", "x,http://evil", "a;b", "-lead.example"]) {
    assert.throws(
      () => loadConfig({ LIVEGATE_WEBRTC_ADDITIONAL_HOSTS: bad }),
      (e) => e instanceof ConfigError && e.setting === "LIVEGATE_WEBRTC_ADDITIONAL_HOSTS",
      bad,
    );
  }
  assert.throws(
    () => loadConfig({ LIVEGATE_WEBRTC_TCP_PORT: "3000" }),
    (e) => e instanceof ConfigError && /also used by/.test(e.message),
  );
  assert.throws(
    () => loadConfig({ LIVEGATE_WEBRTC_TCP_PORT: "99999" }),
    (e) => e instanceof ConfigError && e.setting === "LIVEGATE_WEBRTC_TCP_PORT",
  );
});
