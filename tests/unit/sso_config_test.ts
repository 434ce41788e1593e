// Single sign-on and JWT settings: validated at start with errors naming the setting (and the field of a
// provider); a client secret may come from its own variable; local passwords cannot be turned off without
// a provider. Plus the claims -> role mapping.
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/config.ts";
import { mapRole, nameFromClaims } from "../../src/auth/oidc.ts";

const P = (o: Record<string, unknown>) =>
  JSON.stringify([{ id: "kc", issuer: "https://id.example/realms/x", clientId: "lg", ...o }]);

Deno.test("sso config: providers parse, secrets from their own variable, errors name the setting", () => {
  const cfg = loadConfig({
    LIVEGATE_OIDC_PROVIDERS: P({ adminValues: ["ops"], roleClaim: "realm_access.roles" }),
    LIVEGATE_OIDC_KC_CLIENT_SECRET: "s3cret",
  });
  const p = cfg.oidc.providers[0];
  assert.equal(p.clientSecret, "s3cret");
  assert.deepEqual(p.scopes, ["openid", "profile", "email"]);
  assert.equal(p.name, "kc");
  assert.equal(cfg.localLogin, true);
  const bad: [Record<string, string>, RegExp][] = [
    [{ LIVEGATE_OIDC_PROVIDERS: "[" }, /LIVEGATE_OIDC_PROVIDERS: is not valid JSON/],
    [{ LIVEGATE_OIDC_PROVIDERS: "{}" }, /LIVEGATE_OIDC_PROVIDERS: must be a JSON array/],
    [
      { LIVEGATE_OIDC_PROVIDERS: P({ issuer: "http://id.example" }) },
      /LIVEGATE_OIDC_PROVIDERS\[0\]\.issuer: .*must be https/,
    ],
    [{ LIVEGATE_OIDC_PROVIDERS: P({ issuer: "nope" }) }, /\[0\]\.issuer: 'nope' is not a URL/],
    [{ LIVEGATE_OIDC_PROVIDERS: P({ clientId: "" }) }, /\[0\]\.clientId: is required/],
    [{ LIVEGATE_OIDC_PROVIDERS: P({ id: "Bad Id" }) }, /\[0\]\.id: 'Bad Id' must be/],
    [{ LIVEGATE_OIDC_PROVIDERS: P({ defaultRole: "root" }) }, /\[0\]\.defaultRole: 'root'/],
    [{ LIVEGATE_OIDC_PROVIDERS: P({ adminValues: 5 }) }, /\[0\]\.adminValues: must be a list/],
    [{ LIVEGATE_OIDC_SIGNUP: "maybe" }, /LIVEGATE_OIDC_SIGNUP: 'maybe' must be create or existing/],
    [
      { LIVEGATE_LOCAL_LOGIN: "false" },
      /LIVEGATE_LOCAL_LOGIN: local passwords cannot be turned off without a provider/,
    ],
    [{ LIVEGATE_JWT_ROTATE: "1h" }, /LIVEGATE_JWT_ROTATE: /],
    [{ LIVEGATE_JWT_MAX_TTL: "2d" }, /LIVEGATE_JWT_MAX_TTL: must be at most 24h/],
  ];
  for (const [env, re] of bad) assert.throws(() => loadConfig(env), re, JSON.stringify(env));
  // Two providers with one id.
  const two = JSON.stringify([
    { id: "a", issuer: "https://a.example", clientId: "x" },
    { id: "a", issuer: "https://b.example", clientId: "y" },
  ]);
  assert.throws(
    () => loadConfig({ LIVEGATE_OIDC_PROVIDERS: two }),
    /\[1\]\.id: 'a' is used by another provider/,
  );
  // http is fine on loopback (a provider on the same machine, tests).
  assert.equal(
    loadConfig({ LIVEGATE_OIDC_PROVIDERS: P({ issuer: "http://127.0.0.1:9000" }) }).oidc.providers[0].issuer,
    "http://127.0.0.1:9000",
  );
});

Deno.test("sso: claims map to roles (lists, strings, nested claims); names come from claims", async () => {
  const p = loadConfig({
    LIVEGATE_OIDC_PROVIDERS: P({
      adminValues: ["ops"],
      streamerValues: ["media"],
      roleClaim: "realm_access.roles",
    }),
  }).oidc.providers[0];
  assert.equal(mapRole({ realm_access: { roles: ["x", "ops"] } }, p), "admin");
  assert.equal(mapRole({ realm_access: { roles: ["media"] } }, p), "streamer");
  assert.equal(mapRole({ realm_access: { roles: "media" } }, p), "streamer");
  assert.equal(mapRole({ realm_access: { roles: [{ ops: 1 }] } }, p), "viewer");
  assert.equal(mapRole({ groups: ["ops"] }, p), "viewer");
  assert.equal(await nameFromClaims({ sub: "1", preferred_username: "ann.lee" }, p), "ann.lee");
  assert.equal(await nameFromClaims({ sub: "1", email: "bo b@x.io" }, p), "bo-b");
  assert.match(await nameFromClaims({ sub: "1", preferred_username: "../.." }, p), /^kc-[0-9a-f]{10}$/);
});
