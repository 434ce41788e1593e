// livegate command line: `serve` (default), `user add|passwd|del|list`, `key create|list|revoke`.
import { loadConfig } from "./src/config/config.ts";
import { runCli } from "./src/cli/cli.ts";

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args, loadConfig));
}
