// The anonymous side of bench/post_flood.ts, in its own process so its CPU does not disturb the viewer
// simulation's timing: sends TOTAL wrong-password `POST /login` (with a valid CSRF token, so they reach the
// rate limiter and password check) spread evenly over SECONDS from WORKERS concurrent clients, each from
// a new X-Forwarded-For address every time; prints one JSON line {status: {code: count}, seconds}.
// Usage: deno run -A bench/post_flood_client.ts BASE TOTAL SECONDS WORKERS
const [base, totalS, secondsS, workersS] = Deno.args;
const total = Number(totalS), seconds = Number(secondsS), workers = Number(workersS);

async function form(): Promise<{ cookie: string; csrf: string }> {
  const r = await fetch(`${base}/login`);
  const html = await r.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
  return { cookie: r.headers.getSetCookie().map((c) => c.split(";")[0]).join("; "), csrf };
}

const status: Record<string, number> = {};
const t0 = performance.now();
const perWorker = Math.ceil(total / workers);
const gap = (seconds * 1000) / perWorker;
await Promise.all(Array.from({ length: workers }, async (_, w) => {
  const f = await form();
  for (let i = 0; i < perWorker && w * perWorker + i < total; i++) {
    const wait = t0 + i * gap - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    try {
      const r = await fetch(`${base}/login`, {
        method: "POST",
        redirect: "manual",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          cookie: f.cookie,
          "x-forwarded-for": `198.18.${w}.${i % 250}`,
        },
        body: new URLSearchParams({ csrf: f.csrf, user: "admin", password: `guess-${w}-${i}`, next: "/" }),
      });
      await r.body?.cancel();
      status[r.status] = (status[r.status] ?? 0) + 1;
    } catch {
      status.error = (status.error ?? 0) + 1;
    }
  }
}));
console.log(JSON.stringify({ status, seconds: (performance.now() - t0) / 1000 }));
