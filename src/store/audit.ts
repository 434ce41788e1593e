// Audit log of admin actions: ["audit", time, id] -> AuditEntry. Entries are written in the same atomic
// operation as the change they describe, so the log never claims a change that did not happen (or misses one).
import type { Store } from "./kv.ts";
import { randomToken } from "../core/crypto.ts";

export interface AuditInput {
  actor: string;
  action: string;
  target: string;
  detail?: string;
  ip?: string;
}

export interface AuditEntry extends AuditInput {
  id: string;
  time: number;
}

/** Adds the audit entry to `op` (when given) and returns the op for chaining. */
export function withAudit(op: Deno.AtomicOperation, a: AuditInput | undefined): Deno.AtomicOperation {
  if (!a) return op;
  const e: AuditEntry = { ...a, id: randomToken(6), time: Date.now() };
  return op.set(["audit", e.time, e.id], e);
}

/** Writes one audit entry on its own (for uses rather than changes, e.g. an admin-scope API token's use). */
export async function appendAudit(db: Store, a: AuditInput): Promise<void> {
  await withAudit(db.kv.atomic(), a).commit();
}

export async function listAudit(db: Store, limit = 200): Promise<AuditEntry[]> {
  const kv = db.kv;
  const out: AuditEntry[] = [];
  for await (const e of kv.list<AuditEntry>({ prefix: ["audit"] }, { reverse: true, limit })) {
    out.push(e.value);
  }
  return out;
}
