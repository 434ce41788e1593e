// API tokens as credentials: reading `Authorization: Bearer lgt_…` (RFC 6750 section 2.1; the scheme is
// case-insensitive, RFC 9110 section 11.1) and turning a presented token into the door's `token` actor
// (src/auth/access.ts), or into a refusal with the reason a client can act on. The records live in
// src/store/tokens.ts; what each scope allows is a rule of src/auth/permissions.ts (tokenScopeDenial).
// Lookups are not cached: a revoked token is refused on its very next request.
import type { Store } from "../store/kv.ts";
import { type ApiToken, findToken, touchToken } from "../store/tokens.ts";
import { getUser, type User } from "../store/users.ts";

/** A token-like credential: RFC 6750 b64token, at most 200 characters. */
const BEARER_RE = /^bearer[ \t]+([A-Za-z0-9._~+\/-]{1,200}=*)[ \t]*$/i;

/**
 * The bearer credential of an Authorization header value: `{ token }`, `{ error }` for a Bearer header
 * that is malformed, or null when the header is absent or uses another scheme (e.g. Basic).
 */
export function parseBearer(header: string | null | undefined): { token: string } | { error: string } | null {
  if (!header) return null;
  if (!/^bearer(?:[ \t]|$)/i.test(header)) return null;
  const m = BEARER_RE.exec(header);
  return m ? { token: m[1] } : { error: "malformed Authorization header: send 'Bearer <token>'" };
}

/** Why a presented token is refused (401 messages). */
export const TOKEN_REFUSALS = {
  invalid: "invalid or revoked API token",
  expired: "this API token has expired",
  user: "this API token's user no longer exists or is disabled",
} as const;

/**
 * The token and its user for a presented API token, read fresh from the store, or the 401 reason.
 * Records the token's last use (at most once a minute). `now` in ms.
 */
export async function resolveApiToken(
  store: Store,
  presented: string,
  now: number,
): Promise<{ token: ApiToken; user: User } | { error: string }> {
  const r = await findToken(store, presented, now);
  if ("refused" in r) return { error: TOKEN_REFUSALS[r.refused] };
  const user = await getUser(store, r.token.user);
  if (!user || user.disabled) return { error: TOKEN_REFUSALS.user };
  await touchToken(store, r.token, now);
  return { token: r.token, user };
}
