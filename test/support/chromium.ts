import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** Debian's chromium package; `.ci/run` installs it (scripts/test-prerequisites.sh). */
const chromiumPath = "/usr/bin/chromium";

/**
 * A real headless Chromium driven by playwright-core, for the portal's browser tests. Without the
 * binary the test fails saying how to install it: a browser test that skips itself proves nothing.
 * `--no-sandbox`: tests may run as root (CI containers), where Chromium's own sandbox cannot start.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: apt-get install chromium (scripts/test-prerequisites.sh installs it)`);
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: ["--no-sandbox"] });
}
