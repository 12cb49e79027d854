import { checkA11y, expect, screenshot, signIn, test } from './fixtures';

const suffix = Date.now().toString(36).toUpperCase();
const PO = `PO-E2E-${suffix}`;

test.describe.serial('purchase orders and goods receipts', () => {
  test('the list shows the demo order with its vendor, received lines and total', async ({ page }) => {
    await signIn(page, 'analyst');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Purchase orders' }).click();
    await expect(page.getByRole('heading', { name: 'Purchase orders', level: 1 })).toBeVisible();
    const demo = page.getByRole('row').filter({ hasText: 'PO-2026-0042' });
    await expect(demo).toContainText('Acme Steel Inc.');
    await expect(demo).toContainText('$21,000.00'); // 200 × 74.00 + 40 × 155.00
    await expect(demo).toContainText('1 of 2'); // line 1 fully received, line 2 not
    await checkA11y(page, 'purchase orders');
    await screenshot(page, 'purchase-orders');
    await page.getByRole('combobox', { name: 'Status' }).selectOption('closed');
    await expect(page).toHaveURL(/status=closed/);
    await expect(page.getByText('No purchase order matches these filters.')).toBeVisible();
  });

  test('an analyst creates a PO and records a goods receipt against it', async ({ page }) => {
    await signIn(page, 'analyst');
    await page.goto('/purchase-orders');
    await page.getByRole('button', { name: 'New purchase order' }).click();
    const form = page.getByRole('region', { name: 'New purchase order' });
    await form.getByRole('textbox', { name: 'PO number' }).fill(PO);
    await form.getByRole('combobox', { name: 'Vendor' }).selectOption({ label: 'Acme Steel Inc.' });
    await form.getByLabel('Order date').fill('2026-12-01');
    await form.getByLabel('Line 1 description').fill('Steel rod 12mm');
    await form.getByLabel('Line 1 quantity').fill('20');
    await form.getByLabel('Line 1 unit', { exact: true }).fill('EA');
    await form.getByLabel('Line 1 unit price').fill('12.35');
    await expect(form.getByRole('row').nth(1)).toContainText('$247.00');
    await form.getByRole('button', { name: 'Add line' }).click();
    await form.getByLabel('Line 2 description').fill('Cutting service');
    await form.getByLabel('Line 2 quantity').fill('1');
    await form.getByLabel('Line 2 unit price').fill('80');
    await checkA11y(page, 'purchase orders (new)');
    await form.getByRole('button', { name: 'Create purchase order' }).click();

    await expect(page).toHaveURL(/\/purchase-orders\/[0-9a-f-]{36}$/);
    await expect(page.getByRole('heading', { name: `Purchase order ${PO}`, level: 1 })).toBeVisible();
    await expect(page.getByText('$327.00').first()).toBeVisible();
    const lines = page.getByRole('region', { name: 'Lines' });
    await expect(lines.getByRole('row').nth(1)).toContainText('Steel rod 12mm');
    await expect(page.getByText('No goods received against this order yet.')).toBeVisible();

    await page.getByRole('button', { name: 'Record goods receipt' }).click();
    const grn = page.getByRole('region', { name: 'New goods receipt' });
    await grn.getByRole('textbox', { name: 'Receipt number' }).fill(`GR-${suffix}-1`);
    // Prefilled with what is still open: receive 5 rods now, the service later.
    await expect(grn.getByLabel('Line 1 quantity received')).toHaveValue('20');
    await grn.getByLabel('Line 1 quantity received').fill('5');
    await grn.getByLabel('Line 2 quantity received').fill('');
    await grn.getByRole('button', { name: 'Record goods receipt' }).click();
    await expect(page.getByRole('status').filter({ hasText: `Goods receipt GR-${suffix}-1 recorded.` })).toBeVisible();
    const rod = lines.getByRole('row').nth(1);
    // Ordered, received, still to receive.
    await expect(rod.getByRole('cell').nth(3)).toHaveText(/^5(\.0+)?$/);
    await expect(rod.getByRole('cell').nth(4)).toHaveText('15');
    await expect(page.getByRole('region', { name: 'Goods receipts' })).toContainText(`GR-${suffix}-1`);
    await checkA11y(page, 'purchase order detail');
    await screenshot(page, 'purchase-order-detail');
  });

  test('CSV import reports each refused row in a table', async ({ page }) => {
    await signIn(page, 'analyst');
    await page.goto('/purchase-orders');
    const card = page.getByRole('region', { name: 'Import from CSV' });
    await card.getByRole('combobox', { name: 'Import' }).selectOption('goods-receipts');
    const csv = [
      'receipt_number,po_number,received_on,po_line_number,quantity',
      `GR-${suffix}-2,${PO},2026-12-05,2,1`,
      `GR-${suffix}-3,PO-DOES-NOT-EXIST,2026-12-05,1,1`,
      `GR-${suffix}-4,${PO},2026-12-05,1,lots`,
    ].join('\n');
    await card.getByLabel('CSV file').setInputFiles({ name: 'receipts.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await card.getByRole('button', { name: 'Import' }).click();
    await expect(card.getByRole('status')).toContainText('receipts.csv: 3 rows read — 1 goods receipt created');
    await expect(card.getByRole('status')).toContainText('2 rows refused');
    const refused = card.getByRole('table', { name: /Rows refused/ });
    await expect(refused.getByRole('row')).toHaveCount(3);
    await expect(refused.getByRole('row').nth(1)).toContainText('2');
    await expect(refused.getByRole('row').nth(2)).toContainText('3');
    await expect(refused.getByRole('row').nth(2)).toContainText('quantity');
    await checkA11y(page, 'purchase orders (CSV import report)');
    await screenshot(page, 'purchase-orders-import');

    // A file the API refuses as a whole (unknown column): its detail and the request id.
    await card.getByRole('combobox', { name: 'Import' }).selectOption('purchase-orders');
    await card.getByLabel('CSV file').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('colour,size\nred,1\n') });
    await card.getByRole('button', { name: 'Import' }).click();
    await expect(card.getByRole('alert')).toContainText('The file was not imported');
    await expect(card.getByRole('alert')).toContainText('Request id');
  });
});
