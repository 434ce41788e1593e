// The login page with sign-in providers: a button per provider (keeping ?next=), the password form only
// while local passwords are on; with LIVEGATE_LOCAL_LOGIN=false a password POST is refused (403) even with
// the right password.
import assert from "node:assert/strict";
import { Jar, PASSWORD, testApp } from "./helpers.ts";

const providers = JSON.stringify([
  { id: "kc", name: "Keycloak", issuer: "https://id.example/realms/x", clientId: "lg" },
  { id: "google", name: "Google", issuer: "https://accounts.google.com", clientId: "g" },
]);

Deno.test("sso login page: buttons per provider; local passwords can be turned off", async () => {
  const on = await testApp({ LIVEGATE_OIDC_PROVIDERS: providers });
  try {
    const html = await (await on.app.request("http://localhost/login?next=/watch/live")).text();
    assert.match(html, /href="\/login\/oidc\/kc\?next=%2Fwatch%2Flive">Sign in with Keycloak/);
    assert.match(html, /Sign in with Google/);
    assert.match(html, /name="password"/);
    assert.equal((await new Jar(on.app).login("admin", PASSWORD)).status, 303);
  } finally {
    on.close();
  }
  const off = await testApp({ LIVEGATE_OIDC_PROVIDERS: providers, LIVEGATE_LOCAL_LOGIN: "false" });
  try {
    const html = await (await off.app.request("http://localhost/login")).text();
    assert.match(html, /Sign in with Keycloak/);
    assert.doesNotMatch(html, /name="password"/);
    const jar = new Jar(off.app);
    const r = await jar.req("/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf: "x", user: "admin", password: PASSWORD }),
    });
    assert.equal(r.status, 403);
    assert.match(await r.text(), /Local passwords are turned off/);
    assert.ok(!jar.cookies.has("lg_session"));
  } finally {
    off.close();
  }
});
