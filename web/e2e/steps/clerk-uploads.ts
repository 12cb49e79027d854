import { join } from 'node:path';
import { CORPUS, apiToken, checkA11y, expect, invoiceByNumber, screenshot, signIn } from '../fixtures';
import { story, type Step } from './types';

// Not part of the demo seed, so they upload as new invoices.
const EINVOICE = join(CORPUS, 'einvoice/ubl/ubl-tc434-example2.xml');
const PDF = join(CORPUS, 'pdf/pdf_zf_extended_1.pdf');
// Seeded by `apctl seed --demo`: a duplicate.
const SEEDED = join(CORPUS, 'einvoice/ubl/ubl-tc434-example1.xml');

export const clerkUploads: Step = async ({ page, request }) => {
  await signIn(page, 'clerk');
  await expect(page).toHaveURL(/\/invoices$/);
  await expect(page.getByRole('heading', { name: 'Invoices' })).toBeVisible();
  await expect(page.getByRole('table')).toBeVisible();
  await checkA11y(page, 'invoices');
  await screenshot(page, 'invoices');

  await page.getByLabel('Upload invoices').setInputFiles([EINVOICE, PDF]);
  const uploads = page.getByRole('list', { name: 'Uploads' });
  const row = (name: string) => uploads.getByRole('listitem').filter({ hasText: name });
  await expect(row('ubl-tc434-example2.xml').getByRole('link', { name: 'open invoice' })).toBeVisible();
  await expect(row('pdf_zf_extended_1.pdf').getByRole('link', { name: 'open invoice' })).toBeVisible();

  // The same document again: a per-file duplicate linking to the invoice that has it.
  await page.getByLabel('Upload invoices').setInputFiles(SEEDED);
  await expect(row('ubl-tc434-example1.xml').getByRole('alert')).toContainText('Already uploaded');
  await expect(row('ubl-tc434-example1.xml').getByRole('link', { name: 'Open the existing invoice' })).toBeVisible();
  await screenshot(page, 'invoices-upload');

  // The e-invoice: a readable summary beside the extracted fields, the XML on demand.
  await row('ubl-tc434-example2.xml').getByRole('link', { name: 'open invoice' }).click();
  await expect(page).toHaveURL(/\/invoices\/[0-9a-f-]{36}$/);
  story.einvoiceId = page.url().split('/').pop();
  await expect(page.getByRole('heading', { name: /E-invoice \(UBL\)/ })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Extracted fields' })).toBeVisible();
  // Extraction runs in the background; the page follows it until the fields are read.
  await expect(page.getByRole('heading', { name: /^Invoice TOSL108$/ })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByText(/E-invoice, 100%/).first()).toBeVisible();
  await page.getByRole('button', { name: 'View XML' }).click();
  await expect(page.getByLabel('E-invoice XML')).toContainText('<cbc:ID>TOSL108</cbc:ID>');
  await page.getByRole('button', { name: 'View summary' }).click();
  await checkA11y(page, 'invoice detail (e-invoice)');
  await screenshot(page, 'invoice-detail-einvoice');

  // The PDF: rendered from the bytes fetched with the access token.
  await page.goto('/invoices');
  const token = await apiToken(request, 'clerk');
  story.pdfId = await invoiceByNumber(request, token, 'KR87654321012');
  await page.goto(`/invoices/${story.pdfId}`);
  await expect(page.locator('iframe.document-frame')).toHaveAttribute('src', /^blob:/);
  await checkA11y(page, 'invoice detail (PDF)');
  await screenshot(page, 'invoice-detail-pdf');
};
