// For MediaMTX run as its own service (LIVEGATE_MEDIAMTX_MANAGE=false, deploy/mediamtx.service):
//   livegate mediamtx env      the MTX_* environment livegate would give it (secrets derived from
//                              LIVEGATE_MTX_SECRET), as KEY=value lines for a systemd EnvironmentFile
//   livegate mediamtx config   the built-in mediamtx.yml (no secrets), e.g. from a compiled binary
import type { Config } from "../config/config.ts";
import { mediamtxEnv } from "../mediamtx/env.ts";
import { makeSecrets } from "../mediamtx/secrets.ts";
import { esc } from "./print.ts";

export const MEDIAMTX_USAGE =
  `  livegate mediamtx env                   MTX_* lines for a separately run MediaMTX (LIVEGATE_MTX_SECRET)
  livegate mediamtx config                print the mediamtx.yml livegate uses`;

export async function mediamtxCmd(
  cfg: Config,
  sub: string | undefined,
  env: Record<string, string | undefined>,
  out: (s: string) => void = (s) => console.log(s),
): Promise<number> {
  if (sub === "config") {
    try {
      out((await Deno.readTextFile(cfg.mediamtx.configFile)).replace(/\n$/, ""));
      return 0;
    } catch (e) {
      console.error(
        `livegate: LIVEGATE_MEDIAMTX_CONFIG: cannot read ${esc(cfg.mediamtx.configFile)}: ${
          esc((e as Error).message)
        }`,
      );
      return 1;
    }
  }
  if (sub === "env") {
    const master = env.LIVEGATE_MTX_SECRET ?? "";
    if (master.length < 32) {
      console.error(
        "livegate: LIVEGATE_MTX_SECRET must be set to the same random value (at least 32 characters, e.g. " +
          "`openssl rand -hex 32`) as in livegate's environment",
      );
      return 1;
    }
    const vars = mediamtxEnv(cfg, await makeSecrets(master));
    out("# MediaMTX environment for livegate (secret: keep this file private, mode 0600)");
    for (const [k, v] of Object.entries(vars)) out(`${k}=${v}`);
    return 0;
  }
  console.error(`livegate: unknown 'mediamtx ${esc(sub ?? "")}'; use 'mediamtx env' or 'mediamtx config'`);
  return 2;
}
