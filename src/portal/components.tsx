/** @jsxImportSource hono/jsx */
import type { Child } from "hono/jsx";
import type { z } from "zod";
import type { AdminActor } from "../gateway/audit/audit-entry.ts";

/**
 * What every portal page is made of: the layout with its navigation, form fields that show their
 * validation error beside them, the CSRF field every form carries, and charts (a `data-chart`
 * element that assets/portal.js draws with uPlot). JSX escapes every text and attribute, so a key
 * named `<script>` is shown as text.
 */

export const sections = [
  { path: "/admin", label: "Overview" },
  { path: "/admin/keys", label: "Keys" },
  { path: "/admin/usage", label: "Usage" },
  { path: "/admin/pricing", label: "Pricing" },
  { path: "/admin/aliases", label: "Model aliases" },
  { path: "/admin/containers", label: "PTC containers" },
  { path: "/admin/audit", label: "Audit log" },
] as const;
export type Section = (typeof sections)[number]["label"];

/** What each page gets from the request: the session's CSRF token (undefined when the master key was presented). */
export interface PageContext {
  csrfToken: string | undefined;
  /** Who is signed in, as shown in the header. */
  who: string;
}

export function Layout(props: { page: PageContext; title: string; section: Section; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title} · Bedrock proxy admin</title>
        <link rel="stylesheet" href="/admin/assets/uPlot.min.css" />
        <link rel="stylesheet" href="/admin/assets/portal.css" />
        <script src="/admin/assets/uPlot.iife.min.js" defer></script>
        <script src="/admin/assets/portal.js" defer></script>
      </head>
      <body>
        <header>
          <nav aria-label="Sections">
            {sections.map((s) => (
              <a href={s.path} aria-current={s.label === props.section ? "page" : undefined}>
                {s.label}
              </a>
            ))}
          </nav>
          <form method="post" action="/admin/sign-out" class="sign-out">
            <span>{props.page.who}</span>
            <CsrfField page={props.page} />
            <button type="submit">Sign out</button>
          </form>
        </header>
        <main>
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** The field i11-auth's CSRF check reads (src/portal/auth/csrf.ts) on every change made with a session. */
export function CsrfField(props: { page: PageContext }) {
  return props.page.csrfToken === undefined ? null : <input type="hidden" name="_csrf" value={props.page.csrfToken} />;
}

/** Validation errors by field name (the first path element of each zod issue). */
export type FieldErrors = Record<string, string>;

/** `name` says which form field an issue's path belongs to; by default its first element. */
export function fieldErrors(error: z.ZodError, name = (path: readonly PropertyKey[]) => String(path[0] ?? "form")): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of error.issues) {
    const field = name(issue.path);
    errors[field] ??= issue.message;
  }
  return errors;
}

export function Field(props: { name: string; label: string; value?: string | undefined; errors?: FieldErrors; type?: string; hint?: string; multiline?: boolean; required?: boolean }) {
  const id = `field-${props.name}`;
  const error = props.errors?.[props.name];
  const described = error ? `${id}-error` : undefined;
  return (
    <div class={error ? "field invalid" : "field"}>
      <label for={id}>{props.label}</label>
      {props.multiline ? (
        <textarea id={id} name={props.name} rows={3} aria-invalid={error ? "true" : undefined} aria-describedby={described}>
          {props.value ?? ""}
        </textarea>
      ) : (
        <input id={id} name={props.name} type={props.type ?? "text"} value={props.value ?? ""} required={props.required} aria-invalid={error ? "true" : undefined} aria-describedby={described} />
      )}
      {props.hint && <small>{props.hint}</small>}
      {error && (
        <p class="error" id={described} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

export function Select(props: { name: string; label: string; value: string; options: readonly string[] }) {
  const id = `field-${props.name}`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select id={id} name={props.name}>
        {props.options.map((option) => (
          <option value={option} selected={option === props.value}>
            {option || "(default)"}
          </option>
        ))}
      </select>
    </div>
  );
}

/** A filter form's choice: its label and a select whose empty option, "any", filters nothing. */
export function FilterSelect(props: { name: string; label: string; value: string | undefined; options: readonly string[] }) {
  return (
    <>
      <label for={props.name}>{props.label}</label>
      <select id={props.name} name={props.name}>
        {["", ...props.options].map((option) => (
          <option value={option} selected={option === (props.value ?? "")}>{option || "any"}</option>
        ))}
      </select>
    </>
  );
}

/** A time series for assets/portal.js: x in Unix seconds, one value array per series. */
export interface ChartData {
  x: number[];
  series: { label: string; values: number[] }[];
}

export function Chart(props: { title: string; data: ChartData }) {
  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <div data-chart={JSON.stringify(props.data)} role="img" aria-label={`${props.title} chart; exact values in the table below`}></div>
    </figure>
  );
}

export function Notice(props: { children: Child }) {
  return (
    <p class="notice" role="status">
      {props.children}
    </p>
  );
}

/** An admin as the header and the audit log name them. */
export function who(actor: AdminActor): string {
  return actor.via === "oidc" ? (actor.email ?? actor.name ?? actor.subject) : actor.via === "cli" ? "keys CLI" : "master key";
}

export const formatUsd = (usd: number) => `$${usd >= 1 ? usd.toFixed(2) : usd.toFixed(6)}`;
export const formatCount = (n: number) => n.toLocaleString("en-US");
export const formatTime = (iso: string | null) => (iso === null ? "—" : iso.replace("T", " ").slice(0, 19));
