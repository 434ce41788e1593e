// Webhook delivery: every event is POSTed as JSON to each configured URL, signed with HMAC-SHA256 over
// "<timestamp>.<body>" (header X-Livegate-Signature: sha256=<hex>, X-Livegate-Timestamp: unix seconds),
// retried with exponential backoff on network errors, timeouts, 408, 429 and 5xx. emit() only queues:
// nothing on the request path (auth hook, pages) ever waits for a receiver.
import type { Metrics } from "../metrics/registry.ts";

export interface WebhookEvent {
  /** stream.started | stream.stopped | recording.finished */
  type: string;
  /** Unique id of the event (receivers can de-duplicate retries with it). */
  id: string;
  /** ISO time the event happened. */
  time: string;
  data: Record<string, unknown>;
}

export interface WebhookOptions {
  urls: string[];
  secret: string;
  /** Delivery attempts per URL (first try included). */
  attempts?: number;
  /** First retry delay; doubles each time, capped at maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  timeoutMs?: number;
  /** Deliveries in flight at once (all URLs together). */
  concurrency?: number;
  /** Events waiting beyond this are dropped (oldest first) so a dead receiver cannot exhaust memory. */
  maxQueue?: number;
  log?: (line: string) => void;
  /** Where delivery results are counted (the app's metrics). */
  metrics?: Pick<Metrics, "webhookDeliveries">;
}

const enc = new TextEncoder();

export async function sign(secret: string, timestamp: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    enc.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    [
      "sign",
    ],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(`${timestamp}.${body}`)));
  return "sha256=" + [...mac].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export class Webhooks {
  #queue: { event: WebhookEvent; url: string; attempt: number; due: number }[] = [];
  #timer?: ReturnType<typeof setTimeout>;
  #timerDue?: number;
  #running = 0;
  #closed = false;
  #inflight = new Set<Promise<void>>();
  #aborts = new Set<AbortController>();
  readonly opts: Required<Omit<WebhookOptions, "metrics">>;
  /** Counts a delivery attempt's result (livegate_webhook_deliveries_total; nothing without metrics). */
  readonly #count: (labels: { event: string; result: string }) => void;

  constructor({ metrics, ...opts }: WebhookOptions) {
    const deliveries = metrics?.webhookDeliveries;
    this.#count = deliveries ? (l) => deliveries.inc(l) : () => {};
    this.opts = {
      attempts: 8,
      baseDelayMs: 1000,
      maxDelayMs: 5 * 60_000,
      timeoutMs: 10_000,
      maxQueue: 10_000,
      concurrency: 8,
      log: (l) => console.log(l),
      ...opts,
    };
  }

  /** Queues an event for every URL; returns at once. */
  emit(type: string, data: Record<string, unknown>): WebhookEvent {
    const event = { type, id: crypto.randomUUID(), time: new Date().toISOString(), data };
    if (this.#closed || this.opts.urls.length === 0) return event;
    const now = Date.now();
    for (const url of this.opts.urls) this.#queue.push({ event, url, attempt: 1, due: now });
    while (this.#queue.length > this.opts.maxQueue) {
      const d = this.#queue.shift()!;
      this.#count({ event: d.event.type, result: "dropped" });
      this.opts.log(`[livegate] webhook queue full: dropped ${d.event.type} for ${d.url}`);
    }
    this.#schedule(now);
    return event;
  }

  get pending(): number {
    return this.#queue.length + this.#running;
  }

  /** Arms the timer for the earliest due delivery; `due` (when given) is the only new entry. */
  #schedule(due?: number) {
    if (this.#closed || this.#queue.length === 0) return;
    // At the concurrency limit the next finishing delivery calls us again.
    if (this.#running >= this.opts.concurrency) return;
    if (due !== undefined && this.#timerDue !== undefined && this.#timerDue <= due) return;
    let next = Infinity;
    for (const q of this.#queue) if (q.due < next) next = q.due;
    clearTimeout(this.#timer);
    this.#timerDue = next;
    this.#timer = setTimeout(() => {
      this.#timerDue = undefined;
      this.#pump();
    }, Math.max(0, next - Date.now()));
  }

  #pump() {
    const now = Date.now();
    const rest = [];
    for (const d of this.#queue) {
      if (d.due > now || this.#running >= this.opts.concurrency) {
        rest.push(d);
        continue;
      }
      this.#running++;
      const p = this.#deliver(d).finally(() => {
        this.#running--;
        this.#inflight.delete(p);
        this.#schedule();
      });
      this.#inflight.add(p);
    }
    this.#queue = rest;
    this.#schedule();
  }

  async #deliver(d: { event: WebhookEvent; url: string; attempt: number; due: number }) {
    const body = JSON.stringify(d.event);
    const ts = String(Math.floor(Date.now() / 1000));
    const ac = new AbortController();
    this.#aborts.add(ac);
    const t = setTimeout(() => ac.abort(), this.opts.timeoutMs);
    let problem: string;
    let retry = true;
    try {
      const res = await fetch(d.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "livegate-webhooks",
          "x-livegate-event": d.event.type,
          "x-livegate-delivery": d.event.id,
          "x-livegate-timestamp": ts,
          "x-livegate-signature": await sign(this.opts.secret, ts, body),
        },
        body,
        signal: ac.signal,
        redirect: "manual",
      });
      await res.body?.cancel();
      if (res.ok) {
        this.#count({ event: d.event.type, result: "ok" });
        return;
      }
      problem = `answered ${res.status}`;
      retry = retryable(res.status);
    } catch (e) {
      problem = ac.signal.aborted ? `no answer in ${this.opts.timeoutMs} ms` : (e as Error).message;
    } finally {
      clearTimeout(t);
      this.#aborts.delete(ac);
    }
    if (this.#closed) return;
    if (retry && d.attempt < this.opts.attempts) {
      const delay = Math.min(this.opts.baseDelayMs * 2 ** (d.attempt - 1), this.opts.maxDelayMs);
      this.#count({ event: d.event.type, result: "retry" });
      this.opts.log(
        `[livegate] webhook ${d.event.type} to ${d.url} ${problem}; retry ${d.attempt}/${
          this.opts.attempts - 1
        } in ${delay} ms`,
      );
      const due = Date.now() + delay;
      this.#queue.push({ ...d, attempt: d.attempt + 1, due });
      this.#schedule(due);
    } else {
      this.#count({ event: d.event.type, result: "failed" });
      this.opts.log(`[livegate] webhook ${d.event.type} to ${d.url} failed for good: ${problem}`);
    }
  }

  /** Stops retrying; waits briefly for deliveries in flight. */
  async close(graceMs = 2000): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const t = setTimeout(() => this.#aborts.forEach((a) => a.abort()), graceMs);
    await Promise.allSettled([...this.#inflight]);
    clearTimeout(t);
    this.#queue = [];
  }
}
