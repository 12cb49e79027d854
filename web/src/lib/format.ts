import type { components } from '../api/schema';

export type InvoiceStatus = components['schemas']['InvoiceStatus'];

export const INVOICE_STATUS_WORDS: Record<InvoiceStatus, string> = {
  received: 'Received',
  extracting: 'Extracting',
  extracted: 'Extracted',
  matching: 'Matching',
  exception: 'Exception',
  pending_approval: 'Pending approval',
  approved: 'Approved',
  scheduled: 'Scheduled',
  paid: 'Paid',
  rejected: 'Rejected',
  cancelled: 'Cancelled',
};

export const INVOICE_STATUSES = Object.keys(INVOICE_STATUS_WORDS) as InvoiceStatus[];

/** Any snake_case or UPPER_CASE code in words: `pending_approval` → "Pending approval". */
export function words(code: string | null | undefined): string {
  if (!code) return '—';
  const known = (INVOICE_STATUS_WORDS as Record<string, string>)[code];
  if (known) return known;
  const s = code.replace(/[_-]+/g, ' ').toLowerCase().trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export const PAYMENT_METHOD_WORDS: Record<components['schemas']['PaymentMethod'], string> = {
  ACH: 'ACH',
  WIRE: 'Wire',
  CHECK: 'Check',
};

export const SOURCE_WORDS: Record<string, string> = {
  xml: 'E-invoice',
  xml_embedded: 'E-invoice',
  text: 'Text',
  ocr: 'OCR',
  llm: 'Model',
  manual: 'Corrected by hand',
};

export function sourceWords(source: string): string {
  return SOURCE_WORDS[source.toLowerCase()] ?? words(source);
}

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A `YYYY-MM-DD` date as written, in the reader's locale, never shifted by time zones. */
export function formatDate(value: string | null | undefined): string {
  if (!value) return '—';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return value;
  return dateFmt.format(new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
}

export function formatDateTime(value: string | null | undefined): string {
  if (!value) return '—';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : dateTimeFmt.format(d);
}

export function percent(confidence: number): string {
  return `${Math.round(confidence * 100)}%`;
}
