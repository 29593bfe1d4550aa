import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { STARTUP_TIMEOUT_MS, withTimeout } from './harness.js';

/**
 * The system browsers, driven by puppeteer-core: CDP for Chromium, WebDriver BiDi for Firefox
 * ESR. Nothing is downloaded: puppeteer-core ships no browser and is pointed at /usr/bin.
 */
export interface BrowserKind {
  name: string;
  product: 'chrome' | 'firefox';
  executable: string;
  args: readonly string[];
}

export const BROWSERS: readonly BrowserKind[] = [
  {
    name: 'Chromium',
    product: 'chrome',
    executable: '/usr/bin/chromium',
    // No network of its own beyond what the page does: no QUIC, updates, sync or first-run.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  },
  { name: 'Firefox ESR', product: 'firefox', executable: '/usr/bin/firefox-esr', args: [] },
];

export interface RunningBrowser {
  browser: Browser;
  pid: number | undefined;
  close(): Promise<void>;
}

/** Launches `kind` headless with a fresh profile; close() ends it by PID if it does not quit. */
export async function launch(kind: BrowserKind): Promise<RunningBrowser> {
  const profile = mkdtempSync(join(tmpdir(), `wiretls-${kind.product}-`));
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      browser: kind.product,
      executablePath: kind.executable,
      headless: true,
      userDataDir: profile,
      args: [...kind.args],
      // Firefox takes 4-16 s to start on a loaded 2-core machine.
      timeout: 2 * STARTUP_TIMEOUT_MS,
      protocolTimeout: 60_000,
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  const pid = browser.process()?.pid;
  return {
    browser,
    pid,
    async close() {
      try {
        await withTimeout(browser.close(), 10_000, `${kind.name} to close`);
      } catch {
        // puppeteer starts the browser as the leader of its own process group (detached), so
        // its content and GPU processes go with it.
        if (pid !== undefined) {
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
