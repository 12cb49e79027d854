import { checkA11y, expect, screenshot, signIn } from '../fixtures';
import type { Step } from './types';

/**
 * The analyst works the demo's GRN_NOT_FOUND exception on ACME-1003 (ten beams billed, none
 * received): finds it with the code filter, comments and resolves it with a note.
 */
export const analystResolves: Step = async ({ page }) => {
  await signIn(page, 'analyst');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Exceptions' }).click();
  await expect(page.getByRole('heading', { name: 'Exceptions', level: 1 })).toBeVisible();
  await page.getByRole('combobox', { name: 'Code' }).selectOption('GRN_NOT_FOUND');
  await expect(page).toHaveURL(/code=GRN_NOT_FOUND/);

  const row = page.getByRole('row').filter({ hasText: 'ACME-1003' }).first();
  await expect(row).toContainText('Acme Steel Inc.');
  await expect(row).toContainText('$1,550.00');
  await row.getByRole('button', { name: 'Goods not received' }).click();
  await expect(page).toHaveURL(/[?&]id=[0-9a-f-]{36}/);

  const detail = page.getByRole('article', { name: /Goods not received/ });
  await expect(detail.getByRole('link', { name: 'Invoice ACME-1003' })).toBeVisible();
  await checkA11y(page, 'exceptions (one selected)');
  await screenshot(page, 'exceptions');

  await detail.getByRole('textbox', { name: 'Comment' }).fill('Warehouse confirms the beams arrived; GRN is being keyed.');
  await detail.getByRole('button', { name: 'Add comment' }).click();
  await expect(detail.getByRole('list', { name: 'Comments' })).toContainText('Warehouse confirms the beams arrived');

  await detail.getByLabel('Resolution note (optional)').fill('Goods received, confirmed with the warehouse.');
  await detail.getByRole('button', { name: 'Resolve' }).click();
  await expect(detail.getByRole('status')).toContainText('Resolved.');
  await expect(detail.getByRole('heading', { name: /Goods not received/ })).toContainText('Resolved');
  await expect(detail).toContainText('Goods received, confirmed with the warehouse.');
};
