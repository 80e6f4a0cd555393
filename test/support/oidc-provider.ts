import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import Provider, { type Adapter, type AdapterPayload } from "oidc-provider";
import { loopback, onFreePort } from "./service-process.ts";

/**
 * A real OpenID provider for tests (`oidc-provider`, a certified OP) on a free loopback port: the
 * authorization-code flow with PKCE, ID tokens signed with a fresh RSA key and published at its
 * JWKS. Its login form (user id and password) and consent form are plain HTML that load nothing
 * from elsewhere (oidc-provider's development forms pull fonts from the internet), so a real
 * browser driven by a test stays on loopback. Users and clients are added while it runs, so a
 * client can name a redirect URL whose port is only known once the proxy has started.
 */

export interface TestUser {
  /** The `sub` claim, and what the login form takes. */
  id: string;
  password: string;
  email?: string;
  name?: string;
  groups?: string[];
}

export interface TestClient {
  clientId: string;
  /** Unset: a public client (PKCE alone). */
  clientSecret?: string;
  redirectUris: string[];
}

export interface TestOidcProvider {
  /** The issuer URL: OIDC_ISSUER. */
  issuer: string;
  addUser(user: TestUser): void;
  /** Registers (or replaces) a client. */
  addClient(client: TestClient): void;
  stop(): Promise<void>;
}

/** The callback path the proxy's OIDC sign-in answers on (OIDC_REDIRECT_URL's path). */
export const callbackPath = "/admin/auth/callback";

/**
 * A proxy's ADMIN_AUTH=oidc settings for signing in through `provider` as `client` (confidential), called
 * back at `proxyUrl`, admitting the members of `adminGroup`.
 */
export function proxyOidcEnv(provider: TestOidcProvider, client: { clientId: string; clientSecret: string }, proxyUrl: string, adminGroup: string): Record<string, string> {
  return {
    ADMIN_AUTH: "oidc",
    OIDC_ISSUER: provider.issuer,
    OIDC_CLIENT_ID: client.clientId,
    OIDC_CLIENT_SECRET: client.clientSecret,
    OIDC_REDIRECT_URL: `${proxyUrl}${callbackPath}`,
    OIDC_ADMIN_GROUP: adminGroup,
  };
}

export interface OidcProviderOptions {
  /** The ID token claim holding the user's groups: OIDC_GROUPS_CLAIM. */
  groupsClaim?: string;
  users?: TestUser[];
  clients?: TestClient[];
}

export function startOidcProvider(options: OidcProviderOptions = {}): Promise<TestOidcProvider> {
  const groupsClaim = options.groupsClaim ?? "cognito:groups";
  const users = new Map<string, TestUser>();
  const records = new Map<string, { payload: AdapterPayload; expiresAtMs: number }>();
  const addUser = (user: TestUser) => users.set(user.id, user);
  const addClient = (client: TestClient) =>
    records.set(`Client:${client.clientId}`, {
      payload: {
        client_id: client.clientId,
        ...(client.clientSecret === undefined ? { token_endpoint_auth_method: "none" } : { client_secret: client.clientSecret, token_endpoint_auth_method: "client_secret_basic" }),
        redirect_uris: client.redirectUris,
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
      expiresAtMs: Number.POSITIVE_INFINITY,
    });
  for (const user of options.users ?? []) addUser(user);
  for (const client of options.clients ?? []) addClient(client);

  return onFreePort(async (port) => {
    const issuer = `http://${loopback}:${port}`;
    const provider = new Provider(issuer, {
      adapter: memoryAdapter(records),
      findAccount: async (_ctx, id) => {
        const user = users.get(id);
        if (user === undefined) return undefined;
        return {
          accountId: id,
          claims: () => ({ sub: id, email: user.email, name: user.name, ...(user.groups && { [groupsClaim]: user.groups }) }),
        };
      },
      claims: { openid: ["sub", groupsClaim], email: ["email"], profile: ["name"] },
      // Scope claims in the ID token itself, as Cognito puts cognito:groups there.
      conformIdTokenClaims: false,
      cookies: { keys: [randomBytes(32).toString("base64url")] },
      jwks: { keys: [{ ...generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" }), kid: "test-key", use: "sig" }] },
      features: { devInteractions: { enabled: false } },
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      // Explicit lifetimes (seconds), which also keeps the provider from noticing their absence on every run.
      ttl: { Interaction: 600, Session: 3_600, Grant: 3_600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    });
    const callback = provider.callback();
    const server = createServer((request, response) => {
      const path = new URL(request.url ?? "/", issuer).pathname;
      if (!path.startsWith("/interaction/")) return callback(request, response);
      interact(provider, users, request, response).catch((error: unknown) => {
        response.writeHead(500, { "content-type": "text/plain" }).end(String(error));
      });
    });
    await listen(server, port);
    return {
      issuer,
      addUser,
      addClient,
      stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  });
}

/** The provider's interactions: GET shows the login or consent form, POST …/login checks the password, POST …/consent grants what the client asked. */
async function interact(provider: Provider, users: Map<string, TestUser>, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const details = await provider.interactionDetails(request, response);
  const action = `/interaction/${details.uid}`;
  if (request.method === "GET") return page(response, details.prompt.name === "login" ? loginForm(action, "") : consentForm(action, details.params.client_id));
  const form = new URLSearchParams(await text(request));
  if (details.prompt.name === "login") {
    const user = users.get(form.get("login") ?? "");
    if (user === undefined || user.password !== form.get("password")) return page(response, loginForm(action, "Wrong user or password."));
    return provider.interactionFinished(request, response, { login: { accountId: user.id } }, { mergeWithLastSubmission: false });
  }
  const accountId = details.session?.accountId ?? "";
  const grant = (details.grantId && (await provider.Grant.find(details.grantId))) || new provider.Grant({ accountId, clientId: details.params.client_id });
  const { missingOIDCScope, missingOIDCClaims } = details.prompt.details;
  if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(" "));
  if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
  return provider.interactionFinished(request, response, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
}

const loginForm = (action: string, error: string) => `<h1>Sign in to the test provider</h1><p class="error">${error}</p>
<form method="post" action="${action}"><label>User <input name="login" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label><button type="submit">Sign in</button></form>`;

const consentForm = (action: string, clientId: string) => `<h1>Allow ${clientId.replace(/[^\w.-]/g, "")} to know who you are?</h1>
<form method="post" action="${action}"><button type="submit">Allow</button></form>`;

function page(response: ServerResponse, body: string): void {
  response.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test OpenID provider</title></head><body>${body}</body></html>`);
}

async function text(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString("utf8");
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, loopback, () => resolve());
  });
}

/** oidc-provider's storage (sessions, interactions, codes, grants) in a Map, clients among them. */
function memoryAdapter(records: Map<string, { payload: AdapterPayload; expiresAtMs: number }>): new (model: string) => Adapter {
  const live = (key: string) => {
    const record = records.get(key);
    return record && record.expiresAtMs > Date.now() ? record.payload : undefined;
  };
  const findWhere = (model: string, match: (payload: AdapterPayload) => boolean) => {
    for (const key of records.keys()) {
      const payload = key.startsWith(`${model}:`) ? live(key) : undefined;
      if (payload && match(payload)) return payload;
    }
    return undefined;
  };
  return class MemoryAdapter implements Adapter {
    constructor(private readonly model: string) {}
    async upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined) {
      records.set(`${this.model}:${id}`, { payload, expiresAtMs: expiresIn === undefined ? Number.POSITIVE_INFINITY : Date.now() + expiresIn * 1_000 });
    }
    async find(id: string) {
      return live(`${this.model}:${id}`);
    }
    async findByUid(uid: string) {
      return findWhere(this.model, (payload) => payload.uid === uid);
    }
    async findByUserCode(userCode: string) {
      return findWhere(this.model, (payload) => payload.userCode === userCode);
    }
    async consume(id: string) {
      const payload = live(`${this.model}:${id}`);
      if (payload) payload.consumed = Math.floor(Date.now() / 1_000);
    }
    async destroy(id: string) {
      records.delete(`${this.model}:${id}`);
    }
    async revokeByGrantId(grantId: string) {
      for (const [key, { payload }] of records) if (payload.grantId === grantId) records.delete(key);
    }
  };
}
