// Signing in with OpenID Connect providers, as a relying party built on openid-client (a certified RP
// library; no protocol code here): discovery of each configured issuer, the authorization code flow with
// PKCE (S256), state and nonce, ID token checks (issuer, audience, nonce, expiry, and its signature against
// the provider's JWKS: enableNonRepudiationChecks), claims -> livegate role, and the account a sign-in
// lands on (linked, created on first sign-in, or only existing users). The HTTP side (redirects, cookies,
// the session) is src/web/oidc-routes.ts; records are src/store/identities.ts.
//
// Every failure is an HttpError with a message a person can act on: 401 for a sign-in that does not check
// out (wrong state or nonce, expired or replayed code, token for another client or signed by another key),
// 403 when no account may be used, 502 when the provider cannot be reached or answers nonsense.
import * as client from "openid-client";
import type { Clock } from "../core/clock.ts";
import { randomToken, sha256Hex } from "../core/crypto.ts";
import { HttpError, StoreError } from "../core/errors.ts";
import type { Log } from "../core/log.ts";
import { NAME_RE } from "../core/names.ts";
import type { OidcConfig, OidcProviderConfig } from "../config/sso-config.ts";
import type { Store } from "../store/kv.ts";
import { addUser, getUser, type Role, updateUser, type User } from "../store/users.ts";
import {
  findIdentity,
  linkIdentity,
  type OidcTransaction,
  saveTransaction,
  takeTransaction,
} from "../store/identities.ts";

/** How long discovery, token and JWKS requests to a provider may take (s). */
const PROVIDER_TIMEOUT_S = 8;

/** The result of a finished sign-in. */
export interface OidcSignIn {
  user: User;
  provider: OidcProviderConfig;
  idToken: string;
  next: string;
  /** A logged-in user linked their account (no new session needed). */
  linked: boolean;
}

/**
 * The role `claims` map to for provider `p`: admin when `roleClaim` (a dotted path, e.g. "groups" or
 * "realm_access.roles"; a string or a list of strings) holds one of adminValues, else streamer for one of
 * streamerValues, else defaultRole.
 */
export function mapRole(claims: Record<string, unknown>, p: OidcProviderConfig): Role {
  let v: unknown = claims;
  for (const part of p.roleClaim.split(".")) {
    v = v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>)[part] : undefined;
  }
  const values = Array.isArray(v) ? v.filter((x) => typeof x === "string") : typeof v === "string" ? [v] : [];
  if (values.some((x) => p.adminValues.includes(x))) return "admin";
  if (values.some((x) => p.streamerValues.includes(x))) return "streamer";
  return p.defaultRole;
}

/** A livegate user name from the provider's claims (usernameClaim, else email's local part, else a hash). */
export async function nameFromClaims(
  claims: Record<string, unknown>,
  p: OidcProviderConfig,
): Promise<string> {
  const raw = claims[p.usernameClaim] ?? (typeof claims.email === "string" ? claims.email.split("@")[0] : "");
  const clean = String(raw ?? "").replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^[.-]+/, "").slice(0, 56);
  if (clean && NAME_RE.test(clean)) return clean;
  return `${p.id}-${(await sha256Hex(String(claims.sub))).slice(0, 10)}`;
}

/** Whether an error of openid-client is the provider being unreachable or answering garbage. */
function unreachable(e: unknown): boolean {
  const m = e instanceof Error ? `${e.name} ${e.message} ${(e.cause as Error)?.message ?? ""}` : String(e);
  return /fetch failed|ECONNREFUSED|connection refused|timed? ?out|AbortError|TimeoutError|network|dns|ENOTFOUND/i
    .test(m);
}

/** One per app (composition root). */
export class Oidc {
  readonly #cfg: OidcConfig;
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #log: Log;
  /** Discovered configurations by provider id (dropped again when discovery failed). */
  readonly #configs = new Map<string, Promise<client.Configuration>>();

  constructor(deps: { cfg: OidcConfig; store: Store; clock: Clock; log: Log }) {
    this.#cfg = deps.cfg;
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#log = deps.log;
  }

  /** The configured providers (for the login page's buttons). */
  get providers(): OidcProviderConfig[] {
    return this.#cfg.providers;
  }

  /** The provider with `id`; HttpError 404 when there is none. */
  provider(id: string): OidcProviderConfig {
    const p = this.#cfg.providers.find((x) => x.id === id);
    if (!p) throw new HttpError(404, "no such sign-in provider");
    return p;
  }

  /** The provider's discovered configuration. HttpError 502 when it cannot be reached or is inconsistent. */
  async configuration(p: OidcProviderConfig): Promise<client.Configuration> {
    let c = this.#configs.get(p.id);
    if (!c) {
      const insecure = new URL(p.issuer).protocol === "http:"; // loopback only (sso-config.ts)
      c = client.discovery(
        new URL(p.issuer),
        p.clientId,
        { client_secret: p.clientSecret || undefined },
        p.clientSecret ? client.ClientSecretBasic(p.clientSecret) : client.None(),
        { execute: insecure ? [client.allowInsecureRequests] : [], timeout: PROVIDER_TIMEOUT_S },
      ).then((conf) => {
        client.enableNonRepudiationChecks(conf); // check the ID token's signature too (provider's JWKS)
        return conf;
      });
      this.#configs.set(p.id, c);
      c.catch(() => this.#configs.delete(p.id));
    }
    try {
      return await c;
    } catch (e) {
      this.#log(`[livegate] sign-in provider '${p.id}': discovery failed: ${(e as Error).message}`);
      throw new HttpError(
        502,
        unreachable(e)
          ? `${p.name} cannot be reached right now; try again later or use another way to log in`
          : `${p.name} is not set up correctly (its discovery document does not match the configured issuer)`,
      );
    }
  }

  /**
   * Starts a sign-in: a new state, nonce and PKCE verifier kept in the store for 10 minutes, and the
   * provider's authorization URL to send the browser to. Returns both; the route binds `state` to the
   * browser with a cookie. Throws HttpError 404/502.
   */
  async begin(
    id: string,
    redirectUri: string,
    next: string,
    linkUser?: string,
  ): Promise<{ url: string; state: string }> {
    const p = this.provider(id);
    const conf = await this.configuration(p);
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const tx: OidcTransaction = { provider: p.id, codeVerifier, nonce, next, created: this.#clock.now() };
    if (linkUser) tx.linkUser = linkUser;
    await saveTransaction(this.#store, state, tx);
    const url = client.buildAuthorizationUrl(conf, {
      redirect_uri: redirectUri,
      scope: p.scopes.join(" "),
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: "S256",
      state,
      nonce,
    });
    return { url: url.href, state };
  }

  /**
   * Finishes a sign-in at the callback: `callbackUrl` is the URL the provider sent the browser to,
   * `boundState` the state this browser started with (cookie). Takes the transaction (single use),
   * redeems the code with the verifier, checks the ID token, and finds or creates the account.
   * Throws HttpError 400 / 401 / 403 / 502 (see the header).
   */
  async finish(id: string, callbackUrl: URL, boundState: string | undefined): Promise<OidcSignIn> {
    const p = this.provider(id);
    const q = callbackUrl.searchParams;
    const state = q.get("state") ?? "";
    if (q.get("error")) {
      const why = (q.get("error_description") ?? q.get("error") ?? "").slice(0, 200);
      throw new HttpError(401, `${p.name} did not sign you in: ${why}`);
    }
    if (!state || !q.get("code")) throw new HttpError(400, "the sign-in answer has no code or state");
    if (!boundState || boundState !== state) {
      throw new HttpError(
        401,
        "this sign-in was not started in this browser (state does not match); start again",
      );
    }
    const tx = await takeTransaction(this.#store, state, this.#clock.now());
    if (!tx || tx.provider !== p.id) {
      throw new HttpError(401, "this sign-in has expired or was already used; start again");
    }
    const conf = await this.configuration(p);
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(conf, callbackUrl, {
        pkceCodeVerifier: tx.codeVerifier,
        expectedState: state,
        expectedNonce: tx.nonce,
        idTokenExpected: true,
      });
    } catch (e) {
      const err = e as Error & { error?: string; code?: string };
      const cause = (err.cause as Error | undefined)?.message ?? "";
      this.#log(
        `[livegate] sign-in with '${p.id}' refused: ${err.name}: ${err.error ?? ""} ${err.message} ${cause}`,
      );
      if (unreachable(e)) throw new HttpError(502, `${p.name} cannot be reached right now; try again later`);
      if (err.error === "invalid_grant") {
        throw new HttpError(
          401,
          `${p.name} refused the sign-in code (expired, already used, or not issued for livegate); start again`,
        );
      }
      throw new HttpError(
        401,
        `the sign-in answer from ${p.name} did not check out (${err.message}${
          cause ? `: ${cause}` : ""
        }); start again`,
      );
    }
    const idClaims = tokens.claims() as Record<string, unknown> | undefined;
    if (!idClaims || typeof idClaims.sub !== "string" || !tokens.id_token) {
      throw new HttpError(401, `${p.name} sent no ID token; start again`);
    }
    // Many providers put profile, email and groups only into the UserInfo answer (OIDC Core 5.4): read it
    // for the same subject (openid-client checks that), the ID token's claims win.
    let claims: Record<string, unknown> = idClaims;
    if (conf.serverMetadata().userinfo_endpoint && tokens.access_token) {
      try {
        const info = await client.fetchUserInfo(conf, tokens.access_token, idClaims.sub);
        claims = { ...info, ...idClaims };
      } catch (e) {
        this.#log(`[livegate] sign-in with '${p.id}': userinfo failed: ${(e as Error).message}`);
        throw new HttpError(502, `${p.name} did not answer who you are (userinfo); try again later`);
      }
    }
    const user = tx.linkUser
      ? await this.#link(p, idClaims.sub, tx.linkUser)
      : await this.#account(p, claims);
    return { user, provider: p, idToken: tokens.id_token, next: tx.next, linked: !!tx.linkUser };
  }

  async #link(p: OidcProviderConfig, sub: string, name: string): Promise<User> {
    const u = await getUser(this.#store, name);
    if (!u || u.disabled) throw new HttpError(403, "your livegate account cannot be linked right now");
    try {
      await linkIdentity(this.#store, p.id, sub, u.name, false, {
        actor: u.name,
        action: "identity.link",
        target: `${p.id}:${sub}`.slice(0, 120),
      });
    } catch (e) {
      if (e instanceof StoreError && e.kind === "conflict") throw new HttpError(409, e.message);
      throw e;
    }
    return u;
  }

  /** The account a sign-in lands on (see the README: linked, created, or existing only). */
  async #account(p: OidcProviderConfig, claims: Record<string, unknown>): Promise<User> {
    const sub = claims.sub as string;
    const role = mapRole(claims, p);
    const linked = await findIdentity(this.#store, p.id, sub);
    if (linked) {
      let u = await getUser(this.#store, linked.user);
      if (!u || u.disabled) throw new HttpError(403, "your livegate account is disabled");
      if (linked.managed && u.role !== role) {
        // Accounts created by sign-in follow the provider: a group change applies at the next sign-in.
        u = (await updateUser(this.#store, u.name, { role }, {
          audit: {
            actor: `oidc:${p.id}`,
            action: "user.update",
            target: u.name,
            detail: `role=${role} (claims)`,
          },
        })).user;
      }
      return u;
    }
    const wanted = await nameFromClaims(claims, p);
    if (this.#cfg.signup === "existing") {
      // Only users that exist: the provider's user name must be a livegate user's name.
      const u = await getUser(this.#store, wanted);
      if (!u || u.disabled) {
        throw new HttpError(403, `there is no livegate account '${wanted}'; ask an admin to create it`);
      }
      await linkIdentity(this.#store, p.id, sub, u.name, false, {
        actor: `oidc:${p.id}`,
        action: "identity.link",
        target: u.name,
      });
      return u;
    }
    for (let i = 0; i < 20; i++) {
      const name = i === 0
        ? wanted
        : i < 10
        ? `${wanted.slice(0, 56)}-${i + 1}`
        : `${wanted.slice(0, 50)}-${randomToken(4)}`;
      if (await getUser(this.#store, name)) continue;
      try {
        // A random password nobody knows: this account signs in through the provider.
        const u = await addUser(this.#store, name, randomToken(32), role, {
          actor: `oidc:${p.id}`,
          action: "user.create",
          target: name,
          detail: `${role} (first sign-in)`,
        });
        await linkIdentity(this.#store, p.id, sub, u.name, true);
        return u;
      } catch (e) {
        if (e instanceof StoreError && e.kind === "conflict") continue;
        throw e;
      }
    }
    throw new HttpError(409, "could not pick a user name for this account; ask an admin");
  }

  /**
   * Where to send the browser at logout: the provider's end_session_endpoint (OpenID Connect RP-Initiated
   * Logout 1.0) with the ID token as hint, or null when the provider has none or cannot be reached.
   */
  async endSessionUrl(id: string, idToken: string, postLogout: string): Promise<string | null> {
    const p = this.#cfg.providers.find((x) => x.id === id);
    if (!p) return null;
    try {
      const conf = await this.configuration(p);
      if (!conf.serverMetadata().end_session_endpoint) return null;
      return client.buildEndSessionUrl(conf, { id_token_hint: idToken, post_logout_redirect_uri: postLogout })
        .href;
    } catch {
      return null;
    }
  }
}
