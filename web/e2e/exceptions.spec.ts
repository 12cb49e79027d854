import { apiGet, apiToken, checkA11y, expect, screenshot, signIn, test } from './fixtures';
import { analystResolves } from './steps/analyst-resolves';

interface Exc {
  id: string;
  code: string;
  status: string;
  invoice_number?: string | null;
}

test.describe('exceptions', () => {
  test('an analyst resolves ACME-1003 GRN_NOT_FOUND with a comment', analystResolves);

  test('the queue filters live in the URL', async ({ page }) => {
    await signIn(page, 'analyst');
    await page.goto('/exceptions');
    await expect(page.getByRole('table')).toBeVisible();
    await page.getByRole('combobox', { name: 'Assigned' }).selectOption('me');
    await expect(page).toHaveURL(/assigned=me/);
    await page.getByRole('combobox', { name: 'Severity' }).selectOption('high');
    await expect(page).toHaveURL(/severity=high/);
    await expect(page.getByRole('table').getByRole('row').nth(1)).toContainText('High');
    await page.getByRole('combobox', { name: 'SLA' }).selectOption('overdue');
    await expect(page).toHaveURL(/sla=overdue/);
    await page.reload();
    await expect(page.getByRole('combobox', { name: 'Assigned' })).toHaveValue('me');
    await expect(page.getByRole('combobox', { name: 'Severity' })).toHaveValue('high');
    await expect(page.getByRole('combobox', { name: 'SLA' })).toHaveValue('overdue');
    // Freshly seeded exceptions are all within their SLA.
    await expect(page.getByText('No exception matches these filters.')).toBeVisible();
    await checkA11y(page, 'exceptions (empty)');
    await page.getByRole('combobox', { name: 'Assigned' }).selectOption('none');
    await page.getByRole('combobox', { name: 'SLA' }).selectOption('');
    await expect(page).toHaveURL(/assigned=none/);
    await expect(page).not.toHaveURL(/sla=/);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect(page).toHaveURL(/\/exceptions$/);
  });

  test('waiving needs a reason, and the reason is kept', async ({ page, request }) => {
    const token = await apiToken(request, 'analyst');
    const open = await apiGet<{ items: Exc[] }>(request, token, '/api/v1/exceptions?status=open&limit=200');
    const target = open.items.find((e) => ['PRICE_VARIANCE', 'TOTAL_MISMATCH', 'MISSING_PO', 'PO_NOT_FOUND'].includes(e.code));
    expect(target, 'an open exception an analyst may waive').toBeTruthy();
    await signIn(page, 'analyst');
    await page.goto(`/exceptions?status=all&id=${target?.id ?? ''}`);
    const detail = page.getByRole('article');
    await detail.getByRole('button', { name: 'Waive…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Waive exception' });
    await dialog.getByRole('button', { name: 'Waive' }).click();
    await expect(dialog.getByText('A reason is required to waive an exception.')).toBeVisible();
    await expect(dialog.getByLabel('Reason')).toHaveAttribute('aria-invalid', 'true');
    await checkA11y(page, 'exceptions (waive dialog)');
    await dialog.getByLabel('Reason').fill('Agreed with the buyer: price increase accepted for this order.');
    await dialog.getByRole('button', { name: 'Waive' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(detail.getByRole('heading').first()).toContainText('Waived');
    await expect(detail).toContainText('Agreed with the buyer: price increase accepted for this order.');
    const after = await apiGet<Exc & { resolution_note: string }>(request, token, `/api/v1/exceptions/${target?.id ?? ''}`);
    expect(after.status).toBe('waived');
    expect(after.resolution_note).toBe('Agreed with the buyer: price increase accepted for this order.');
  });

  test('an admin takes over an exception an analyst holds', async ({ page, request }) => {
    const token = await apiToken(request, 'admin');
    const open = await apiGet<{ items: (Exc & { assigned_to?: string | null })[] }>(
      request,
      token,
      '/api/v1/exceptions?status=open,in_progress&limit=200',
    );
    const me = await apiGet<{ id: string }>(request, token, '/api/v1/auth/me');
    const held = open.items.find((e) => e.assigned_to && e.assigned_to !== me.id && e.code !== 'GRN_NOT_FOUND');
    expect(held, 'an exception someone else holds').toBeTruthy();
    await signIn(page, 'admin');
    await page.goto(`/exceptions?id=${held?.id ?? ''}`);
    const detail = page.getByRole('article');
    await expect(detail).not.toContainText(/Assigned to\s*You/);
    await detail.getByRole('button', { name: 'Take over (assign to me)' }).click();
    await expect(detail.getByRole('status')).toContainText('Assigned to you.');
    await expect(detail).toContainText(/Assigned to\s*You/);
    await expect(detail.getByRole('heading').first()).toContainText('In progress');
  });

  test('a clerk may comment but not resolve; an error shows its detail', async ({ page }) => {
    await signIn(page, 'clerk');
    await page.goto('/exceptions');
    const first = page.getByRole('table').getByRole('row').nth(1);
    await first.getByRole('button').first().click();
    const detail = page.getByRole('article');
    await expect(detail.getByRole('textbox', { name: 'Comment' })).toBeVisible();
    await expect(detail.getByRole('button', { name: 'Resolve' })).toHaveCount(0);
    await expect(detail.getByRole('button', { name: 'Waive…' })).toHaveCount(0);
    // A filter the API refuses (an unknown code typed into the URL): its detail and request id.
    await page.goto('/exceptions?code=NO_SUCH_CODE');
    await expect(page.getByRole('alert')).toContainText('Exceptions could not be loaded');
    await expect(page.getByRole('alert')).toContainText('code must be one of');
    await expect(page.getByRole('alert')).toContainText('Request id');
    await screenshot(page, 'exceptions-error');
  });
});
