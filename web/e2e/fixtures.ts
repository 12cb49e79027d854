import { test as base, expect, type Page, type APIRequestContext } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PASSWORD = 'demo-password';
export const USERS = {
  admin: 'admin@example.com',
  analyst: 'analyst@example.com',
  approver: 'approver@example.com',
  clerk: 'clerk@example.com',
  auditor: 'auditor@example.com',
} as const;
export type Who = keyof typeof USERS;

const here = dirname(fileURLToPath(import.meta.url));
export const SCREENSHOTS = join(here, 'screenshots');
/** The shared corpus beside the checkout (`../shared/corpus` from the repository root). */
export const CORPUS = process.env.AP_CORPUS_DIR ?? join(here, '..', '..', '..', 'shared', 'corpus');

export const test = base.extend<{ cspGuard: undefined }>({
  // globalSetup sets E2E_BASE_URL after the config was read: take it here.
  baseURL: async ({}, use) => {
    await use(process.env.E2E_BASE_URL);
  },
  // Every test fails on a Content-Security-Policy violation or an uncaught page error.
  cspGuard: [
    async ({ page }, use) => {
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
      await use(undefined);
      expect(problems, 'CSP violations and uncaught errors').toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };

/** Signs in through the form; lands on the user's landing page (or `next`). */
export async function signIn(page: Page, who: Who, path = '/'): Promise<void> {
  await page.goto(path);
  await page.getByLabel('Email').fill(USERS[who]);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: /^Account:/ }).click();
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
}

/** axe-core on the current screen: no serious or critical violation. */
export async function checkA11y(page: Page, screen: string): Promise<void> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    `accessibility of ${screen}`,
  ).toEqual([]);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** A bearer token for API checks (the JSON login form, as API clients use it). */
export async function apiToken(request: APIRequestContext, who: Who): Promise<string> {
  const res = await request.post('/api/v1/auth/login', { data: { email: USERS[who], password: PASSWORD } });
  expect(res.status(), await res.text()).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

export async function apiGet<T>(request: APIRequestContext, token: string, path: string): Promise<T> {
  const res = await request.get(path, { headers: { Authorization: `Bearer ${token}` } });
  expect(res.status(), await res.text()).toBe(200);
  return (await res.json()) as T;
}

interface InvoiceItem {
  id: string;
  invoice_number: string | null;
  status: string;
}

/** Waits until the invoice with that number exists (and optionally has a status); its id. */
export async function invoiceByNumber(
  request: APIRequestContext,
  token: string,
  number: string,
  status?: string,
): Promise<string> {
  let id = '';
  await expect
    .poll(
      async () => {
        const page = await apiGet<{ items: InvoiceItem[] }>(request, token, `/api/v1/invoices?q=${encodeURIComponent(number)}&limit=20`);
        const hit = page.items.find((i) => i.invoice_number === number);
        id = hit?.id ?? '';
        return hit ? (status ? hit.status : 'found') : 'missing';
      },
      { timeout: 120_000, intervals: [500, 1000, 2000] },
    )
    .toBe(status ?? 'found');
  return id;
}
