import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import Provider, { type Adapter, type AdapterPayload } from "oidc-provider";
import { loopback, onFreePort } from "./service-process.ts";

/**
 * A real OpenID provider for tests (`oidc-provider`, a certified OP) on a free loopback port: the
 * authorization-code flow with PKCE, ID tokens signed with a fresh RSA key and published at its
 * JWKS, and its own login and consent forms (the development ones: the login is the user's id, the
 * password is not checked). Users and clients are added while it runs, so a client can name a
 * redirect URL whose port is only known once the proxy has started.
 */

export interface TestUser {
  /** The `sub` claim, and what the login form takes. */
  id: string;
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
      features: { devInteractions: { enabled: true } },
    });
    const server = createServer(provider.callback());
    await listen(server, port);
    return {
      issuer,
      addUser,
      addClient,
      stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  });
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
