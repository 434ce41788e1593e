// Records of clips, thumbnails and the per-stream clip setting (issue #22). The media themselves live as
// files under the data dir (src/clips/files.ts); KV holds what they are:
//   ["clips", id]                 -> Clip          one clip (its MP4 is DATA_DIR/clips/<id>.mp4)
//   ["clips_by_path", path, id]   -> created (ms)  index: the clips of a stream
//   ["thumbs", path]              -> Thumb         the stream's latest still (DATA_DIR/thumbs/<path>.jpg)
//   ["clip_settings", path]       -> ClipSettings  who may clip the stream (absent: the default)
// Every write emits a Change of kind "clip" or "clip_settings" (src/core/changes.ts). Thumbnail updates are
// not announced: nothing cached depends on them, and they happen every few seconds per live stream.
import { StoreError } from "../core/errors.ts";
import { randomToken } from "../core/crypto.ts";
import { NAME_RE, type Store } from "./kv.ts";
import { type AuditInput, withAudit } from "./audit.ts";
import { checkText } from "./text.ts";

export interface Clip {
  /** Random id (URL-safe, 16 characters). */
  id: string;
  /** The stream path it was cut from. */
  path: string;
  title: string;
  /** RFC 3339 start of the cut range (as asked; the MP4 begins at the keyframe before it, hidden by an edit list). */
  start: string;
  /** Seconds asked for. */
  duration: number;
  /** Size of the MP4 file in bytes. */
  bytes: number;
  /** User name of who cut it. */
  createdBy: string;
  /** Milliseconds since the epoch. */
  created: number;
}

export interface Thumb {
  /** When the still was taken (ms since the epoch). */
  at: number;
  /** JPEG size in bytes. */
  bytes: number;
}

/**
 * Who may cut clips of a stream (besides admins and the owner, who always may):
 *   moderators  the stream's moderators (today the same people as "manage": the owner and admins)
 *   viewers     also every logged-in user who may see the stream's recordings
 */
export type ClipPolicy = "moderators" | "viewers";
export const CLIP_POLICIES: ClipPolicy[] = ["moderators", "viewers"];

export interface ClipSettings {
  clipBy: ClipPolicy;
}

export const DEFAULT_CLIP_SETTINGS: ClipSettings = { clipBy: "moderators" };

const ID_RE = /^[A-Za-z0-9_-]{16}$/;

/** Whether `id` has the shape of a clip id (anything else is 404 without a lookup). */
export function isClipId(id: string): boolean {
  return ID_RE.test(id);
}

/** A new clip id. */
export function newClipId(): string {
  return randomToken(12);
}

/** A clip title from user input: trimmed, at most 200 characters, no control characters (throws StoreError invalid). */
export function validateClipTitle(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") throw new StoreError("invalid", "title must be a string");
  return checkText(v.trim(), "title", 200);
}

export async function getClip(db: Store, id: string): Promise<Clip | null> {
  if (!isClipId(id)) return null;
  return (await db.kv.get<Clip>(["clips", id])).value;
}

/** The clips of a stream, newest first (at most `limit`). */
export async function listClips(db: Store, path: string, limit = 200): Promise<Clip[]> {
  if (!NAME_RE.test(path)) return [];
  const ids: string[] = [];
  for await (const e of db.kv.list<number>({ prefix: ["clips_by_path", path] })) ids.push(e.key[2] as string);
  const out: Clip[] = [];
  for (let i = 0; i < ids.length; i += 10) {
    const got = await db.kv.getMany<Clip[]>(ids.slice(i, i + 10).map((id) => ["clips", id]));
    for (const g of got) if (g.value) out.push(g.value);
  }
  return out.sort((a, b) => b.created - a.created).slice(0, limit);
}

/** Every clip (for the size accounting at start and the admin's view). */
export async function allClips(db: Store): Promise<Clip[]> {
  const out: Clip[] = [];
  for await (const e of db.kv.list<Clip>({ prefix: ["clips"] })) out.push(e.value);
  return out;
}

/** Saves a new clip record (its file is already in place). Throws StoreError conflict when the id exists. */
export async function addClip(db: Store, clip: Clip, audit?: AuditInput): Promise<void> {
  const op = db.kv.atomic().check({ key: ["clips", clip.id], versionstamp: null })
    .set(["clips", clip.id], clip).set(["clips_by_path", clip.path, clip.id], clip.created);
  const res = await withAudit(op, audit).commit();
  if (!res.ok) throw new StoreError("conflict", `clip '${clip.id}' already exists`);
  db.changes.emit({ kind: "clip", path: clip.path, id: clip.id, op: "create" });
}

/** Deletes a clip record; returns it, or null when it did not exist. */
export async function removeClip(db: Store, id: string, audit?: AuditInput): Promise<Clip | null> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const cur = await db.kv.get<Clip>(["clips", id]);
    if (!cur.value) return null;
    const op = db.kv.atomic().check(cur).delete(["clips", id]).delete(["clips_by_path", cur.value.path, id]);
    if ((await withAudit(op, audit).commit()).ok) {
      db.changes.emit({ kind: "clip", path: cur.value.path, id, op: "delete" });
      return cur.value;
    }
  }
  throw new StoreError("conflict", `clip '${id}' is being changed by others; try again`);
}

/** The stream's clip setting (the default when none was saved). */
export async function getClipSettings(db: Store, path: string): Promise<ClipSettings> {
  if (!NAME_RE.test(path)) return DEFAULT_CLIP_SETTINGS;
  return (await db.kv.get<ClipSettings>(["clip_settings", path])).value ?? DEFAULT_CLIP_SETTINGS;
}

/** Checks a settings body from JSON; throws StoreError invalid naming the field. */
export function validateClipSettings(v: Record<string, unknown>): ClipSettings {
  if (!CLIP_POLICIES.includes(v.clipBy as ClipPolicy)) {
    throw new StoreError("invalid", `clipBy must be one of ${CLIP_POLICIES.join(", ")}`);
  }
  return { clipBy: v.clipBy as ClipPolicy };
}

export async function setClipSettings(
  db: Store,
  path: string,
  s: ClipSettings,
  audit?: AuditInput,
): Promise<void> {
  const res = await withAudit(db.kv.atomic().set(["clip_settings", path], s), audit).commit();
  if (!res.ok) throw new StoreError("conflict", "could not save the clip setting; try again");
  db.changes.emit({ kind: "clip_settings", path });
}

export async function getThumb(db: Store, path: string): Promise<Thumb | null> {
  if (!NAME_RE.test(path)) return null;
  return (await db.kv.get<Thumb>(["thumbs", path])).value;
}

export async function putThumb(db: Store, path: string, t: Thumb): Promise<void> {
  await db.kv.set(["thumbs", path], t);
}

export async function dropThumb(db: Store, path: string): Promise<void> {
  await db.kv.delete(["thumbs", path]);
}

/** Every stored still, by path. */
export async function allThumbs(db: Store): Promise<Map<string, Thumb>> {
  const out = new Map<string, Thumb>();
  for await (const e of db.kv.list<Thumb>({ prefix: ["thumbs"] })) out.set(e.key[1] as string, e.value);
  return out;
}
