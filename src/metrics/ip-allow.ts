// IP allow-list matching for /metrics: single addresses and CIDRs, IPv4 and IPv6 (IPv4-mapped IPv6
// client addresses match IPv4 entries).

function v4(ip: string): bigint | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return null;
  const o = m.slice(1).map(Number);
  if (o.some((x) => x > 255)) return null;
  return o.reduce((a, x) => (a << 8n) | BigInt(x), 0n);
}

function v6(ip: string): bigint | null {
  if (!/^[0-9a-fA-F:.]+$/.test(ip) || !ip.includes(":")) return null;
  let head = ip, tail = "";
  const dbl = ip.indexOf("::");
  if (dbl >= 0) {
    head = ip.slice(0, dbl);
    tail = ip.slice(dbl + 2);
    if (tail.includes("::")) return null;
  }
  const parse = (s: string): number[] | null => {
    if (!s) return [];
    const out: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes(".")) {
        const x = v4(p);
        if (x === null) return null;
        out.push(Number(x >> 16n), Number(x & 0xffffn));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else return null;
    }
    return out;
  };
  const h = parse(head), t = parse(tail);
  if (!h || !t) return null;
  const fill = 8 - h.length - t.length;
  if (dbl < 0 ? fill !== 0 : fill < 1) return null;
  return [...h, ...Array(fill).fill(0), ...t].reduce((a, x) => (a << 16n) | BigInt(x), 0n);
}

type Net = { bits: 32 | 128; addr: bigint; prefix: number };

function parseAddr(ip: string): { bits: 32 | 128; addr: bigint } | null {
  const a = v4(ip);
  if (a !== null) return { bits: 32, addr: a };
  const b = v6(ip);
  if (b === null) return null;
  // ::ffff:a.b.c.d -> IPv4
  if (b >> 32n === 0xffffn) return { bits: 32, addr: b & 0xffffffffn };
  return { bits: 128, addr: b };
}

export function parseNet(s: string): Net | null {
  const [ip, pre] = s.split("/");
  const a = parseAddr(ip);
  if (!a) return null;
  const prefix = pre === undefined ? a.bits : Number(pre);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > a.bits) return null;
  return { ...a, prefix };
}

export function ipAllowed(ip: string, list: string[]): boolean {
  const a = parseAddr(ip);
  if (!a) return false;
  for (const entry of list) {
    const n = parseNet(entry);
    if (!n || n.bits !== a.bits) continue;
    const shift = BigInt(n.bits - n.prefix);
    if (a.addr >> shift === n.addr >> shift) return true;
  }
  return false;
}
