/**
 * A browser reduced to what sign-in tests need: a cookie jar (per host, as browsers keep them:
 * ports share cookies; Path honoured; Max-Age and Expires end them), redirects followed by hand
 * (a 302 or 303 after a POST becomes a GET), and HTML forms submitted with the Origin a browser
 * would send. Traffic goes only where the tests point it: loopback.
 */

interface Cookie {
  name: string;
  value: string;
  path: string;
  expiresAtMs: number;
  /** The attributes as the server sent them (for tests of HttpOnly, SameSite, Secure). */
  raw: string;
}

export interface Page {
  url: string;
  status: number;
  headers: Headers;
  text: string;
}

const maxHops = 20;

export class CookieBrowser {
  readonly #jar = new Map<string, Map<string, Cookie>>();

  /** One request, no redirect followed; cookies sent and kept. */
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(target);
    if (cookie) headers.set("cookie", cookie);
    const response = await fetch(target, { ...init, headers, redirect: "manual" });
    this.#keep(target, response.headers.getSetCookie());
    return response;
  }

  /** A request and the redirects after it, as a browser follows them; `stopAt` ends the walk at the first URL it accepts, unfetched. */
  async navigate(url: string, init: RequestInit = {}, stopAt?: (url: URL) => boolean): Promise<Page> {
    let current = url;
    let currentInit = init;
    for (let hop = 0; hop < maxHops; hop++) {
      const response = await this.request(current, currentInit);
      const location = response.headers.get("location");
      if (response.status < 300 || response.status >= 400 || location === null) {
        return { url: current, status: response.status, headers: response.headers, text: await response.text() };
      }
      await response.body?.cancel();
      current = new URL(location, current).href;
      if (stopAt?.(new URL(current))) return { url: current, status: response.status, headers: response.headers, text: "" };
      const keepsMethod = response.status === 307 || response.status === 308;
      currentInit = keepsMethod ? currentInit : {};
    }
    throw new Error(`more than ${maxHops} redirects from ${url}`);
  }

  /** Submits the page's first POST form, its fields overridden by `fields`, and follows the redirects (to `stopAt`, as navigate). */
  submitForm(page: Page, fields: Record<string, string> = {}, stopAt?: (url: URL) => boolean): Promise<Page> {
    const form = formsOf(page.text)[0];
    if (form === undefined) throw new Error(`no form on ${page.url}:\n${page.text.slice(0, 500)}`);
    const action = new URL(form.action || page.url, page.url);
    const body = new URLSearchParams({ ...form.fields, ...fields });
    return this.navigate(action.href, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: new URL(page.url).origin },
      body,
    }, stopAt);
  }

  /** What the browser would send to this URL in its Cookie header. */
  cookieHeader(url: URL): string {
    return this.#cookiesFor(url).map((cookie) => `${cookie.name}=${cookie.value}`).join("; ");
  }

  /** A cookie the browser holds for this URL's host, by name. */
  cookie(url: string, name: string): Cookie | undefined {
    return this.#cookiesFor(new URL(url)).find((cookie) => cookie.name === name);
  }

  #cookiesFor(url: URL): Cookie[] {
    const now = Date.now();
    return [...(this.#jar.get(url.hostname)?.values() ?? [])].filter((cookie) => cookie.expiresAtMs > now && pathMatches(url.pathname, cookie.path));
  }

  #keep(url: URL, setCookies: string[]): void {
    const host = this.#jar.get(url.hostname) ?? new Map<string, Cookie>();
    this.#jar.set(url.hostname, host);
    for (const line of setCookies) {
      const cookie = parseSetCookie(line, url);
      host.set(`${cookie.path};${cookie.name}`, cookie);
    }
  }
}

function parseSetCookie(line: string, url: URL): Cookie {
  const [pair = "", ...attributes] = line.split(";").map((part) => part.trim());
  const equals = pair.indexOf("=");
  const cookie: Cookie = { name: pair.slice(0, equals), value: pair.slice(equals + 1), path: defaultPath(url), expiresAtMs: Number.POSITIVE_INFINITY, raw: line };
  for (const attribute of attributes) {
    const [key = "", value = ""] = attribute.split("=", 2);
    const name = key.toLowerCase();
    if (name === "path" && value.startsWith("/")) cookie.path = value;
    if (name === "max-age") cookie.expiresAtMs = Date.now() + Number(value) * 1_000;
    if (name === "expires" && !attributes.some((a) => a.toLowerCase().startsWith("max-age="))) cookie.expiresAtMs = Date.parse(value);
  }
  return cookie;
}

function defaultPath(url: URL): string {
  const slash = url.pathname.lastIndexOf("/");
  return slash <= 0 ? "/" : url.pathname.slice(0, slash);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  return requestPath.startsWith(cookiePath) && (cookiePath.endsWith("/") || requestPath[cookiePath.length] === "/");
}

/** The POST forms of a page: action and the named inputs' values (enough for the pages these tests meet). */
function formsOf(html: string): { action: string; fields: Record<string, string> }[] {
  return Array.from(html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi), ([, attributes = "", inner = ""]) => ({
    action: decodeEntities(attribute(attributes, "action") ?? ""),
    method: (attribute(attributes, "method") ?? "get").toLowerCase(),
    fields: Object.fromEntries(
      Array.from(inner.matchAll(/<input\b([^>]*)>/gi), ([, input = ""]) => [attribute(input, "name"), decodeEntities(attribute(input, "value") ?? "")] as const).filter(
        (entry): entry is [string, string] => entry[0] !== undefined,
      ),
    ),
  })).filter((form) => form.method === "post");
}

function attribute(attributes: string, name: string): string | undefined {
  return new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, "i").exec(attributes)?.slice(1).find((value) => value !== undefined);
}

function decodeEntities(text: string): string {
  return text.replace(/&(amp|quot|#39|#x27|lt|gt|#x2F);/g, (_, entity: string) => ({ amp: "&", quot: '"', "#39": "'", "#x27": "'", lt: "<", gt: ">", "#x2F": "/" })[entity] ?? "");
}
