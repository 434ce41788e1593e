// Login under brute force. Legitimate users (each from its own address) log in while attackers post wrong
// passwords as fast as they can. Addresses are simulated with X-Forwarded-For (the rig runs livegate with
// LIVEGATE_TRUST_PROXY=true; requests come from loopback). Scenarios:
//   baseline      no attack
//   one address   an attacker at one address guessing admin's password (per-address limit)
//   distributed   attackers at a new address for every guess, against admin (per-user-name limit)
import { ADMIN_PASSWORD } from "../tests/e2e/harness.ts";
import { openStore } from "../src/store/kv.ts";
import { addUser } from "../src/store/users.ts";
import type { Rig } from "./rig.ts";
import { type Dist, dist } from "./stats.ts";

export interface LoginRow {
  scenario: string;
  attackAttempts: number;
  attackPerSec: number;
  attack401: number;
  attack429: number;
  legitAttempts: number;
  legitOk: number;
  legitMs: Dist | null;
  /** Status of the attacked user's own login (right password, fresh address) after the attack. */
  attackedUserStatus?: number;
}

const USERS = 4;
const PW = (i: number) => `legit-user-password-${i}`;

async function form(base: string, ip: string): Promise<{ cookie: string; csrf: string }> {
  const r = await fetch(`${base}/login`, { headers: { "x-forwarded-for": ip } });
  const html = await r.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
  const cookie = r.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  return { cookie, csrf };
}

async function postLogin(
  base: string,
  ip: string,
  f: { cookie: string; csrf: string },
  user: string,
  pw: string,
) {
  const r = await fetch(`${base}/login`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      cookie: f.cookie,
      "x-forwarded-for": ip,
    },
    body: new URLSearchParams({ csrf: f.csrf, user, password: pw, next: "/" }),
  });
  await r.body?.cancel();
  return r.status;
}

export async function setupLoginUsers(rig: Rig): Promise<void> {
  const kv = await openStore(rig.lg.dataDir);
  try {
    for (let i = 0; i < USERS; i++) await addUser(kv, `legit${i}`, PW(i), "viewer");
  } finally {
    kv.kv.close();
  }
}

export async function loginScenario(
  rig: Rig,
  scenario: "baseline" | "one address" | "distributed",
  seconds: number,
  attackers: number,
  round: number,
): Promise<LoginRow> {
  const base = rig.lg.url;
  const until = Date.now() + seconds * 1000;
  const row: LoginRow = {
    scenario,
    attackAttempts: 0,
    attackPerSec: 0,
    attack401: 0,
    attack429: 0,
    legitAttempts: 0,
    legitOk: 0,
    legitMs: null,
  };
  const attackF = await form(base, "198.51.100.1");
  let n = 0;
  const attack = async () => {
    while (Date.now() < until) {
      const ip = scenario === "distributed"
        ? `10.${round}.${Math.floor(n / 250) % 250}.${(n++ % 250) + 1}`
        : `198.51.100.${round + 1}`;
      const status = await postLogin(base, ip, attackF, "admin", `guess-${n}-${Math.random()}`);
      row.attackAttempts++;
      if (status === 401) row.attack401++;
      else if (status === 429) row.attack429++;
    }
  };
  const ms: number[] = [];
  const legit = async (i: number) => {
    const ip = `203.0.${round}.${i + 10}`;
    while (Date.now() < until) {
      const f = await form(base, ip);
      const t = performance.now();
      const status = await postLogin(base, ip, f, `legit${i}`, PW(i));
      ms.push(performance.now() - t);
      row.legitAttempts++;
      if (status === 303) row.legitOk++;
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  const t0 = performance.now();
  await Promise.all([
    ...(scenario === "baseline" ? [] : Array.from({ length: attackers }, attack)),
    ...Array.from({ length: USERS }, (_, i) => legit(i)),
  ]);
  row.attackPerSec = row.attackAttempts / ((performance.now() - t0) / 1000);
  row.legitMs = dist(ms);
  if (scenario !== "baseline") {
    const ip = `192.0.2.${round}`;
    row.attackedUserStatus = await postLogin(base, ip, await form(base, ip), "admin", ADMIN_PASSWORD);
  }
  return row;
}
