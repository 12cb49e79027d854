import type { components } from '../../api/schema';

type Generated = components['schemas']['ExceptionOut'];
export type ExceptionStatus = components['schemas']['ExceptionStatus'];
export type ExceptionSeverity = components['schemas']['ExceptionSeverity'];

/** A person as the API references one. */
export interface PersonRef {
  id: string;
  email?: string | null;
  name?: string | null;
}

/**
 * An exception as the queue shows it. The invoice's number, vendor and amount and the named
 * assignee/resolver are read when the API sends them (optional: older gateways do not).
 */
export type ExceptionItem = Generated & {
  invoice_number?: string | null;
  vendor?: { id: string; name: string } | null;
  amount?: string | null;
  currency?: string | null;
  assignee?: PersonRef | null;
  resolver?: PersonRef | null;
};

export type Comment = components['schemas']['CommentOut'] & { author?: PersonRef | null };

export const SEVERITIES: ExceptionSeverity[] = ['critical', 'high', 'medium', 'low'];

/** The queue's status choices; `active` (the default) is everything still to be worked. */
export const STATUS_CHOICES: { value: string; label: string }[] = [
  { value: 'active', label: 'To be worked (open, in progress, escalated)' },
  { value: 'open', label: 'Open' },
  { value: 'in_progress', label: 'In progress' },
  { value: 'escalated', label: 'Escalated' },
  { value: 'resolved', label: 'Resolved' },
  { value: 'waived', label: 'Waived' },
  { value: 'all', label: 'Any status' },
];

/** The codes extraction and matching raise, in words. */
export const CODE_WORDS: Record<string, string> = {
  GRN_NOT_FOUND: 'Goods not received',
  PRICE_VARIANCE: 'Price variance',
  QTY_VARIANCE: 'Quantity variance',
  QTY_OVER_RECEIPT: 'Billed more than received',
  PO_NOT_FOUND: 'Purchase order not found',
  PO_CLOSED: 'Purchase order closed',
  MISSING_PO: 'No purchase order',
  VENDOR_MISMATCH: 'Vendor differs from the PO',
  CURRENCY_MISMATCH: 'Currency differs from the PO',
  TOTAL_MISMATCH: 'Totals do not match',
  ARITHMETIC_ERROR: 'Arithmetic error',
  DUPLICATE_INVOICE: 'Possible duplicate',
  VENDOR_UNKNOWN: 'Unknown vendor',
  LOW_CONFIDENCE: 'Low extraction confidence',
  BANK_DETAILS_CHANGED: 'Bank details changed',
  FRAUD_SUSPECTED: 'Fraud suspected',
  VENDOR_DISPUTE: 'Disputed by the vendor',
};

export function codeWords(code: string): string {
  return CODE_WORDS[code] ?? code.replace(/_/g, ' ').toLowerCase().replace(/^./, (c) => c.toUpperCase());
}

export const STATUS_WORDS: Record<ExceptionStatus, string> = {
  open: 'Open',
  in_progress: 'In progress',
  escalated: 'Escalated',
  resolved: 'Resolved',
  waived: 'Waived',
};

export function isActive(status: string): boolean {
  return status === 'open' || status === 'in_progress' || status === 'escalated';
}

/** The severity as a badge class of the shared stylesheet. */
export function severityClass(severity: string): string {
  return severity === 'critical' || severity === 'high' ? 'risk-high' : severity === 'medium' ? 'risk-medium' : 'risk-low';
}

export type SlaFilter = '' | 'overdue' | 'day';

export const SLA_CHOICES: { value: SlaFilter; label: string }[] = [
  { value: '', label: 'Any' },
  { value: 'overdue', label: 'Overdue' },
  { value: 'day', label: 'Due within 24 hours (or overdue)' },
];

/** Where an exception stands against its SLA at `now`. */
export function slaState(e: Pick<ExceptionItem, 'due_at' | 'status'>, now: number): 'overdue' | 'day' | 'later' | 'none' {
  if (!e.due_at || !isActive(e.status)) return 'none';
  const due = Date.parse(e.due_at);
  if (Number.isNaN(due)) return 'none';
  if (due <= now) return 'overdue';
  return due - now <= 24 * 3600_000 ? 'day' : 'later';
}

export function matchesSla(e: ExceptionItem, filter: SlaFilter, now: number): boolean {
  if (!filter) return true;
  const s = slaState(e, now);
  return filter === 'overdue' ? s === 'overdue' : s === 'overdue' || s === 'day';
}

export function personName(p: PersonRef | null | undefined, fallbackId?: string | null): string {
  if (p) return p.name || p.email || 'a user';
  return fallbackId ? 'a user' : '—';
}
