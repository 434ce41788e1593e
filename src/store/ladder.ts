// Quality-ladder settings per stream: ["ladder", path] -> LadderSettings (off by default: no record means
// off). The source is always the top rung, passed through; `rungs` are the renditions encoded from it,
// each published by livegate into MediaMTX as the hidden path <path>/<height>p (src/core/rungs.ts).
// Validation of the settings' shape lives here (400 with a message naming the field); what depends on the
// running source (a rung above the source's height) is checked by src/ladder/.
import { StoreError } from "../core/errors.ts";
import type { Store } from "./kv.ts";
import { type AuditInput, withAudit } from "./audit.ts";

/** One encoded rung: output height in lines (width follows the source's aspect) and video bitrate. */
export interface Rung {
  /** Lines, even, 144-2160. */
  height: number;
  /** Video bitrate, kbit/s, 50-50000. */
  kbps: number;
}

/** Which encoder the rungs use: x264 (software), a hardware encoder, or "auto" (hardware when found). */
export type EncoderChoice = "x264" | "auto" | "vaapi" | "nvenc" | "qsv";
export const ENCODER_CHOICES: EncoderChoice[] = ["x264", "auto", "vaapi", "nvenc", "qsv"];

export interface LadderSettings {
  enabled: boolean;
  /** Encoded rungs below the source, highest first (at most MAX_RUNGS). */
  rungs: Rung[];
  encoder: EncoderChoice;
  /**
   * Whether MediaMTX records the rung paths too (while the stream itself is recorded); off (absent in
   * settings stored before it existed): recordings keep the source only.
   */
  recordRungs?: boolean;
}

/** At most this many encoded rungs per stream (plus the source): each costs an encoder's CPU. */
export const MAX_RUNGS = 4;

/** Presets by name: the rung a preset name stands for (the source preset is the passed-through top). */
export const PRESETS: Record<string, Rung> = {
  "1080p": { height: 1080, kbps: 4500 },
  "720p": { height: 720, kbps: 2500 },
  "480p": { height: 480, kbps: 1200 },
  "360p": { height: 360, kbps: 700 },
  "240p": { height: 240, kbps: 400 },
  "180p": { height: 180, kbps: 250 },
};

export const DEFAULT_LADDER: LadderSettings = { enabled: false, rungs: [], encoder: "x264" };

const key = (path: string): Deno.KvKey => ["ladder", path];

function rungOf(r: unknown, i: number): Rung {
  if (typeof r === "string") {
    if (r === "source") {
      throw new StoreError(
        "invalid",
        "ladder.rungs: 'source' is always the top rung; list only the rungs below it",
      );
    }
    const p = PRESETS[r];
    if (!p) {
      throw new StoreError(
        "invalid",
        `ladder.rungs[${i}]: unknown preset '${r.slice(0, 20)}' (one of ${Object.keys(PRESETS).join(", ")})`,
      );
    }
    return { ...p };
  }
  if (!r || typeof r !== "object" || Array.isArray(r)) {
    throw new StoreError("invalid", `ladder.rungs[${i}] must be a preset name or {height, kbps}`);
  }
  const o = r as Record<string, unknown>;
  const h = o.height;
  const b = o.kbps;
  if (typeof h !== "number" || !Number.isInteger(h) || h < 144 || h > 2160 || h % 2 !== 0) {
    throw new StoreError(
      "invalid",
      `ladder.rungs[${i}].height must be an even number of lines from 144 to 2160`,
    );
  }
  if (typeof b !== "number" || !Number.isFinite(b) || b <= 0) {
    throw new StoreError("invalid", `ladder.rungs[${i}].kbps must be a positive bitrate in kbit/s`);
  }
  if (!Number.isInteger(b) || b < 50 || b > 50_000) {
    throw new StoreError("invalid", `ladder.rungs[${i}].kbps must be a whole number from 50 to 50000 kbit/s`);
  }
  return { height: h, kbps: b };
}

/**
 * Checks a ladder patch from JSON (`{enabled?, rungs?, encoder?, recordRungs?}`, rungs as preset names or
 * {height, kbps}) on top of `cur`; returns the settings to store, rungs sorted highest first. Throws
 * StoreError "invalid" (400) naming the field: unknown preset, odd/out-of-range height, zero or negative
 * bitrate, more than MAX_RUNGS rungs, two rungs of one height, unknown encoder.
 */
export function validateLadder(p: unknown, cur: LadderSettings = DEFAULT_LADDER): LadderSettings {
  if (!p || typeof p !== "object" || Array.isArray(p)) {
    throw new StoreError("invalid", "ladder must be an object {enabled, rungs, encoder}");
  }
  const o = p as Record<string, unknown>;
  const out: LadderSettings = { ...cur, rungs: [...cur.rungs] };
  for (const k of Object.keys(o)) {
    if (!["enabled", "rungs", "encoder", "recordRungs"].includes(k)) {
      throw new StoreError(
        "invalid",
        `ladder: unknown field '${k.slice(0, 20)}' (enabled, rungs, encoder, recordRungs)`,
      );
    }
  }
  if (o.enabled !== undefined) {
    if (typeof o.enabled !== "boolean") {
      throw new StoreError("invalid", "ladder.enabled must be true or false");
    }
    out.enabled = o.enabled;
  }
  if (o.rungs !== undefined) {
    if (!Array.isArray(o.rungs)) throw new StoreError("invalid", "ladder.rungs must be a list");
    if (o.rungs.length > MAX_RUNGS) {
      throw new StoreError(
        "invalid",
        `ladder.rungs: at most ${MAX_RUNGS} rungs below the source (got ${o.rungs.length})`,
      );
    }
    const rungs = o.rungs.map(rungOf).sort((a, b) => b.height - a.height);
    for (let i = 1; i < rungs.length; i++) {
      if (rungs[i].height === rungs[i - 1].height) {
        throw new StoreError("invalid", `ladder.rungs: two rungs of ${rungs[i].height} lines`);
      }
    }
    out.rungs = rungs;
  }
  if (o.encoder !== undefined) {
    if (!ENCODER_CHOICES.includes(o.encoder as EncoderChoice)) {
      throw new StoreError("invalid", `ladder.encoder must be one of ${ENCODER_CHOICES.join(", ")}`);
    }
    out.encoder = o.encoder as EncoderChoice;
  }
  if (o.recordRungs !== undefined) {
    if (typeof o.recordRungs !== "boolean") {
      throw new StoreError("invalid", "ladder.recordRungs must be true or false");
    }
    out.recordRungs = o.recordRungs;
  }
  if (out.enabled && out.rungs.length === 0) {
    throw new StoreError("invalid", "ladder: turning the ladder on needs at least one rung below the source");
  }
  return out;
}

/** The stream's ladder settings (DEFAULT_LADDER, off, when none were stored). */
export async function getLadder(db: Store, path: string): Promise<LadderSettings> {
  return (await db.kv.get<LadderSettings>(key(path))).value ?? { ...DEFAULT_LADDER, rungs: [] };
}

/** Every stored ladder by stream path. */
export async function listLadders(db: Store): Promise<Map<string, LadderSettings>> {
  const out = new Map<string, LadderSettings>();
  for await (const e of db.kv.list<LadderSettings>({ prefix: ["ladder"] })) {
    out.set(e.key[1] as string, e.value);
  }
  return out;
}

/**
 * Stores the stream's ladder settings (already validated) while the stream record exists; announces
 * { kind: "ladder", path }. Throws StoreError not_found (no stream), conflict (changed 20 times meanwhile).
 */
export async function setLadder(
  db: Store,
  path: string,
  settings: LadderSettings,
  audit?: AuditInput,
): Promise<LadderSettings> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const s = await db.kv.get(["streams", path]);
    if (!s.value) throw new StoreError("not_found", `no stream '${path}'`);
    const res = await withAudit(db.kv.atomic().check(s).set(key(path), settings), audit).commit();
    if (res.ok) {
      db.changes.emit({ kind: "ladder", path });
      return settings;
    }
  }
  throw new StoreError("conflict", `stream '${path}' is being changed by others; try again`);
}
