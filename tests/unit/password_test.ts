import assert from "node:assert/strict";
import {
  hashPassword,
  PBKDF2_ITERATIONS,
  validatePassword,
  verifyPassword,
} from "../../src/core/password.ts";
import { safeEqualString, timingSafeEqual } from "../../src/core/crypto.ts";

Deno.test("password: PBKDF2 at OWASP's iteration count verifies the right password only", async () => {
  const h = await hashPassword("correct horse battery");
  assert.match(h, new RegExp(`^pbkdf2-sha256\\$${PBKDF2_ITERATIONS}\\$`));
  assert.ok(PBKDF2_ITERATIONS >= 600_000);
  assert.equal(await verifyPassword("correct horse battery", h), true);
  assert.equal(await verifyPassword("correct horse batterY", h), false);
  assert.equal(await verifyPassword("", h), false);
});

Deno.test("password: salts differ, malformed hashes never verify", async () => {
  const a = await hashPassword("same-password", 1000);
  const b = await hashPassword("same-password", 1000);
  assert.notEqual(a, b);
  assert.equal(await verifyPassword("same-password", a), true);
  for (const bad of ["", "plain", "pbkdf2-sha256$x$y$z", "md5$1$a$b", "pbkdf2-sha256$0$AA==$AA=="]) {
    assert.equal(await verifyPassword("same-password", bad), false, bad);
  }
});

Deno.test("password: policy", () => {
  assert.ok(validatePassword("short"));
  assert.equal(validatePassword("long enough"), null);
  assert.ok(validatePassword("x".repeat(2000)));
});

Deno.test("constant-time compare", () => {
  assert.equal(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])), true);
  assert.equal(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])), false);
  assert.equal(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0])), false);
  assert.equal(timingSafeEqual(new Uint8Array([]), new Uint8Array([0])), false);
  assert.equal(safeEqualString("abc", "abc"), true);
  assert.equal(safeEqualString("abc", "abd"), false);
});
