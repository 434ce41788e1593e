// Per-path recording exceptions (LIVEGATE_RECORD_PATHS), applied through MediaMTX's config API after
// every (re)start: each named path gets its own path configuration with `record` set, inheriting the
// rest from pathDefaults.
import { basicAuth } from "../mediamtx/secrets.ts";
import { mediamtxUrls } from "../mediamtx/env.ts";
import type { Config } from "../config/config.ts";
import type { MtxSecrets } from "../mediamtx/secrets.ts";

async function post(cfg: Config, secrets: MtxSecrets, op: "add" | "patch", name: string, body: unknown) {
  const res = await fetch(`${mediamtxUrls(cfg).api}/v3/config/paths/${op}/${encodeURIComponent(name)}`, {
    method: op === "add" ? "POST" : "PATCH",
    headers: { authorization: basicAuth(secrets), "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(3000),
  });
  const text = await res.text();
  return { ok: res.ok, status: res.status, text };
}

export async function applyRecordPaths(cfg: Config, secrets: MtxSecrets): Promise<void> {
  for (const [name, record] of Object.entries(cfg.recording.paths)) {
    let r = await post(cfg, secrets, "add", name, { record });
    if (!r.ok && /exist/i.test(r.text)) r = await post(cfg, secrets, "patch", name, { record });
    if (!r.ok) {
      throw new Error(`cannot set recording for path '${name}': MediaMTX answered ${r.status} ${r.text}`);
    }
  }
}
