// Pieces shared by the config loaders (config.ts, ops-config.ts): the error type naming the setting, and
// boolean parsing.

/** A setting with a bad value; the message names the setting (e.g. "config: LIVEGATE_PORT: ..."). */
export class ConfigError extends Error {
  constructor(readonly setting: string, message: string) {
    super(`config: ${setting}: ${message}`);
    this.name = "ConfigError";
  }
}

/** `v` as a boolean ("1/true/yes/on", "0/false/no/off", case-insensitive); `def` when unset; throws ConfigError. */
export function parseBool(name: string, v: unknown, def: boolean): boolean {
  if (v === undefined || v === null || v === "") return def;
  if (typeof v === "boolean") return v;
  const s = String(v).toLowerCase();
  if (["1", "true", "yes", "on"].includes(s)) return true;
  if (["0", "false", "no", "off"].includes(s)) return false;
  throw new ConfigError(name, `'${v}' is not a boolean (true/false)`);
}
