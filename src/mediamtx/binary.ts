// Finds the MediaMTX executable: MEDIAMTX_BIN / config, next to the livegate binary, on PATH, or in the
// cache that scripts/install-mediamtx.sh fills.
import { delimiter, dirname, join } from "node:path";
import { ConfigError, ENV } from "../config/config.ts";
import { MEDIAMTX_VERSION } from "./version.ts";

function isExecutable(p: string): boolean {
  try {
    const st = Deno.statSync(p);
    return st.isFile && ((st.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

export function findMediamtx(
  configured: string,
  env = Deno.env.toObject(),
  execPath = Deno.execPath(),
): string {
  if (configured) {
    if (!isExecutable(configured)) {
      throw new ConfigError(ENV.mediamtxBin, `${configured} is not an executable file`);
    }
    return configured;
  }
  const candidates = [join(dirname(execPath), "mediamtx")];
  for (const dir of (env.PATH ?? "").split(delimiter)) if (dir) candidates.push(join(dir, "mediamtx"));
  const cache = env.LIVEGATE_CACHE ?? join(env.HOME ?? "/root", ".cache", "livegate");
  candidates.push(join(cache, "mediamtx", MEDIAMTX_VERSION, "mediamtx"));
  for (const c of candidates) if (isExecutable(c)) return c;
  throw new ConfigError(
    ENV.mediamtxBin,
    `MediaMTX ${MEDIAMTX_VERSION} not found (looked next to livegate, on PATH and in ${cache}). ` +
      `Install it with scripts/install-mediamtx.sh, put 'mediamtx' on PATH, or set ${ENV.mediamtxBin}.`,
  );
}
