// The key that seals source credentials at rest (src/core/secret-box.ts): LIVEGATE_SECRET_KEY (32 bytes,
// base64 or base64url) when set, otherwise <data dir>/secret.key, made once with 32 random bytes and mode
// 0600. A backup of the KV database alone does not reveal a camera's password; keep the key file (or the
// variable) with it, or sources must be entered again after a restore.
import { join } from "node:path";
import { b64decode, b64encode } from "../core/crypto.ts";
import { SecretBox } from "../core/secret-box.ts";

export const SECRET_KEY_ENV = "LIVEGATE_SECRET_KEY";
export const SECRET_KEY_FILE = "secret.key";

function decodeKey(text: string, where: string): Uint8Array {
  const raw = b64decode(text.trim().replace(/-/g, "+").replace(/_/g, "/").padEnd(44, "="));
  if (raw.byteLength !== 32) {
    throw new Error(`config: ${where} must hold 32 bytes in base64 (e.g. from: openssl rand -base64 32)`);
  }
  return raw;
}

/**
 * The secret box for `dataDir` (or from `envValue`). Creates the key file when there is none. Throws an
 * Error naming the variable or file when the key is malformed or the file cannot be written.
 */
export async function loadSecretBox(dataDir: string, envValue?: string): Promise<SecretBox> {
  if (envValue) return await SecretBox.fromRaw(decodeKey(envValue, SECRET_KEY_ENV));
  const file = join(dataDir, SECRET_KEY_FILE);
  try {
    return await SecretBox.fromRaw(decodeKey(await Deno.readTextFile(file), file));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const fresh = b64encode(crypto.getRandomValues(new Uint8Array(32)));
  try {
    // createNew: two starts racing keep the first key.
    await Deno.writeTextFile(file, fresh + "\n", { mode: 0o600, createNew: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) {
      throw new Error(`cannot write ${file}: ${(e as Error).message}`);
    }
  }
  return await SecretBox.fromRaw(decodeKey(await Deno.readTextFile(file), file));
}
