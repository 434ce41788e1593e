// Login rate limiting in KV: failed attempts are counted per client IP and per user name within a
// fixed window. Past the limit a login is refused with 429 and Retry-After until the window ends.
export interface Limits {
  perIp: number;
  perUser: number;
  windowSeconds: number;
}

interface Counter {
  count: number;
  resetAt: number;
}

function keys(ip: string, user: string): Deno.KvKey[] {
  return [["login_fail", "ip", ip], ["login_fail", "user", user.toLowerCase().slice(0, 64)]];
}

/** Seconds until the caller may try again, or 0 when allowed. */
export async function loginBlockedFor(
  kv: Deno.Kv,
  limits: Limits,
  ip: string,
  user: string,
  knownDevice = false,
): Promise<number> {
  const [ipC, userC] = await kv.getMany<Counter[]>(keys(ip, user));
  const now = Date.now();
  let wait = 0;
  // A browser that logged in as this user before (known-device.ts) is not held by the per-user limit.
  const checks = [[ipC.value, limits.perIp], [knownDevice ? null : userC.value, limits.perUser]] as const;
  for (const [c, max] of checks) {
    if (c && c.resetAt > now && c.count >= max) wait = Math.max(wait, Math.ceil((c.resetAt - now) / 1000));
  }
  return wait;
}

export async function recordLoginFailure(
  kv: Deno.Kv,
  limits: Limits,
  ip: string,
  user: string,
): Promise<void> {
  const now = Date.now();
  for (const key of keys(ip, user)) {
    for (let i = 0; i < 10; i++) {
      const cur = await kv.get<Counter>(key);
      const c = cur.value && cur.value.resetAt > now
        ? { ...cur.value, count: cur.value.count + 1 }
        : { count: 1, resetAt: now + limits.windowSeconds * 1000 };
      const res = await kv.atomic().check(cur).set(key, c, { expireIn: c.resetAt - now }).commit();
      if (res.ok) break;
    }
  }
}

/** A successful login clears the per-IP counter (the per-user one stays: it guards against spraying). */
export async function clearIpFailures(kv: Deno.Kv, ip: string): Promise<void> {
  await kv.delete(["login_fail", "ip", ip]);
}
