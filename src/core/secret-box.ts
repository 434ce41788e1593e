// Encryption at rest for secrets livegate must give back in clear later (credentials in a pulled source's
// URL): AES-256-GCM through WebCrypto (crypto.subtle), a fresh 96-bit IV per message (NIST SP 800-38D),
// sealed text "v1.<base64 iv>.<base64 ciphertext+tag>". Nothing here implements a primitive itself.
import { b64decode, b64encode } from "./crypto.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Seals and opens short secrets with one AES-GCM key. */
export class SecretBox {
  constructor(readonly key: CryptoKey) {}

  /** A box over 32 raw key bytes. Throws a TypeError when `raw` is not 32 bytes long. */
  static async fromRaw(raw: Uint8Array): Promise<SecretBox> {
    if (raw.byteLength !== 32) throw new TypeError(`an AES-256 key is 32 bytes, not ${raw.byteLength}`);
    const key = await crypto.subtle.importKey("raw", raw as Uint8Array<ArrayBuffer>, "AES-GCM", false, [
      "encrypt",
      "decrypt",
    ]);
    return new SecretBox(key);
  }

  /** `plain` encrypted and authenticated; `aad` (e.g. the record's key) is bound to it but not stored. */
  async seal(plain: string, aad = ""): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: enc.encode(aad) },
        this.key,
        enc.encode(plain),
      ),
    );
    return `v1.${b64encode(iv)}.${b64encode(ct)}`;
  }

  /** The plain text of `sealed`. Throws an Error when it was not sealed with this key and `aad`. */
  async open(sealed: string, aad = ""): Promise<string> {
    const [v, iv, ct] = sealed.split(".");
    if (v !== "v1" || !iv || !ct) throw new Error("not a sealed secret");
    try {
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: b64decode(iv) as Uint8Array<ArrayBuffer>, additionalData: enc.encode(aad) },
        this.key,
        b64decode(ct) as Uint8Array<ArrayBuffer>,
      );
      return dec.decode(plain);
    } catch {
      throw new Error("cannot decrypt a stored secret (was LIVEGATE_SECRET_KEY or data/secret.key changed?)");
    }
  }
}
