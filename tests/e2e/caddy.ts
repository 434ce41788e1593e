// Debian's real Caddy running the repository's top-level Caddyfile, for tests: test-only global options
// (internal CA without installing it, high ports, a temp data dir, no admin API) followed by the shipped
// site block as it is. Used by tests/e2e/caddy_test.ts and tests/hardening/caddy_log_test.ts.
import { join } from "node:path";
import { freePort, needTool, ROOT, waitFor } from "./harness.ts";

export interface Caddy {
  https: string;
  http: string;
  client: Deno.HttpClient;
  logs: string[];
  stop(): Promise<void>;
}

/** Starts Caddy in front of `upstream` (host:port) with its files in `dir`; ready once HTTPS answers /health. */
export async function startCaddy(dir: string, upstream: string): Promise<Caddy> {
  const httpPort = freePort();
  const httpsPort = freePort();
  const storage = join(dir, "caddy-data");
  // Test-only global options, then the shipped site block as it is.
  const conf = join(dir, "Caddyfile.test");
  await Deno.writeTextFile(
    conf,
    `{
	admin off
	local_certs
	skip_install_trust
	http_port ${httpPort}
	https_port ${httpsPort}
	storage file_system {
		root ${storage}
	}
}
import ${join(ROOT, "Caddyfile")}
`,
  );
  const proc = new Deno.Command(needTool("caddy"), {
    args: ["run", "--config", conf, "--adapter", "caddyfile"],
    env: {
      LIVEGATE_DOMAIN: "localhost",
      LIVEGATE_UPSTREAM: upstream,
      HOME: dir,
      XDG_DATA_HOME: join(dir, "xdg-data"),
      XDG_CONFIG_HOME: join(dir, "xdg-config"),
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const logs: string[] = [];
  const pump = async (s: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const b of s) {
      const l = dec.decode(b, { stream: true });
      logs.push(l);
      if (Deno.env.get("E2E_VERBOSE")) console.log(`  caddy| ${l.trimEnd()}`);
    }
  };
  const pumps = [pump(proc.stdout), pump(proc.stderr)];
  const stop = async () => {
    try {
      proc.kill("SIGTERM");
    } catch { /* gone */ }
    await proc.status;
    await Promise.allSettled(pumps);
  };
  try {
    const root = await waitFor("Caddy's internal root certificate", async () => {
      try {
        return await Deno.readTextFile(join(storage, "pki", "authorities", "local", "root.crt"));
      } catch {
        return undefined;
      }
    }, 20_000);
    const client = Deno.createHttpClient({ caCerts: [root] });
    const https = `https://localhost:${httpsPort}`;
    await waitFor("Caddy serving HTTPS", async () => {
      const r = await fetch(`${https}/health`, { client });
      const t = await r.text();
      return r.status === 200 && t === "OK" ? true : undefined;
    }, 20_000);
    return { https, http: `http://localhost:${httpPort}`, client, logs, stop };
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\ncaddy log:\n${logs.join("")}`);
  }
}
