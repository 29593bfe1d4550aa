import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/explain/html.js';
import { pinnedLeafVerifier, serverChain } from '../helpers/fixtures.js';
import { ensureBuilt, runCli, stopCliProcesses } from '../cli/cli.js';
import { explained } from './support.js';

/**
 * The explain page in a real browser: Debian's chromium, headless, with a fresh profile. The
 * page must render without a console error or an uncaught exception, its script must work
 * (open all, follow a record link), and a screenshot of its top is written under
 * test-output/explain/chromium/. With WIRETLS_UPDATE_SCREENSHOT=1 the screenshot also replaces
 * docs/explain-screenshot.png (the README's).
 */

const CHROMIUM = '/usr/bin/chromium';
const REQUIRED = process.env.WIRETLS_REQUIRE_RUNTIMES === '1';
const present = existsSync(CHROMIUM);
if (!present) {
  const reason = `chromium test: ${CHROMIUM} is missing (apt-get install chromium)`;
  if (REQUIRED) throw new Error(`${reason}, and WIRETLS_REQUIRE_RUNTIMES=1`);
  console.log(`${reason}; skipped`);
}

const OUT = fileURLToPath(new URL('../../test-output/explain/chromium/', import.meta.url));
const SCREENSHOT = fileURLToPath(new URL('../../docs/explain-screenshot.png', import.meta.url));
let profile: string;

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  profile = mkdtempSync(join(tmpdir(), 'wiretls-chromium-'));
  await ensureBuilt();
}, 120_000);

afterAll(() => {
  stopCliProcesses();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

interface Seen {
  errors: string[];
  requests: string[];
}

/** Opens `file` in headless chromium, runs `act`, and reports console errors and requests. */
async function inChromium(file: string, act: (page: import('playwright-core').Page) => Promise<void>): Promise<Seen> {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1200, height: 900 },
  });
  const seen: Seen = { errors: [], requests: [] };
  try {
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') seen.errors.push(message.text());
    });
    page.on('pageerror', (error) => seen.errors.push(String(error)));
    page.on('request', (request) => seen.requests.push(request.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    await act(page);
  } finally {
    await context.close();
  }
  return seen;
}

describe.skipIf(!present)('explain page in headless chromium', () => {
  it('the demo page: no console error, no request but the file, its script works, a screenshot of the top', async () => {
    const file = join(OUT, 'demo.html');
    const result = await runCli(['demo', '--explain', file]);
    expect(result.status, result.stderr).toBe(0);
    const shot = join(OUT, 'demo-top.png');
    const seen = await inChromium(file, async (page) => {
      await page.screenshot({ path: shot });
      expect(await page.locator('details[open]').count()).toBe(0);
      await page.click('#open-all');
      expect(await page.locator('details.record[open]').count()).toBe(await page.locator('details.record').count());
      await page.click('#close-all');
      await page.click('a[href="#record-0"]');
      expect(await page.locator('#record-0').getAttribute('open')).not.toBeNull();
      expect(await page.locator('h2').first().textContent()).toBe('The conversation at a glance');
    });
    expect(seen.errors).toEqual([]);
    // Self-contained: the page itself is the only thing loaded.
    expect(seen.requests.filter((url) => !url.startsWith('file://'))).toEqual([]);
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    if (process.env.WIRETLS_UPDATE_SCREENSHOT === '1') {
      mkdirSync(dirname(SCREENSHOT), { recursive: true });
      copyFileSync(shot, SCREENSHOT);
    }
  }, 60_000);

  it('a failed handshake page and a redacted page render without errors too', async () => {
    const r = await explained({ client: { verifier: pinnedLeafVerifier(serverChain('ecdsa-p256')[0]!) }, expectFailure: true });
    for (const [name, redact] of [
      ['failed', false],
      ['failed-redacted', true],
    ] as const) {
      const file = join(OUT, `${name}.html`);
      writeFileSync(file, renderHtml(r.model('client'), { redact }));
      const seen = await inChromium(file, async (page) => {
        await page.click('#open-all');
        await page.screenshot({ path: join(OUT, `${name}-top.png`) });
        expect(await page.locator('.outcome.bad').count()).toBe(1);
      });
      expect(seen.errors).toEqual([]);
    }
  }, 60_000);
});
