// Login rate limiting in KV: attempts are counted per client IP and per user name within a fixed window
// (counted before the password check, taken back on success). Past the limit a login is refused with 429
// and Retry-After until the window ends.
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

/**
 * Counts a login attempt *before* the password is checked, atomically with the limit check, so parallel
 * guesses cannot all pass the check while the first ones are still hashing. Returns the seconds to wait
 * (attempt refused, not counted) or 0 (go ahead; the attempt counts as a failure until loginSucceeded).
 */
export async function beginLoginAttempt(
  kv: Deno.Kv,
  limits: Limits,
  ip: string,
  user: string,
  knownDevice = false,
): Promise<number> {
  const [ipKey, userKey] = keys(ip, user);
  for (let i = 0; i < 25; i++) {
    const now = Date.now();
    const [ipE, userE] = await kv.getMany<Counter[]>([ipKey, userKey]);
    const live = (c: Counter | null) => (c && c.resetAt > now ? c : null);
    const ipC = live(ipE.value);
    const userC = live(userE.value);
    let wait = 0;
    if (ipC && ipC.count >= limits.perIp) wait = Math.ceil((ipC.resetAt - now) / 1000);
    if (!knownDevice && userC && userC.count >= limits.perUser) {
      wait = Math.max(wait, Math.ceil((userC.resetAt - now) / 1000));
    }
    if (wait > 0) return wait;
    const bump = (c: Counter | null): Counter =>
      c ? { ...c, count: c.count + 1 } : { count: 1, resetAt: now + limits.windowSeconds * 1000 };
    const nextIp = bump(ipC);
    const nextUser = bump(userC);
    const res = await kv.atomic().check(ipE).check(userE)
      .set(ipKey, nextIp, { expireIn: nextIp.resetAt - now })
      .set(userKey, nextUser, { expireIn: nextUser.resetAt - now })
      .commit();
    if (res.ok) return 0;
  }
  return 1; // a burst of concurrent attempts for this IP/user: fail closed, try again in a second
}

/**
 * The attempt counted by beginLoginAttempt succeeded: take it back from both counters. Only this attempt:
 * clearing the IP's whole count would let anyone with one valid account reset the per-IP limit between
 * guesses at other accounts (password spraying from one address).
 */
export async function loginSucceeded(kv: Deno.Kv, ip: string, user: string): Promise<void> {
  for (const key of keys(ip, user)) await takeBack(kv, key);
}

async function takeBack(kv: Deno.Kv, key: Deno.KvKey): Promise<void> {
  for (let i = 0; i < 10; i++) {
    const e = await kv.get<Counter>(key);
    if (!e.value || e.value.count <= 0) return;
    const now = Date.now();
    const op = e.value.count <= 1 || e.value.resetAt <= now
      ? kv.atomic().check(e).delete(key)
      : kv.atomic().check(e).set(key, { ...e.value, count: e.value.count - 1 }, {
        expireIn: e.value.resetAt - now,
      });
    if ((await op.commit()).ok) return;
  }
}
