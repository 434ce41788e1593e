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
  /** Key of the quality ladder's per-stream credentials (ladderCredential; never sent anywhere itself). */
  ladder: string;
}

export const INTERNAL_USER = "livegate";

export async function makeSecrets(master = randomToken(32)): Promise<MtxSecrets> {
  return {
    hook: await sha256Hex(`hook:${master}`),
    cdn: await sha256Hex(`cdn:${master}`),
    internalUser: INTERNAL_USER,
    internalPass: await sha256Hex(`internal:${master}`),
    ladder: await sha256Hex(`ladder:${master}`),
  };
}

export function basicAuth(s: MtxSecrets): string {
  return "Basic " + btoa(`${s.internalUser}:${s.internalPass}`);
}

/** The user name of a quality ladder's ffmpeg at MediaMTX (src/ladder/). */
export const LADDER_USER = "livegate-ladder";

/**
 * The credential the quality ladder's ffmpeg of stream `path` presents to MediaMTX: it may read that
 * stream and publish its rung paths, nothing else (src/auth/hook.ts). It travels on ffmpeg's command line
 * (visible to local users in the process list), so it is scoped to one stream instead of being the
 * internal credential. Password: SHA-256 of the ladder key and the path.
 */
export async function ladderCredential(s: MtxSecrets, path: string): Promise<{ user: string; pass: string }> {
  return { user: LADDER_USER, pass: await sha256Hex(`${s.ladder}:${path}`) };
}
