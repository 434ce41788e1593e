// A real OpenID Provider for the tests: npm oidc-provider (certified OP), in this process on a free port.
// Its development interactions give a login form (any login, any password: the login becomes the account
// id) and a consent page a browser can click through. Accounts whose id starts with "admin" are in the
// group "livegate-admins", others in "staff". For the bad-input tests it can be told to misbehave:
// `foreignAudience` issues ID tokens for another client; `restart({ newKey: true })` replaces the provider
// behind the same port with one signing with another key under the same key id.
import Provider from "oidc-provider";
import { exportJWK, generateKeyPair } from "jose";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { freePort } from "./harness.ts";

export interface TestIdp {
  issuer: string;
  port: number;
  clientId: string;
  clientSecret: string;
  /** When set, ID tokens carry this audience instead of the client's id. */
  misbehave: { foreignAudience?: string };
  restart(opts?: { newKey?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

async function signingKey() {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: "test-key-1", alg: "RS256", use: "sig" };
}

/** Starts the provider for a livegate reached at `livegateBase` (its callback and logout URLs registered). */
export async function startIdp(livegateBase: string, providerIds = ["test"]): Promise<TestIdp> {
  const port = freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = "livegate";
  const clientSecret = crypto.randomUUID() + crypto.randomUUID();
  const misbehave: TestIdp["misbehave"] = {};
  let key = await signingKey();
  let server: Server | undefined;
  // The listening server stays; a "restart" swaps the provider instance behind it (a new Provider with
  // its own keys and memory), so no client keeps talking to the old one over a kept-alive connection.
  let current: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;

  const make = () => {
    const provider = new Provider(issuer, {
      clients: [{
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: providerIds.map((id) => `${livegateBase}/login/oidc/${id}/callback`),
        post_logout_redirect_uris: [`${livegateBase}/login`],
        grant_types: ["authorization_code"],
        response_types: ["code"],
      }],
      jwks: { keys: [key] },
      cookies: { keys: [crypto.randomUUID()] },
      claims: {
        openid: ["sub"],
        profile: ["preferred_username", "name"],
        email: ["email"],
        groups: ["groups"],
      },
      scopes: ["openid", "offline_access", "profile", "email", "groups"],
      ttl: {
        AuthorizationCode: 10,
        IdToken: 300,
        AccessToken: 300,
        Session: 3600,
        Interaction: 600,
        Grant: 3600,
      },
      findAccount: (_ctx: unknown, id: string) => ({
        accountId: id,
        claims: () => ({
          sub: id,
          preferred_username: id,
          email: `${id}@idp.test`,
          groups: id.startsWith("admin") ? ["livegate-admins", "staff"] : ["staff"],
        }),
      }),
    });
    provider.proxy = false;
    // The misbehaving switch: an ID token for another client (aud), as a broken or hostile provider would.
    // deno-lint-ignore no-explicit-any
    const IdToken = (provider as any).IdToken;
    const issue = IdToken.prototype.issue;
    // deno-lint-ignore no-explicit-any
    IdToken.prototype.issue = function (this: any, ...args: unknown[]) {
      if (misbehave.foreignAudience) {
        const real = this.client;
        const aud = misbehave.foreignAudience;
        this.client = new Proxy(real, { get: (t, p) => (p === "clientId" ? aud : Reflect.get(t, p)) });
      }
      return issue.apply(this, args);
    };
    current = provider.callback();
  };
  const listen = async () => {
    server = createServer((req, res) => current!(req, res));
    server.listen(port);
    await new Promise<void>((r) => server!.listening ? r() : server!.once("listening", () => r()));
  };
  const stop = async () => {
    if (!server) return;
    const s = server;
    server = undefined;
    s.closeAllConnections?.();
    await new Promise<void>((r) => s.close(() => r()));
  };
  make();
  await listen();
  return {
    issuer,
    port,
    clientId,
    clientSecret,
    misbehave,
    async restart(opts = {}) {
      if (opts.newKey) key = await signingKey();
      make();
    },
    stop,
  };
}
