import { apiToken, checkA11y, expect, invoiceByNumber, screenshot, signIn, test } from './fixtures';

const navNames = async (page: import('@playwright/test').Page) =>
  page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();

test.describe('role visibility', () => {
  test('a clerk uploads but sees no Record payment, Approvals or Payments', async ({ page, request }) => {
    const token = await apiToken(request, 'clerk');
    // ACME-1001 is approved touchless by the demo data.
    const id = await invoiceByNumber(request, token, 'ACME-1001', 'approved');
    await signIn(page, 'clerk');
    expect(await navNames(page)).toEqual(['Invoices', 'Exceptions', 'Vendors', 'Purchase orders']);
    await expect(page.getByLabel('Upload invoices')).toBeAttached();
    await page.goto(`/invoices/${id}`);
    await expect(page.getByRole('heading', { name: 'Invoice ACME-1001' })).toBeVisible();
    await expect(page.getByText('Approved', { exact: true }).first()).toBeVisible();
    await expect(page.getByRole('button', { name: 'Record payment' })).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Re-extract' })).toHaveCount(0);
  });

  test('an approver sees no upload', async ({ page }) => {
    await signIn(page, 'approver');
    expect(await navNames(page)).toEqual(['Invoices', 'Exceptions', 'Approvals', 'Vendors', 'Purchase orders']);
    await page.getByRole('link', { name: 'Invoices' }).click();
    await expect(page.getByRole('heading', { name: 'Invoices' })).toBeVisible();
    await expect(page.getByRole('table')).toBeVisible();
    await expect(page.getByLabel('Upload invoices')).toHaveCount(0);
  });

  test('an admin sees Payments and Record payment on an approved invoice', async ({ page, request }) => {
    const token = await apiToken(request, 'admin');
    const id = await invoiceByNumber(request, token, 'ACME-1001', 'approved');
    await signIn(page, 'admin');
    expect(await navNames(page)).toEqual(['Invoices', 'Exceptions', 'Approvals', 'Vendors', 'Purchase orders', 'Payments']);
    await page.goto(`/invoices/${id}`);
    await expect(page.getByRole('button', { name: 'Record payment' })).toBeVisible();
  });

  test('the invoice list filters live in the URL', async ({ page }) => {
    await signIn(page, 'analyst');
    await page.getByLabel('Status').selectOption('approved');
    await expect(page).toHaveURL(/status=approved/);
    await page.getByLabel('Search').fill('ACME-1001');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect(page).toHaveURL(/q=ACME-1001/);
    const rows = page.getByRole('table').getByRole('row');
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(1)).toContainText('ACME-1001');
    await expect(rows.nth(1)).toContainText('$3,700.00');
    await page.reload();
    await expect(page.getByLabel('Status')).toHaveValue('approved');
    await expect(page.getByLabel('Search')).toHaveValue('ACME-1001');
    await page.getByLabel('Status').selectOption('paid');
    await page.getByLabel('Search').fill('no-such-invoice-anywhere');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect(page.getByText('No invoice matches these filters.')).toBeVisible();
    await checkA11y(page, 'invoices (empty)');
    await screenshot(page, 'invoices-empty');
  });
});
