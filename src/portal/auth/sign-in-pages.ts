import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

/**
 * The pages of signing in, served before there is a session: the master-key form, the OIDC button,
 * and the refusal. Plain HTML with no script, so they work with every browser setting; `html`
 * escapes every value put into them.
 */

type Page = HtmlEscapedString | Promise<HtmlEscapedString>;

const style = `body{font:16px/1.5 system-ui,sans-serif;max-width:26rem;margin:12vh auto;padding:0 1rem;color:#1f2328}
h1{font-size:1.4rem}label{display:block;font-weight:600;margin-bottom:.3rem}
input[type=password]{width:100%;box-sizing:border-box;padding:.5rem;font:inherit}
button,a.button{display:inline-block;margin-top:1rem;padding:.5rem 1rem;font:inherit;border:0;border-radius:4px;background:#0b57d0;color:#fff;text-decoration:none;cursor:pointer}
.error{color:#b3261e;border-left:3px solid #b3261e;padding-left:.6rem}`;

function layout(title: string, body: Page): Page {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title} · Bedrock proxy admin</title><style>${raw(style)}</style></head>
<body><main>${body}</main></body>
</html>`;
}

export function masterKeyForm(options: { next: string; error?: string | undefined; disabled: boolean }): Page {
  if (options.disabled) return layout("Sign in", html`<h1>Sign in</h1><p class="error">The admin portal is disabled: set MASTER_API_KEY, or ADMIN_AUTH=oidc.</p>`);
  const error = options.error === undefined ? "" : html`<p class="error" role="alert">${options.error}</p>`;
  return layout(
    "Sign in",
    html`<h1>Sign in</h1>${error}
<form method="post" action="/admin/sign-in">
<input type="hidden" name="next" value="${options.next}">
<label for="master_key">Master key</label>
<input id="master_key" name="master_key" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>
</form>`,
  );
}

export function oidcStart(options: { next: string; error?: string | undefined }): Page {
  const error = options.error === undefined ? "" : html`<p class="error" role="alert">${options.error}</p>`;
  return layout("Sign in", html`<h1>Sign in</h1>${error}<a class="button" href="/admin/auth/login?next=${encodeURIComponent(options.next)}">Sign in with your identity provider</a>`);
}

export function refusedPage(who: string, group: string): Page {
  return layout(
    "Access refused",
    html`<h1>Access refused</h1><p>You are signed in at your identity provider as <strong>${who}</strong>, but not as a member of the group <strong>${group}</strong>, which the admin portal requires.</p>
<p>Ask an administrator to add you to it, then <a href="/admin/sign-in">sign in again</a>.</p>`,
  );
}
