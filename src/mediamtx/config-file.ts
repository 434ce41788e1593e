// The mediamtx.yml path handed to MediaMTX. A `deno compile` binary carries the default mediamtx.yml in its
// embedded file system, which only livegate itself can read: MediaMTX, a separate process, needs a real
// file. Then the embedded file is written (it holds no secrets) into the data dir at every start.
import { join, sep } from "node:path";
import { APP_ROOT, type Config } from "../config/config.ts";

export const WRITTEN_CONFIG = "mediamtx.yml";

const HEADER =
  "# Written by livegate at start from the mediamtx.yml built into its binary; edits here are\n" +
  "# overwritten. To change it, copy this file elsewhere and set LIVEGATE_MEDIAMTX_CONFIG to the copy.\n";

/** True when `file` lies inside the application's own tree (embedded in a compiled binary). */
export function isInsideAppRoot(file: string, root = APP_ROOT): boolean {
  return file === root || file.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Returns the config file MediaMTX should read. From a compiled binary (`standalone`) with the built-in
 * config, that is a copy in the data dir; otherwise the configured file itself.
 */
export async function mediamtxConfigPath(
  cfg: Config,
  standalone: boolean = Deno.build.standalone,
  root = APP_ROOT,
): Promise<string> {
  const file = cfg.mediamtx.configFile;
  if (!standalone || !isInsideAppRoot(file, root)) return file;
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    throw new Error(`config: LIVEGATE_MEDIAMTX_CONFIG: cannot read ${file}: ${(e as Error).message}`);
  }
  const out = join(cfg.dataDir, WRITTEN_CONFIG);
  const tmp = `${out}.tmp-${crypto.randomUUID()}`;
  await Deno.writeTextFile(tmp, HEADER + text, { mode: 0o644 });
  await Deno.rename(tmp, out);
  return out;
}
