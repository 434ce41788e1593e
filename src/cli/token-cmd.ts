// `livegate token …`: personal API tokens from the command line (create prints the secret once, list,
// revoke). Writes the same records as the dashboard (src/store/tokens.ts); a token made here for a user
// acts exactly as one the user made (its user's rights, narrowed by its scopes).
import type { Store } from "../store/kv.ts";
import { StoreError } from "../core/errors.ts";
import { createToken, listTokens, parseTokenTtl, revokeToken, validateScopes } from "../store/tokens.ts";
import { esc, row } from "./print.ts";

export const TOKEN_USAGE =
  `  livegate token create USER [--name LABEL] [--scopes read,streams,admin] [--expires 30d]
                                           API token for USER (printed once; default read, 30 days)
  livegate token list [USER]
  livegate token revoke ID`;

/** Flags of the token commands that take a value. */
export const TOKEN_FLAGS = ["scopes", "expires"];

/** Runs `token SUB ARG`; returns the exit code. Throws StoreError for bad input. */
export async function tokenCmd(
  kv: Store,
  sub: string | undefined,
  arg: string | undefined,
  flags: Record<string, string | true>,
): Promise<number> {
  if (sub === "create") {
    if (!arg) throw new StoreError("invalid", "token create needs a USER");
    const scopes = validateScopes(typeof flags.scopes === "string" ? flags.scopes : "read");
    const ttlS = parseTokenTtl(typeof flags.expires === "string" ? flags.expires : undefined);
    const { token, meta } = await createToken(kv, arg, {
      name: typeof flags.name === "string" ? flags.name : "cli",
      scopes,
      ttlS,
      audit: { actor: "cli", action: "token.create", target: arg, detail: scopes.join(",") },
    });
    console.log(
      `token ${esc(meta.id)} for '${esc(arg)}' (${scopes.join(", ")}; expires ${
        new Date(meta.expiresAt).toISOString()
      }), shown once:`,
    );
    console.log(token);
    console.log(`use: curl -H "Authorization: Bearer ${token}" …/api/me`);
    return 0;
  }
  if (sub === "list") {
    for (const t of await listTokens(kv, arg)) {
      const used = t.lastUsed ? new Date(t.lastUsed).toISOString() : "never";
      console.log(
        row(
          t.id,
          t.user,
          t.name,
          t.scopes.join(","),
          `expires ${new Date(t.expiresAt).toISOString()}`,
          `last used ${used}`,
        ),
      );
    }
    return 0;
  }
  if (sub === "revoke") {
    if (!arg) throw new StoreError("invalid", "token revoke needs an ID (see token list)");
    const t = await revokeToken(kv, null, arg, { actor: "cli", action: "token.revoke", target: arg });
    console.log(`revoked token ${esc(t.id)} of '${esc(t.user)}'`);
    return 0;
  }
  throw new StoreError("invalid", `unknown 'token ${sub ?? ""}'; see livegate --help`);
}
