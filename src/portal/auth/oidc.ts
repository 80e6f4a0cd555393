import * as client from "openid-client";
import type { AdminActor } from "../../gateway/audit/audit-entry.ts";
import type { PendingSignIn } from "./session-store.ts";

export interface OidcSettings {
  /** OIDC_ISSUER: its `/.well-known/openid-configuration` is read on first use. */
  issuer: string;
  clientId: string;
  /** Unset for a public client (PKCE alone). */
  clientSecret: string | undefined;
  /** OIDC_REDIRECT_URL: this proxy's /admin/auth/callback as the browser reaches it, registered with the provider. */
  redirectUrl: string;
  /** OIDC_ADMIN_GROUP: unset, any user the provider signs in is an admin. */
  adminGroup: string | undefined;
  /** OIDC_GROUPS_CLAIM: the ID token claim listing the user's groups. */
  groupsClaim: string;
}

/** What the provider's answer came to: an admin, or a user we refuse (with who they are, for the page that says so). */
export type SignInOutcome = { admitted: true; actor: AdminActor } | { admitted: false; who: string; group: string };

/**
 * The OpenID Connect authorization-code flow with PKCE, by openid-client (a certified relying
 * party): discovery, state, nonce and PKCE checks, and the ID token's signature checked against the
 * issuer's JWKS (`enableNonRepudiationChecks`; without it the library trusts TLS for the token
 * endpoint's answer). Discovery happens on the first sign-in and is retried on the next after a
 * failure, so a provider that is down does not stop the proxy from starting.
 */
export class OidcSignIn {
  #configuration: Promise<client.Configuration> | undefined;

  constructor(private readonly settings: OidcSettings) {}

  /** Where to send the browser, and what its callback must match. */
  async begin(returnTo: string): Promise<{ url: URL; pending: Omit<PendingSignIn, "kind" | "id" | "expiresAt"> }> {
    const configuration = await this.#discover();
    const codeVerifier = client.randomPKCECodeVerifier();
    const pending = { state: client.randomState(), nonce: client.randomNonce(), codeVerifier, returnTo };
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.settings.redirectUrl,
      scope: "openid email profile",
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: "S256",
      state: pending.state,
      nonce: pending.nonce,
    });
    return { url, pending };
  }

  /**
   * Redeems the callback's code. `query` is the callback's query string: the URL checked is
   * OIDC_REDIRECT_URL with it, as the provider sent the browser there, whatever address this
   * replica sees behind a load balancer. Throws on any failed check (state, nonce, signature, audience, expiry).
   */
  async finish(query: string, pending: PendingSignIn): Promise<SignInOutcome> {
    const configuration = await this.#discover();
    const callback = new URL(this.settings.redirectUrl);
    callback.search = query;
    const tokens = await client.authorizationCodeGrant(configuration, callback, {
      pkceCodeVerifier: pending.codeVerifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    if (claims === undefined) throw new Error("the provider returned no ID token");
    const actor = oidcActor(claims);
    const group = this.settings.adminGroup;
    if (group !== undefined && !groupsOf(claims[this.settings.groupsClaim]).includes(group)) return { admitted: false, who: actor.email ?? actor.name ?? actor.subject, group };
    return { admitted: true, actor };
  }

  #discover(): Promise<client.Configuration> {
    this.#configuration ??= this.#discovery().catch((error: unknown) => {
      this.#configuration = undefined;
      throw error;
    });
    return this.#configuration;
  }

  #discovery(): Promise<client.Configuration> {
    const { issuer, clientId, clientSecret } = this.settings;
    const authentication = clientSecret === undefined ? client.None() : client.ClientSecretBasic(clientSecret);
    // http:// is accepted only for a loopback issuer (the config refuses others): a provider on the operator's own machine, or the tests'.
    const execute = [client.enableNonRepudiationChecks, ...(new URL(issuer).protocol === "http:" ? [client.allowInsecureRequests] : [])];
    return client.discovery(new URL(issuer), clientId, clientSecret, authentication, { execute });
  }
}

function oidcActor(claims: client.IDToken): Extract<AdminActor, { via: "oidc" }> {
  const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);
  const email = text(claims.email);
  const name = text(claims.name) ?? text(claims.preferred_username);
  return { via: "oidc", subject: claims.sub, ...(email && { email }), ...(name && { name }) };
}

/** A groups claim is a list of names (Cognito, Okta, Keycloak, Entra ID); a single name is taken as a list of one. */
function groupsOf(claim: unknown): string[] {
  if (typeof claim === "string") return [claim];
  return Array.isArray(claim) ? claim.filter((group): group is string => typeof group === "string") : [];
}
