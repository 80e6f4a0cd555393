import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";

/**
 * The admin cookies: HttpOnly (no script reads them), SameSite=Lax (sent on the provider's redirect
 * back to the callback, a top-level cross-site navigation that Strict would strip; every change is
 * still CSRF-checked, csrf.ts), and Secure when the operator reaches the proxy over https. Over
 * https they take the `__Host-` prefix, which the browser only accepts Secure, on Path=/ and without
 * Domain, so no sibling host can plant or shadow them.
 *
 * Over https means: OIDC_REDIRECT_URL is https (the deployment's public address says so), or this
 * request came over TLS, or its `X-Forwarded-Proto` is https. Trusting that header is safe here: a
 * client that sends it falsely only makes its own cookie Secure (its browser then drops it on http),
 * never anyone else's cookie weaker.
 */

export const sessionCookie = "abp-admin-session";
export const signInCookie = "abp-admin-sign-in";

export class AdminCookies {
  constructor(private readonly alwaysSecure: boolean) {}

  get(c: Context, name: string): string | undefined {
    return getCookie(c, name, "host") ?? getCookie(c, name);
  }

  set(c: Context, name: string, value: string, maxAgeS: number): void {
    const options = { httpOnly: true, sameSite: "Lax", path: "/", maxAge: Math.max(0, Math.floor(maxAgeS)) } as const;
    if (this.secure(c)) setCookie(c, name, value, { ...options, secure: true, prefix: "host" });
    else setCookie(c, name, value, options);
  }

  clear(c: Context, name: string): void {
    if (getCookie(c, name, "host") !== undefined) deleteCookie(c, name, { path: "/", secure: true, prefix: "host" });
    if (getCookie(c, name) !== undefined) deleteCookie(c, name, { path: "/" });
  }

  secure(c: Context): boolean {
    return this.alwaysSecure || requestScheme(c) === "https";
  }
}

/** The scheme the client used: the first X-Forwarded-Proto hop when a proxy or load balancer set one. */
export function requestScheme(c: Context): string {
  const forwarded = c.req.header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
  return forwarded || new URL(c.req.url).protocol.replace(/:$/, "");
}
