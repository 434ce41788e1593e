// The key that seals source credentials at rest (src/core/seal.ts): LIVEGATE_SECRET_KEY (base64 of 32
// bytes) when set, otherwise <data dir>/secret.key, made once with 32 random bytes and mode 0600. A backup
// of the KV database alone does not reveal a camera's password; keep the key file (or the variable) with
// it, or sources must be entered again after a restore.
import { loadSealer } from "../core/seal.ts";
import { SecretBox } from "../core/secret-box.ts";

export const SECRET_KEY_ENV = "LIVEGATE_SECRET_KEY";
export const SECRET_KEY_FILE = "secret.key";

/**
 * The secret box for `dataDir` (or from `envValue`). Creates the key file when there is none. Throws an
 * Error naming the variable or file when the key is malformed or the file cannot be written.
 */
export async function loadSecretBox(dataDir: string, envValue?: string): Promise<SecretBox> {
  return new SecretBox(
    await loadSealer({ envName: SECRET_KEY_ENV, envValue, dataDir, fileName: SECRET_KEY_FILE }),
  );
}
