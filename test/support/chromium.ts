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
