import type { Page } from '@playwright/test';
import { PASSWORD, checkA11y, expect, screenshot, signIn, signOut, test } from './fixtures';

/** Signs in any seeded account by e-mail (the second admin is not among the fixture's roles). */
async function signInEmail(page: Page, email: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
}

test.describe('vendors', () => {
  test('the list masks bank details and shows which await verification', async ({ page }) => {
    await signIn(page, 'analyst');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Vendors' }).click();
    await expect(page.getByRole('heading', { name: 'Vendors', level: 1 })).toBeVisible();
    const acme = page.getByRole('row').filter({ hasText: 'Acme Steel Inc.' });
    await expect(acme).toContainText('•••• 6789');
    await expect(acme).toContainText('Verified');
    await expect(acme).not.toContainText('000123456789');
    const globex = page.getByRole('row').filter({ hasText: 'Globex Corporation' });
    await expect(globex).toContainText('Awaiting verification');
    await checkA11y(page, 'vendors');
    await screenshot(page, 'vendors');

    await page.getByRole('searchbox', { name: 'Search' }).fill('Globex');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect(page).toHaveURL(/q=Globex/);
    await expect(page.getByRole('table').getByRole('row')).toHaveCount(2);
    await page.getByRole('searchbox', { name: 'Search' }).fill('no-such-vendor-anywhere');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect(page.getByText('No vendor matches this search.')).toBeVisible();
  });

  test('create, edit, bank change awaiting verification, verified by a different admin', async ({ page }) => {
    const name = `Initech ${Date.now().toString(36)}`;
    await signIn(page, 'admin');
    await page.goto('/vendors');
    await page.getByRole('button', { name: 'New vendor' }).click();
    const dialog = page.getByRole('dialog', { name: 'New vendor' });
    await dialog.getByLabel('Name (required)').fill(name);
    await dialog.getByLabel('Currency (required)').fill('USD');
    await dialog.getByLabel('Country').fill('US');
    await dialog.getByLabel('Payment terms', { exact: true }).fill('net 30');
    await dialog.getByRole('combobox', { name: 'Account type' }).selectOption('us');
    await dialog.getByRole('textbox', { name: 'Routing number' }).fill('021000021');
    await dialog.getByRole('textbox', { name: 'Account number' }).fill('987654321012');
    await checkA11y(page, 'vendors (new vendor dialog)');
    await dialog.getByRole('button', { name: 'Create vendor' }).click();

    await expect(page).toHaveURL(/\/vendors\/[0-9a-f-]{36}$/);
    const vendorUrl = new URL(page.url()).pathname;
    await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
    const bank = page.getByRole('region', { name: 'Bank details' });
    await expect(bank.getByText('US account ending in 1012')).toBeVisible();
    await expect(bank).not.toContainText('987654321012');
    await expect(bank).toContainText('Awaiting verification');
    await expect(bank).toContainText('You entered these details: a different person must verify them.');

    // The person who entered them may not verify them: the API's 403 in words.
    await bank.getByRole('button', { name: 'Verify bank details' }).click();
    const refused = bank.getByRole('alert');
    await expect(refused).toContainText('The bank details were not verified');
    await expect(refused).toContainText('permission');
    await expect(refused).toContainText('Request id');
    await checkA11y(page, 'vendor detail');
    await screenshot(page, 'vendor-detail');

    // Edit the master data.
    await page.getByRole('button', { name: 'Edit vendor' }).click();
    await page.getByLabel('Payment terms (days)').fill('30');
    await page.getByLabel('Category').fill('software');
    await page.getByRole('button', { name: 'Save vendor' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Vendor saved.' })).toBeVisible();
    await expect(page.getByRole('region', { name: 'Details', exact: true })).toContainText('net 30 (30 days)');
    await expect(page.getByRole('region', { name: 'Details', exact: true })).toContainText('software');

    // A second admin verifies.
    await signOut(page);
    await signInEmail(page, 'admin2@example.com');
    await page.goto(vendorUrl);
    const bank2 = page.getByRole('region', { name: 'Bank details' });
    await expect(bank2).toContainText('Awaiting verification');
    await bank2.getByRole('button', { name: 'Verify bank details' }).click();
    await expect(bank2.locator('.badge').filter({ hasText: 'Verified' })).toBeVisible();
    await expect(bank2).toContainText('by you');
    await expect(bank2.getByRole('button', { name: 'Verify bank details' })).toHaveCount(0);

    // A change puts them back to awaiting verification.
    await bank2.getByRole('button', { name: 'Change bank details' }).click();
    await bank2.getByRole('combobox', { name: 'Account type' }).selectOption('us');
    await bank2.getByRole('textbox', { name: 'Routing number' }).fill('026009593');
    await bank2.getByRole('textbox', { name: 'Account number' }).fill('111122223333');
    await bank2.getByRole('button', { name: 'Save bank details' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'await verification' })).toBeVisible();
    await expect(bank2.getByText('US account ending in 3333')).toBeVisible();
    await expect(bank2).toContainText('Awaiting verification');
    await expect(bank2).not.toContainText('111122223333');
  });
});
