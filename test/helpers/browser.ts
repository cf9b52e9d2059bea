// Debian's chromium driven by playwright-core (which downloads no browser of its own), for
// tests that open what podpath writes as a person would. Headless, with the flags that keep
// chromium from calling out of this machine; every request a page makes is recorded, and
// anything but the page's own file and data: URLs is refused and reported.
import { chromium, type Browser, type Page } from 'playwright-core';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: FLAGS });
}

export interface WatchedPage {
  page: Page;
  /** Console errors and uncaught exceptions. */
  errors: string[];
  /** Every URL the page asked for other than the allowed ones. */
  requests: string[];
  /** Every alert/confirm/prompt a script opened. */
  dialogs: string[];
}

/** A fresh page that may load only `allowed` (the file under test) and data: URLs. */
export async function watchedPage(browser: Browser, allowed: string[]): Promise<WatchedPage> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const watched: WatchedPage = { page, errors: [], requests: [], dialogs: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') watched.errors.push(m.text());
  });
  page.on('pageerror', (e) => watched.errors.push(String(e)));
  page.on('dialog', (d) => {
    watched.dialogs.push(d.message());
    void d.dismiss();
  });
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (allowed.includes(url) || url.startsWith('data:')) return route.continue();
    watched.requests.push(url);
    return route.abort();
  });
  return watched;
}
