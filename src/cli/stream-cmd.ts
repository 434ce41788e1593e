// `livegate stream add|set|list|del` and `livegate user role|disable|enable`: the dashboard's stream and user
// settings from the command line (audited as actor "cli").
import {
  createStream,
  deleteStream,
  listStreams,
  updateStream,
  validatePatch,
  validateStreamPath,
} from "../store/streams.ts";
import { listKeys } from "../store/keys.ts";
import { updateUser, validateUserPatch } from "../store/users.ts";
import type { AuditInput } from "../store/audit.ts";
import type { Store } from "../store/kv.ts";
import { StoreError } from "../core/errors.ts";
import { esc, row } from "./print.ts";

export const STREAM_USAGE =
  `  livegate stream add PATH [--title T] [--visibility private|public|unlisted] [--owner USER] [--allow a,b]
  livegate stream set PATH [--title T] [--visibility V] [--owner USER|""] [--allow a,b|""]
  livegate stream list
  livegate stream del PATH                also revokes its keys and share links
  livegate user role NAME admin|streamer|viewer
  livegate user disable|enable NAME       disabling ends the user's sessions`;

export const STREAM_FLAGS = ["title", "visibility", "owner", "allow"];

const audit = (action: string, target: string, detail?: string): AuditInput => ({
  actor: "cli",
  action,
  target,
  ...(detail ? { detail } : {}),
});

function patchFrom(flags: Record<string, string | true>) {
  const raw: Record<string, unknown> = {};
  for (const f of STREAM_FLAGS) {
    const v = flags[f];
    if (v === true) throw new StoreError("invalid", `--${f} needs a value`);
    if (typeof v === "string") raw[f] = f === "allow" ? v.split(/[\s,]+/).filter(Boolean) : v;
  }
  return validatePatch(raw);
}

export async function streamCmd(
  kv: Store,
  sub: string | undefined,
  path: string | undefined,
  flags: Record<string, string | true>,
  out: (s: string) => void = console.log,
): Promise<number> {
  if (sub === "list") {
    const keys = await listKeys(kv);
    for (const s of await listStreams(kv)) {
      const n = keys.filter((k) => k.path === s.path).length;
      const fields = [s.path, s.visibility, `owner ${s.owner ?? "-"}`, `${n} key(s)`, s.title];
      if (s.allow.length) fields.push(`allow ${s.allow.join(",")}`);
      out(row(...fields));
    }
    return 0;
  }
  if (!path) throw new StoreError("invalid", `stream ${sub ?? ""} needs a PATH`);
  if (sub === "add") {
    validateStreamPath(path);
    const s = await createStream(kv, path, patchFrom(flags), audit("stream.create", path));
    out(`created stream '${esc(s.path)}' (${esc(s.visibility)}${s.owner ? `, owner ${esc(s.owner)}` : ""})`);
    return 0;
  }
  if (sub === "set") {
    const patch = patchFrom(flags);
    if (Object.keys(patch).length === 0) {
      throw new StoreError("invalid", "nothing to change: give --title, --visibility, --owner or --allow");
    }
    const { stream, revokedShares } = await updateStream(kv, path, patch, {
      audit: audit("stream.update", path),
    });
    out(
      `updated stream '${esc(stream.path)}' (${esc(stream.visibility)}${
        stream.owner ? `, owner ${esc(stream.owner)}` : ""
      })${revokedShares ? `; revoked its ${revokedShares} share link(s) (no longer unlisted)` : ""}`,
    );
    return 0;
  }
  if (sub === "del") {
    await deleteStream(kv, path, audit("stream.delete", path));
    out(`deleted stream '${esc(path)}' with its keys and share links`);
    return 0;
  }
  throw new StoreError("invalid", `unknown 'stream ${sub ?? ""}'; see livegate --help`);
}

/** `user role NAME ROLE`, `user disable NAME`, `user enable NAME`. */
export async function userAdminCmd(
  kv: Store,
  sub: "role" | "disable" | "enable",
  name: string,
  role: string | undefined,
  out: (s: string) => void = console.log,
): Promise<number> {
  const patch = validateUserPatch(sub === "role" ? { role: role ?? "" } : { disabled: sub === "disable" });
  const { user } = await updateUser(kv, name, patch, {
    audit: audit("user.update", name, sub === "role" ? `role=${role}` : sub),
  });
  out(`user '${esc(user.name)}': ${esc(user.role)}${user.disabled ? ", disabled (sessions ended)" : ""}`);
  return 0;
}
