import { apiGet, apiToken, checkA11y, expect, invoiceByNumber, screenshot, signIn } from '../fixtures';
import { story, type Step } from './types';

/** The admin records the payment of the approved ACME-1002; a double click pays once. */
export const adminPays: Step = async ({ page, request }) => {
  const token = await apiToken(request, 'admin');
  const id = story.approvedId ?? (await invoiceByNumber(request, token, 'ACME-1002', 'approved'));

  await signIn(page, 'admin', `/invoices/${id}`);
  await expect(page).toHaveURL(new RegExp(`/invoices/${id}$`));
  await expect(page.getByRole('heading', { name: 'Invoice ACME-1002' })).toBeVisible();
  await page.getByRole('button', { name: 'Record payment' }).click();
  const dialog = page.getByRole('dialog', { name: 'Record payment' });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('Payment method').selectOption('WIRE');
  await dialog.getByLabel('Reference').fill('E2E-WIRE-0001');
  await checkA11y(page, 'record payment dialog');
  await screenshot(page, 'record-payment');

  await dialog.getByRole('button', { name: 'Confirm payment' }).dblclick();
  await expect(dialog).toBeHidden();
  const banner = page.getByRole('region', { name: 'Payment' });
  await expect(banner).toContainText('Paid');
  await expect(banner).toContainText('by Wire');
  await expect(banner).toContainText('E2E-WIRE-0001');
  await expect(page.getByRole('button', { name: 'Record payment' })).toHaveCount(0);
  await screenshot(page, 'invoice-paid');

  // Exactly one payment exists for the invoice.
  const payments = await apiGet<{ items: { invoice_id: string; payment_reference: string | null }[] }>(
    request,
    token,
    `/api/v1/payments?invoice_id=${id}`,
  );
  expect(payments.items.filter((p) => p.invoice_id === id)).toHaveLength(1);
  const invoice = await apiGet<{ status: string; payment_reference: string | null }>(request, token, `/api/v1/invoices/${id}`);
  expect(invoice.status).toBe('paid');
  expect(invoice.payment_reference).toBe('E2E-WIRE-0001');

  // The payments screen lists it.
  await page.getByRole('link', { name: 'Payments' }).click();
  await expect(page.getByRole('row').filter({ hasText: 'ACME-1002' })).toContainText('E2E-WIRE-0001');
  await checkA11y(page, 'payments');
  await screenshot(page, 'payments');
};
