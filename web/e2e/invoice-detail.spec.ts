import { apiToken, checkA11y, expect, invoiceByNumber, signIn, test } from './fixtures';

// A corpus e-invoice of the demo data (De Koksmaat, an exception): corrections are allowed.
const NUMBER = '12115118';

test.describe('invoice detail', () => {
  test('an analyst corrects a field; a concurrent change is a conflict with a reload', async ({ page, request }) => {
    const token = await apiToken(request, 'analyst');
    const id = await invoiceByNumber(request, token, NUMBER);
    await signIn(page, 'analyst', `/invoices/${id}`);
    await expect(page.getByRole('heading', { name: `Invoice ${NUMBER}` })).toBeVisible();

    // A correction: saved against the version on screen, then shown as corrected by hand.
    await page.getByRole('button', { name: 'Correct Payment terms' }).click();
    const form = page.getByRole('form', { name: 'Correct Payment terms' });
    await form.getByLabel('Payment terms').fill('Net 30, corrected in the browser');
    await checkA11y(page, 'invoice detail (correcting)');
    await form.getByRole('button', { name: 'Save' }).click();
    const row = page.locator('.field-row').filter({ hasText: 'Payment terms' });
    await expect(row).toContainText('Net 30, corrected in the browser');
    await expect(row).toContainText('Corrected by hand');

    // Someone else corrects the invoice meanwhile: this screen's version is stale.
    await page.getByRole('button', { name: 'Correct PO number' }).click();
    const res = await request.patch(`/api/v1/invoices/${id}`, {
      headers: { Authorization: `Bearer ${token}` },
      data: { payment_terms: 'Net 45, changed elsewhere' },
    });
    expect(res.status(), await res.text()).toBe(200);
    const po = page.getByRole('form', { name: 'Correct PO number' });
    await po.getByLabel('PO number').fill('PO-DOES-NOT-MATTER');
    await po.getByRole('button', { name: 'Save' }).click();
    await expect(po.getByRole('alert')).toContainText('This invoice changed since you opened it');
    await po.getByRole('button', { name: 'Reload' }).click();
    await expect(row).toContainText('Net 45, changed elsewhere');
    await expect(page.getByRole('form', { name: 'Correct PO number' })).toHaveCount(0);
  });

  test('the match shows the tolerance used in percent', async ({ page, request }) => {
    const token = await apiToken(request, 'analyst');
    const id = await invoiceByNumber(request, token, 'ACME-1001');
    await signIn(page, 'analyst', `/invoices/${id}`);
    const match = page.getByRole('region', { name: 'Match' });
    await expect(match).toContainText(/price ±2% or ±50(\.00)?, quantity ±0%/);
  });

  test('the queue shows each matched invoice with its risk in words', async ({ page }) => {
    await signIn(page, 'analyst', '/invoices');
    const row = page.getByRole('row').filter({ hasText: 'ACME-1001' }).first();
    await expect(row).toContainText(/(Low|Medium|High) risk/);
  });
});
