import { useState, type FormEvent } from 'react';
import { ErrorMessage } from '../../components/ErrorMessage';
import type { BankAccountIn, Vendor, VendorIn, VendorPatch } from './model';

interface Fields {
  name: string;
  legal_name: string;
  tax_id: string;
  email: string;
  address: string;
  country: string;
  currency: string;
  payment_terms: string;
  payment_terms_days: string;
  category: string;
  aliases: string;
  po_required: boolean;
}

const TEXT_FIELDS: { key: Exclude<keyof Fields, 'po_required'>; label: string; hint?: string; type?: string }[] = [
  { key: 'name', label: 'Name' },
  { key: 'legal_name', label: 'Legal name' },
  { key: 'tax_id', label: 'Tax id' },
  { key: 'email', label: 'Billing e-mail', type: 'email' },
  { key: 'address', label: 'Address' },
  { key: 'country', label: 'Country', hint: 'ISO code, e.g. US' },
  { key: 'currency', label: 'Currency', hint: 'ISO code, e.g. USD' },
  { key: 'payment_terms', label: 'Payment terms', hint: 'e.g. net 30' },
  { key: 'payment_terms_days', label: 'Payment terms (days)', type: 'number' },
  { key: 'category', label: 'Category' },
  { key: 'aliases', label: 'Other names', hint: 'Separate with commas' },
];

function fromVendor(v: Vendor | undefined): Fields {
  return {
    name: v?.name ?? '',
    legal_name: v?.legal_name ?? '',
    tax_id: v?.tax_id ?? '',
    email: v?.email ?? '',
    address: v?.address ?? '',
    country: v?.country ?? '',
    currency: v?.currency ?? 'USD',
    payment_terms: v?.payment_terms ?? '',
    payment_terms_days: v?.payment_terms_days != null ? String(v.payment_terms_days) : '',
    category: v?.category ?? '',
    aliases: v?.aliases.join(', ') ?? '',
    po_required: v?.po_required ?? true,
  };
}

function aliasList(s: string): string[] {
  return s
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
}

function days(s: string): number | null {
  return s.trim() === '' ? null : Number.parseInt(s, 10);
}

/** The body for POST /vendors. */
export function toVendorIn(f: Fields, bank: BankAccountIn | null): VendorIn {
  const body: VendorIn = {
    name: f.name.trim(),
    currency: f.currency.trim().toUpperCase(),
    po_required: f.po_required,
    aliases: aliasList(f.aliases),
    payment_terms_days: days(f.payment_terms_days),
  };
  for (const k of ['legal_name', 'tax_id', 'email', 'address', 'country', 'payment_terms', 'category'] as const) {
    const v = f[k].trim();
    if (v) body[k] = k === 'country' ? v.toUpperCase() : v;
  }
  if (bank) body.bank_account = bank;
  return body;
}

/** The body for PATCH /vendors/{id}: only what changed. */
export function toVendorPatch(before: Fields, f: Fields): VendorPatch {
  const patch: VendorPatch = {};
  for (const k of ['name', 'legal_name', 'tax_id', 'email', 'address', 'country', 'currency', 'payment_terms', 'category'] as const) {
    if (f[k].trim() !== before[k].trim()) patch[k] = f[k].trim();
  }
  if (f.payment_terms_days !== before.payment_terms_days) patch.payment_terms_days = days(f.payment_terms_days);
  if (f.aliases !== before.aliases) patch.aliases = aliasList(f.aliases);
  if (f.po_required !== before.po_required) patch.po_required = f.po_required;
  return patch;
}

/** Vendor master data: create (with optional bank details) or edit. */
export function VendorForm({
  vendor,
  withBank,
  pending,
  error,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  vendor?: Vendor;
  withBank: boolean;
  pending: boolean;
  error: unknown;
  submitLabel: string;
  onSubmit: (body: { create: VendorIn; patch: VendorPatch }) => void;
  onCancel: () => void;
}) {
  const [initial] = useState(() => fromVendor(vendor));
  const [f, setF] = useState<Fields>(initial);
  const [bank, setBank] = useState<BankAccountIn>({});
  const [bankKind, setBankKind] = useState<'none' | 'iban' | 'us'>('none');
  function submit(e: FormEvent) {
    e.preventDefault();
    if (pending) return;
    const b = bankKind === 'none' ? null : bank;
    onSubmit({ create: toVendorIn(f, b), patch: toVendorPatch(initial, f) });
  }
  return (
    <form className="form" onSubmit={submit}>
      <div className="form grid-3">
        {TEXT_FIELDS.map((t) => (
          <label key={t.key} className="field">
            <span>
              {t.label}
              {t.key === 'name' || t.key === 'currency' ? ' (required)' : ''}
            </span>
            <input
              type={t.type ?? 'text'}
              value={f[t.key]}
              required={t.key === 'name' || t.key === 'currency'}
              placeholder={t.hint}
              min={t.type === 'number' ? 0 : undefined}
              onChange={(e) => setF({ ...f, [t.key]: e.target.value })}
            />
          </label>
        ))}
      </div>
      <label className="check">
        <input type="checkbox" checked={f.po_required} onChange={(e) => setF({ ...f, po_required: e.target.checked })} /> Invoices
        need a purchase order (clear for utilities, rent and other bills without one)
      </label>
      {withBank ? (
        <fieldset className="card">
          <legend>Bank details (optional)</legend>
          <BankFields kind={bankKind} onKind={setBankKind} value={bank} onChange={setBank} />
        </fieldset>
      ) : null}
      {error ? <ErrorMessage error={error} /> : null}
      <div className="row">
        <button type="submit" className="button primary" disabled={pending} aria-busy={pending}>
          {pending ? 'Saving…' : submitLabel}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** IBAN (+ BIC) or a US routing and account number. */
export function BankFields({
  kind,
  onKind,
  value,
  onChange,
  allowNone = true,
}: {
  kind: 'none' | 'iban' | 'us';
  onKind: (k: 'none' | 'iban' | 'us') => void;
  value: BankAccountIn;
  onChange: (b: BankAccountIn) => void;
  allowNone?: boolean;
}) {
  return (
    <>
      <label className="field">
        <span>Account type</span>
        <select
          value={kind}
          onChange={(e) => {
            onKind(e.target.value as 'none' | 'iban' | 'us');
            onChange({});
          }}
        >
          {allowNone ? <option value="none">None</option> : null}
          <option value="iban">IBAN</option>
          <option value="us">US routing and account number</option>
        </select>
      </label>
      {kind === 'iban' ? (
        <div className="form grid-3">
          <label className="field">
            <span>IBAN</span>
            <input autoComplete="off" required value={value.iban ?? ''} onChange={(e) => onChange({ ...value, iban: e.target.value })} />
          </label>
          <label className="field">
            <span>BIC</span>
            <input autoComplete="off" value={value.bic ?? ''} onChange={(e) => onChange({ ...value, bic: e.target.value })} />
          </label>
        </div>
      ) : kind === 'us' ? (
        <div className="form grid-3">
          <label className="field">
            <span>Routing number</span>
            <input
              autoComplete="off"
              inputMode="numeric"
              required
              value={value.routing_number ?? ''}
              onChange={(e) => onChange({ ...value, routing_number: e.target.value })}
            />
          </label>
          <label className="field">
            <span>Account number</span>
            <input
              autoComplete="off"
              inputMode="numeric"
              required
              value={value.account_number ?? ''}
              onChange={(e) => onChange({ ...value, account_number: e.target.value })}
            />
          </label>
        </div>
      ) : null}
    </>
  );
}
