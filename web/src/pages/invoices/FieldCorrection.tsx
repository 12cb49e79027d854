import { useState, type FormEvent } from 'react';
import type { components } from '../../api/schema';
import { api, call } from '../../api/client';
import { ApiError } from '../../api/errors';
import { ErrorMessage, RequestId } from '../../components/ErrorMessage';

type InvoicePatch = components['schemas']['InvoicePatch'];
type Invoice = components['schemas']['InvoiceOut'];
export type CorrectFn = (invoiceId: string, patch: InvoicePatch) => Promise<Invoice>;

export const correctInvoice: CorrectFn = (id, patch) =>
  call(api.PATCH('/api/v1/invoices/{id}', { params: { path: { id } }, body: patch }));

export type CorrectableField =
  | 'invoice_number'
  | 'invoice_date'
  | 'due_date'
  | 'currency'
  | 'subtotal'
  | 'tax_amount'
  | 'total_amount'
  | 'amount_due'
  | 'po_number'
  | 'payment_terms';

const INPUT_TYPE: Partial<Record<CorrectableField, string>> = { invoice_date: 'date', due_date: 'date' };
const DECIMALS: CorrectableField[] = ['subtotal', 'tax_amount', 'total_amount', 'amount_due'];

/**
 * Inline correction of one field, applied only to the version on screen: a 409 means the
 * invoice changed meanwhile, and the form offers to reload instead of overwriting.
 */
export function FieldCorrection({
  invoiceId,
  version,
  field,
  label,
  initial,
  onSaved,
  onCancel,
  onReload,
  correct = correctInvoice,
}: {
  invoiceId: string;
  version: number;
  field: CorrectableField;
  label: string;
  initial: string;
  onSaved: (invoice: Invoice) => void;
  onCancel: () => void;
  onReload: () => void;
  correct?: CorrectFn;
}) {
  const [value, setValue] = useState(initial);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const conflict = error instanceof ApiError && error.status === 409;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setPending(true);
    setError(null);
    try {
      const v = value.trim();
      const saved = await correct(invoiceId, { [field]: v, version } as InvoicePatch);
      onSaved(saved);
    } catch (err) {
      setError(err);
    } finally {
      setPending(false);
    }
  }

  return (
    <form className="correction" onSubmit={(e) => void submit(e)} aria-label={`Correct ${label}`}>
      <label className="field inline">
        <span className="visually-hidden">{label}</span>
        <input
          autoFocus
          type={INPUT_TYPE[field] ?? 'text'}
          inputMode={DECIMALS.includes(field) ? 'decimal' : undefined}
          pattern={DECIMALS.includes(field) ? '-?[0-9]+(\\.[0-9]+)?' : undefined}
          value={value}
          onChange={(e) => setValue(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') onCancel();
          }}
          disabled={conflict}
        />
      </label>
      {conflict ? (
        <div className="error" role="alert">
          <p className="error-detail">
            This invoice changed since you opened it, so your correction was not saved. Reload to see the current values,
            then correct again if needed.
          </p>
          {error.requestId ? <RequestId id={error.requestId} /> : null}
          <div className="row">
            <button type="button" className="button primary" onClick={onReload}>
              Reload
            </button>
            <button type="button" className="button" onClick={onCancel}>
              Cancel
            </button>
          </div>
        </div>
      ) : (
        <>
          {error ? <ErrorMessage error={error} /> : null}
          <div className="row">
            <button type="submit" className="button primary small" disabled={pending}>
              {pending ? 'Saving…' : 'Save'}
            </button>
            <button type="button" className="button small" onClick={onCancel}>
              Cancel
            </button>
          </div>
        </>
      )}
    </form>
  );
}
