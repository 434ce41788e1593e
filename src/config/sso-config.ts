// Settings of single sign-on and of the credentials livegate hands out: OpenID Connect providers, local
// passwords on/off, and the JWTs MediaMTX checks itself (signing key rotation, longest lifetime). Parsed
// here, merged into Config by config.ts; every error names its setting.
import { ConfigError, parseBool } from "./parse.ts";
import { parseDuration } from "./ops-config.ts";

export interface JwtConfig {
  /** Rotate the signing key after this many seconds (0: only by hand, `livegate jwt rotate`). */
  rotateSeconds: number;
  /** Longest lifetime of an issued JWT in seconds (also how long a retired key stays published). */
  maxTtlSeconds: number;
}

/** One OpenID Connect provider (README "Single sign-on"). */
export interface OidcProviderConfig {
  /** Short name in URLs (/login/oidc/<id>): 1-32 of a-z, 0-9, '-'. */
  id: string;
  /** Shown on the button: "Sign in with <name>". */
  name: string;
  /** The issuer URL; its /.well-known/openid-configuration is read (discovery). https, or http on loopback. */
  issuer: string;
  clientId: string;
  /** Empty: a public client (PKCE only, token endpoint auth "none"). */
  clientSecret: string;
  /** Requested scopes (always with openid). */
  scopes: string[];
  /** The claim roles are read from (a string or a list of strings), e.g. "groups". */
  roleClaim: string;
  /** A value of roleClaim that makes the user an admin / a streamer. */
  adminValues: string[];
  streamerValues: string[];
  /** The role of everyone else. */
  defaultRole: "admin" | "streamer" | "viewer";
  /** The claim a new account's name comes from (then email's local part, then sub). */
  usernameClaim: string;
}

export interface OidcConfig {
  providers: OidcProviderConfig[];
  /** "create": accounts are created on first sign-in; "existing": only users that exist may sign in. */
  signup: "create" | "existing";
}

export interface SsoConfig {
  jwt: JwtConfig;
  oidc: OidcConfig;
  /** Whether the login form takes local passwords (false: only the providers' buttons). */
  localLogin: boolean;
}

export const SSO_ENV = {
  jwtRotate: "LIVEGATE_JWT_ROTATE",
  jwtMaxTtl: "LIVEGATE_JWT_MAX_TTL",
  oidcProviders: "LIVEGATE_OIDC_PROVIDERS",
  oidcSignup: "LIVEGATE_OIDC_SIGNUP",
  localLogin: "LIVEGATE_LOCAL_LOGIN",
} as const;

const ID_RE = /^[a-z0-9][a-z0-9-]{0,31}$/;
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

function strList(name: string, v: unknown, def: string[]): string[] {
  if (v === undefined || v === null || v === "") return def;
  const items = Array.isArray(v) ? v : typeof v === "string" ? v.split(/[ ,]+/) : null;
  if (!items || items.some((x) => typeof x !== "string" || x.length > 200)) {
    throw new ConfigError(name, "must be a list of strings (JSON array, or comma/space separated)");
  }
  return (items as string[]).map((x) => x.trim()).filter(Boolean);
}

/**
 * The providers from LIVEGATE_OIDC_PROVIDERS (a JSON array) or the JSON key oidc.providers. A client
 * secret may instead come from LIVEGATE_OIDC_<ID>_CLIENT_SECRET (ID upper-cased, '-' as '_'), so it need not
 * sit in a file. Errors name the setting and the field, e.g. "oidc.providers[1].issuer".
 */
export function parseProviders(
  name: string,
  v: unknown,
  env: Record<string, string | undefined>,
): OidcProviderConfig[] {
  if (v === undefined || v === null || v === "") return [];
  let list = v;
  if (typeof v === "string") {
    try {
      list = JSON.parse(v);
    } catch (e) {
      throw new ConfigError(name, `is not valid JSON: ${(e as Error).message}`);
    }
  }
  if (!Array.isArray(list)) throw new ConfigError(name, "must be a JSON array of providers");
  const seen = new Set<string>();
  return list.map((raw, i) => {
    const at = `${name}[${i}]`;
    if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new ConfigError(at, "must be an object");
    const p = raw as Record<string, unknown>;
    const str = (k: string, def?: string): string => {
      const x = p[k] ?? def;
      if (typeof x !== "string" || x === "") throw new ConfigError(`${at}.${k}`, "is required (a string)");
      return x;
    };
    const id = str("id");
    if (!ID_RE.test(id)) throw new ConfigError(`${at}.id`, `'${id}' must be 1-32 of a-z, 0-9, '-'`);
    if (seen.has(id)) throw new ConfigError(`${at}.id`, `'${id}' is used by another provider`);
    seen.add(id);
    const issuer = str("issuer"); // kept as written: discovery compares it exactly (Authentik ends in "/")
    let u: URL;
    try {
      u = new URL(issuer);
    } catch {
      throw new ConfigError(`${at}.issuer`, `'${issuer}' is not a URL`);
    }
    if (u.protocol !== "https:" && !(u.protocol === "http:" && LOOPBACK.has(u.hostname))) {
      throw new ConfigError(`${at}.issuer`, `'${issuer}' must be https (http only on localhost)`);
    }
    if (u.search || u.hash) throw new ConfigError(`${at}.issuer`, "must not have a query or fragment");
    const envSecret = env[`LIVEGATE_OIDC_${id.toUpperCase().replace(/-/g, "_")}_CLIENT_SECRET`];
    const secret = envSecret ?? p.clientSecret ?? "";
    if (typeof secret !== "string") throw new ConfigError(`${at}.clientSecret`, "must be a string");
    const scopes = strList(`${at}.scopes`, p.scopes, ["openid", "profile", "email"]);
    if (!scopes.includes("openid")) scopes.unshift("openid");
    const defaultRole = str("defaultRole", "viewer");
    if (!["admin", "streamer", "viewer"].includes(defaultRole)) {
      throw new ConfigError(`${at}.defaultRole`, `'${defaultRole}' must be admin, streamer or viewer`);
    }
    return {
      id,
      name: str("name", id),
      issuer,
      clientId: str("clientId"),
      clientSecret: secret,
      scopes,
      roleClaim: str("roleClaim", "groups"),
      adminValues: strList(`${at}.adminValues`, p.adminValues, []),
      streamerValues: strList(`${at}.streamerValues`, p.streamerValues, []),
      defaultRole: defaultRole as OidcProviderConfig["defaultRole"],
      usernameClaim: str("usernameClaim", "preferred_username"),
    };
  });
}

type Get = (envName: string, key: string) => { value: unknown; name: string };

/** The SSO / token settings from env + JSON (`get`). Throws ConfigError naming the setting. */
export function loadSsoConfig(get: Get, env: Record<string, string | undefined> = {}): SsoConfig {
  const rot = get(SSO_ENV.jwtRotate, "jwt.rotate");
  // At least 2 h: MediaMTX refreshes a JWKS every hour, and the next key is published one period ahead.
  const rotateSeconds = parseDuration(rot.name, rot.value, 7 * 86400, 7200, true);
  const mt = get(SSO_ENV.jwtMaxTtl, "jwt.maxTtl");
  const maxTtlSeconds = parseDuration(mt.name, mt.value, 3600, 10, false);
  if (maxTtlSeconds > 86400) throw new ConfigError(mt.name, "must be at most 24h (JWTs are short-lived)");
  const pp = get(SSO_ENV.oidcProviders, "oidc.providers");
  const providers = parseProviders(pp.name, pp.value, env);
  const su = get(SSO_ENV.oidcSignup, "oidc.signup");
  const signup = String(su.value ?? "create");
  if (signup !== "create" && signup !== "existing") {
    throw new ConfigError(su.name, `'${signup}' must be create or existing`);
  }
  const ll = get(SSO_ENV.localLogin, "localLogin");
  const localLogin = parseBool(ll.name, ll.value, true);
  if (!localLogin && providers.length === 0) {
    throw new ConfigError(
      ll.name,
      `local passwords cannot be turned off without a provider in ${SSO_ENV.oidcProviders}`,
    );
  }
  return { jwt: { rotateSeconds, maxTtlSeconds }, oidc: { providers, signup }, localLogin };
}
