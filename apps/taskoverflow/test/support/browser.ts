import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/**
 * A real headless Chromium for tests of the HTML pages: Debian's `chromium`
 * (`apt-get install chromium`) or the browser named by CHROMIUM.
 */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

export interface OpenedPage {
  browser: Browser;
  page: Page;
  /** Console errors and uncaught exceptions, as they happen. */
  errors: string[];
  /** Requests the page made for anything but itself (file://, data:). */
  requests: string[];
}

/** Opens a local file in headless Chromium, recording errors and any request it makes beyond the file. */
export async function openInChromium(file: string, viewport = { width: 1400, height: 1000 }): Promise<OpenedPage> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM`);
  }
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    // As root in a container Chromium needs --no-sandbox; the page is our own file.
    args: ['--no-sandbox', '--disable-gpu'],
  });
  const page = await browser.newPage();
  await page.setViewport(viewport);
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(String(error)));
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    const url = request.url();
    if (url.startsWith('file://') || url.startsWith('data:')) void request.continue();
    else {
      requests.push(url);
      void request.abort();
    }
  });
  await page.goto(`file://${file}`);
  return { browser, page, errors, requests };
}
