// Settings of single sign-on and of the credentials livegate hands out: OpenID Connect providers, local
// passwords on/off, and the JWTs MediaMTX checks itself (signing key rotation, longest lifetime). Parsed
// here, merged into Config by config.ts; every error names its setting.
import { ConfigError } from "./parse.ts";
import { parseDuration } from "./ops-config.ts";

export interface JwtConfig {
  /** Rotate the signing key after this many seconds (0: only by hand, `livegate jwt rotate`). */
  rotateSeconds: number;
  /** Longest lifetime of an issued JWT in seconds (also how long a retired key stays published). */
  maxTtlSeconds: number;
}

export interface SsoConfig {
  jwt: JwtConfig;
}

export const SSO_ENV = {
  jwtRotate: "LIVEGATE_JWT_ROTATE",
  jwtMaxTtl: "LIVEGATE_JWT_MAX_TTL",
} as const;

type Get = (envName: string, key: string) => { value: unknown; name: string };

/** The SSO / token settings from env + JSON (`get`). Throws ConfigError naming the setting. */
export function loadSsoConfig(get: Get): SsoConfig {
  const rot = get(SSO_ENV.jwtRotate, "jwt.rotate");
  // At least 2 h: MediaMTX refreshes a JWKS every hour, and the next key is published one period ahead.
  const rotateSeconds = parseDuration(rot.name, rot.value, 7 * 86400, 7200, true);
  const mt = get(SSO_ENV.jwtMaxTtl, "jwt.maxTtl");
  const maxTtlSeconds = parseDuration(mt.name, mt.value, 3600, 10, false);
  if (maxTtlSeconds > 86400) throw new ConfigError(mt.name, "must be at most 24h (JWTs are short-lived)");
  return { jwt: { rotateSeconds, maxTtlSeconds } };
}
