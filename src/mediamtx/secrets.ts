// Secrets shared between livegate and the MediaMTX it runs. Generated fresh at every start (or derived
// from LIVEGATE_MTX_SECRET when MediaMTX runs separately) and handed to MediaMTX only through MTX_*
// environment variables, never written to disk.
import { randomToken, sha256Hex } from "../core/crypto.ts";

export interface MtxSecrets {
  /** Path segment of the auth hook URL MediaMTX calls. */
  hook: string;
  /** hlsCDNSecret: livegate reads HLS as MediaMTX's "CDN", sharing one muxer session for all viewers. */
  cdn: string;
  /** Credential livegate presents for api/metrics/playback/read. */
  internalUser: string;
  internalPass: string;
}

export const INTERNAL_USER = "livegate";

export async function makeSecrets(master = randomToken(32)): Promise<MtxSecrets> {
  return {
    hook: await sha256Hex(`hook:${master}`),
    cdn: await sha256Hex(`cdn:${master}`),
    internalUser: INTERNAL_USER,
    internalPass: await sha256Hex(`internal:${master}`),
  };
}

export function basicAuth(s: MtxSecrets): string {
  return "Basic " + btoa(`${s.internalUser}:${s.internalPass}`);
}
