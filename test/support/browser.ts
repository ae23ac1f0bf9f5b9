/**
 * Headless Chromium for the WebAdmin browser tests: Debian's `chromium` package (installed by
 * .ci/run) driven by playwright-core, never a browser downloaded by a test tool. The flags keep
 * Chromium off the network it cannot reach here (background networking, component updates, sync)
 * and let it run as root in CI. `chromiumPath()` is undefined when no Chromium is installed: suites
 * skip with CHROMIUM_MISSING then. Each launch gets its own empty profile (playwright makes one).
 * `screenshot` writes docs/screenshots/<name>.png only when STRATO_SCREENSHOTS=1, so a normal test
 * run never changes the checkout.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function chromiumPath(): string | undefined {
  const fromEnv = process.env.STRATO_CHROMIUM;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  return CANDIDATES.find((p) => existsSync(p));
}

export const CHROMIUM_MISSING = 'chromium is not installed (apt-get install chromium): browser tests skipped';

export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error(CHROMIUM_MISSING);
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/** A new page that accepts the local cluster's self-signed certificate. */
export async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: { width: 1280, height: 800 },
  });
  return context.newPage();
}

const SCREENSHOT_DIR = new URL('../../docs/screenshots/', import.meta.url).pathname;

/** Save a full-page screenshot for the README, only when STRATO_SCREENSHOTS=1. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.STRATO_SCREENSHOTS !== '1') return;
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}
