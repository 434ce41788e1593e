// Short secrets sealed as one string (credentials in a pulled source's URL): the one AES-256-GCM sealer of
// src/core/seal.ts, in its "v1.<iv>.<ciphertext>" text form. Nothing here implements a primitive itself.
import { Sealer } from "./seal.ts";

/** Seals and opens short secrets as strings with one AES-GCM key (src/core/seal.ts). */
export class SecretBox {
  constructor(readonly sealer: Sealer) {}

  /** A box over 32 raw key bytes. Throws an Error when `raw` is not 32 bytes long. */
  static async fromRaw(raw: Uint8Array): Promise<SecretBox> {
    return new SecretBox(await Sealer.fromBytes(raw));
  }

  /** `plain` encrypted and authenticated; `aad` (e.g. the record's key) is bound to it but not stored. */
  seal(plain: string, aad = ""): Promise<string> {
    return this.sealer.sealText(plain, aad);
  }

  /** The plain text of `sealed`. Throws an Error when it was not sealed with this key and `aad`. */
  open(sealed: string, aad = ""): Promise<string> {
    return this.sealer.openText(sealed, aad);
  }
}
