// A small HTTP server that receives livegate's webhooks in e2e tests and checks their HMAC signature.
import { sign } from "../../src/events/webhooks.ts";

export interface Received {
  type: string;
  id: string;
  data: Record<string, unknown>;
  signatureOk: boolean;
}

export function startReceiver(secret: string) {
  const events: Received[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.text();
    const ts = req.headers.get("x-livegate-timestamp") ?? "";
    const sig = req.headers.get("x-livegate-signature") ?? "";
    const e = JSON.parse(body);
    events.push({ type: e.type, id: e.id, data: e.data, signatureOk: sig === await sign(secret, ts, body) });
    return new Response("ok");
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/hook`,
    events,
    stop: () => server.shutdown(),
  };
}
