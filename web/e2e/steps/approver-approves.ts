import { apiToken, checkA11y, expect, invoiceByNumber, screenshot, signIn } from '../fixtures';
import { story, type Step } from './types';

/** ACME-1002 (7,400.00 USD, one APPROVER level in the demo matrix) waits for the approver. */
export const approverApproves: Step = async ({ page, request }) => {
  const token = await apiToken(request, 'approver');
  const id = await invoiceByNumber(request, token, 'ACME-1002', 'pending_approval');

  await signIn(page, 'approver');
  await expect(page).toHaveURL(/\/approvals/);
  const list = page.getByRole('list', { name: 'Pending approval tasks' });
  await expect(list.getByRole('button', { name: /ACME-1002/ })).toBeVisible();
  await checkA11y(page, 'approvals');
  await screenshot(page, 'approvals');

  // The help overlay lists the shortcuts.
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help).toContainText('Approve the selected task');
  await checkA11y(page, 'approvals keyboard help');
  await screenshot(page, 'approvals-help');
  await page.keyboard.press('Escape');
  await expect(help).toBeHidden();

  // j/k move to ACME-1002, a approves it: the keyboard alone. Down to the last task with j,
  // then up with k.
  const selected = list.locator('[aria-current="true"]');
  const names = await list.getByRole('button').allTextContents();
  const target = names.findIndex((n) => n.includes('ACME-1002'));
  expect(target).toBeGreaterThanOrEqual(0);
  for (let i = 0; i < names.length - 1; i++) await page.keyboard.press('j');
  await expect(selected).toHaveText(names[names.length - 1] ?? '');
  for (let i = names.length - 1; i > target; i--) await page.keyboard.press('k');
  await expect(selected).toContainText('ACME-1002');
  await expect(page.getByRole('heading', { level: 2, name: /ACME-1002/ })).toBeVisible();
  await page.keyboard.press('a');
  await expect(page.getByRole('status').filter({ hasText: 'Approved ACME-1002' })).toBeVisible();
  await expect(list.getByRole('button', { name: /ACME-1002/ })).toHaveCount(0);

  await invoiceByNumber(request, token, 'ACME-1002', 'approved');
  story.approvedId = id;
};
