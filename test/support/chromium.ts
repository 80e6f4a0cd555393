import { test } from "bun:test";
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** Debian's chromium package; `.ci/run` installs it (scripts/test-prerequisites.sh). */
const chromiumPath = "/usr/bin/chromium";

/**
 * Switches Playwright does not set itself. It already runs Chromium headless, without its sandbox (tests
 * may run as root), on a fresh profile, with background networking, component updates, sync and the
 * first-run page off. Debian's build still reaches for Google on its own (it ships API keys): autofill
 * asks content-autofill.googleapis.com about every form a page shows, with retries, and it looks up
 * accounts.google.com and update.googleapis.com: hundreds of lookups per test file, each taking up to 5 s to fail on
 * a closed network, traffic a test run must not send (stopping them did not cure the page stall,
 * docs/portal-browser-stall.md).
 * `MAP * ~NOTFOUND` fails every lookup at once; the tests only visit 127.0.0.1, excluded (an address, but
 * the rule would match it too).
 * `--disable-gpu`: software compositing in the browser process, instead of a GPU process emulating one in software.
 */
const args = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--disable-gpu"];

/**
 * A real headless Chromium driven by playwright-core, for the portal's browser tests. Without the
 * binary the test fails saying how to install it: a browser test that skips itself proves nothing.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: apt-get install chromium (scripts/test-prerequisites.sh installs it)`);
  return chromium.launch({ executablePath: chromiumPath, headless: true, args });
}

/**
 * Settles like `step`, or rejects once `ms` have passed. Some of Playwright's calls take no timeout (`count`,
 * `content`, `evaluate`, `allTextContents`) and wait for as long as a stalled page holds its execution
 * context (docs/portal-browser-stall.md): past bun's own test timeout, which then kills the browser and with
 * it every later test of the file. Bounded, the test fails alone and its retry runs on a fresh page.
 */
export async function within<T>(ms: number, step: Promise<T>): Promise<T> {
  let timer: Timer | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the page did not answer within ${ms} ms (docs/portal-browser-stall.md)`)), ms);
  });
  try {
    return await Promise.race([step, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Under bun's own timeout, which kills the browser: a stalled test fails alone. */
const pageLimitMs = 60_000;

/**
 * A browser test: bounded by `pageLimitMs` and run once more after a stall (a page stalls now and then on a
 * loaded machine: docs/portal-browser-stall.md). The retry must find a page of its own: a test file that
 * shares one gives each test a fresh page in `beforeEach`.
 */
export function browserTest(name: string, body: () => Promise<void>): void {
  test(name, () => within(pageLimitMs, body()), { timeout: pageLimitMs + 30_000, retry: 1 });
}
