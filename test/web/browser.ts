// The dashboard's browser tests share this: the built dashboard in Chromium (playwright-core)
// against a real taskd on a real port, fresh profiles, screenshots kept in test-results/, and a
// record of script errors and CSP refusals (the dashboard must run under its CSP). Tests are
// skipped, with the reason, when Chromium or the build is missing.
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const BUILT_PAGE = fileURLToPath(new URL('../../web/dist/index.html', import.meta.url));
const SCREENSHOTS = fileURLToPath(new URL('../../test-results/', import.meta.url));

export const DESKTOP = { width: 1440, height: 900 };
export const PHONE = { width: 390, height: 844 };

export const skipBrowserTests: string | false = !existsSync(CHROMIUM)
  ? `${CHROMIUM} is absent: install Debian's chromium to run the dashboard's browser tests`
  : !existsSync(BUILT_PAGE)
    ? 'web/dist is not built: run npm run build:web to test the dashboard'
    : false;
if (skipBrowserTests) console.log(`# dashboard tests skipped: ${skipBrowserTests}`);

export class DashboardBrowser {
  /** Script errors and CSP refusals seen on any page. */
  readonly problems: string[] = [];
  private browser?: Browser;

  async launch(): Promise<void> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    // launch() gives every browser a fresh, temporary profile (user data dir) of its own.
    this.browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }

  async close(): Promise<void> {
    await this.browser?.close();
  }

  async newPage(viewport: { width: number; height: number } = { width: 1100, height: 800 }): Promise<Page> {
    const page = await (await this.browser!.newContext({ viewport })).newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (err) => this.problems.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) this.problems.push(msg.text());
    });
    return page;
  }
}

export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SCREENSHOTS}dashboard-${name}.png`, fullPage: true });
}

export const stateOn = (page: Page) => page.getByTestId('task-state');
