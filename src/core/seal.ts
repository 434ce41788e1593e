// Secrets kept at rest encrypted: AES-256-GCM from WebCrypto (crypto.subtle), a fresh 96-bit IV per value,
// and the record's id as additional data so a sealed value cannot be moved to another record. The key comes
// from an environment variable (base64 of 32 bytes) or from a file in the data dir that is created once
// (mode 0600) when neither exists. Nothing here implements a primitive itself.
import { join } from "node:path";
import { b64decode, b64encode } from "./crypto.ts";

/** A sealed value as stored: base64 IV and base64 ciphertext (tag included). */
export interface Sealed {
  iv: string;
  data: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Seals and opens strings with one AES-256-GCM key. */
export class Sealer {
  constructor(readonly key: CryptoKey) {}

  /** Imports 32 raw key bytes; throws Error when there are not exactly 32. */
  static async fromBytes(raw: Uint8Array): Promise<Sealer> {
    if (raw.byteLength !== 32) throw new Error(`the key must be 32 bytes, got ${raw.byteLength}`);
    const key = await crypto.subtle.importKey("raw", raw as BufferSource, "AES-GCM", false, [
      "encrypt",
      "decrypt",
    ]);
    return new Sealer(key);
  }

  /** Encrypts `plain`, bound to `context` (e.g. a record id; AES-GCM additional data). */
  async seal(plain: string, context: string): Promise<Sealed> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: enc.encode(context) },
      this.key,
      enc.encode(plain),
    );
    return { iv: b64encode(iv), data: b64encode(new Uint8Array(data)) };
  }

  /** `plain` sealed as one string, "v1.<base64 iv>.<base64 ciphertext+tag>" (for a single record field). */
  async sealText(plain: string, context = ""): Promise<string> {
    const s = await this.seal(plain, context);
    return `v1.${s.iv}.${s.data}`;
  }

  /** The plain text of a sealText string. Throws Error when it is not one or does not decrypt. */
  async openText(sealed: string, context = ""): Promise<string> {
    const [v, iv, data] = sealed.split(".");
    if (v !== "v1" || !iv || !data) throw new Error("not a sealed secret");
    return await this.open({ iv, data }, context);
  }

  /**
   * Decrypts a sealed value for `context`. Throws Error "cannot decrypt" when the key, the context or the
   * bytes do not match (another key file, a value moved between records, a damaged record).
   */
  async open(s: Sealed, context: string): Promise<string> {
    try {
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: b64decode(s.iv) as BufferSource, additionalData: enc.encode(context) },
        this.key,
        b64decode(s.data) as BufferSource,
      );
      return dec.decode(plain);
    } catch {
      throw new Error("cannot decrypt (was the key changed?)");
    }
  }
}

/**
 * The sealing key: `envValue` (base64 of 32 bytes) when set, else the file `dataDir/fileName` (base64 of 32
 * bytes), created with 32 random bytes and mode 0600 when it does not exist. Throws Error naming the
 * variable or the file when the value is malformed or the file cannot be read or written.
 */
export async function loadSealer(
  opts: { envName: string; envValue?: string; dataDir: string; fileName: string },
): Promise<Sealer> {
  if (opts.envValue !== undefined && opts.envValue !== "") {
    const raw = b64decode(opts.envValue.trim());
    if (raw.byteLength !== 32) {
      throw new Error(`${opts.envName} must be the base64 of 32 bytes (e.g. from: openssl rand -base64 32)`);
    }
    return await Sealer.fromBytes(raw);
  }
  const file = join(opts.dataDir, opts.fileName);
  let text: string | undefined;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      throw new Error(`cannot read the key file ${file}: ${(e as Error).message}`);
    }
  }
  if (text === undefined) {
    const raw = crypto.getRandomValues(new Uint8Array(32));
    try {
      await Deno.mkdir(opts.dataDir, { recursive: true });
      // createNew: two processes starting at once never overwrite each other's key.
      await Deno.writeTextFile(file, b64encode(raw) + "\n", { mode: 0o600, createNew: true });
    } catch (e) {
      if (e instanceof Deno.errors.AlreadyExists) return loadSealer(opts);
      throw new Error(`cannot create the key file ${file}: ${(e as Error).message}`);
    }
    return await Sealer.fromBytes(raw);
  }
  const raw = b64decode(text.trim());
  if (raw.byteLength !== 32) throw new Error(`the key file ${file} does not hold the base64 of 32 bytes`);
  return await Sealer.fromBytes(raw);
}
