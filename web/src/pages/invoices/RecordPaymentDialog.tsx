import { useRef, useState, type FormEvent } from 'react';
import type { components } from '../../api/schema';
import { api, call } from '../../api/client';
import { ApiError } from '../../api/errors';
import { Dialog, DialogClose } from '../../components/Dialog';
import { RequestId } from '../../components/ErrorMessage';
import { Money } from '../../components/Money';
import { newUuid } from '../../lib/uuid';

type PaymentIn = components['schemas']['PaymentIn'];
export type PaymentRecorded = components['schemas']['PaymentRecordedOut'];
export type PayFn = (invoiceId: string, body: PaymentIn, idempotencyKey: string) => Promise<PaymentRecorded>;

export const recordPayment: PayFn = (invoiceId, body, idempotencyKey) =>
  call(
    api.POST('/api/v1/invoices/{id}/payment', {
      params: { path: { id: invoiceId }, header: { 'Idempotency-Key': idempotencyKey } },
      body,
    }),
  );

export function paymentErrorText(e: unknown): string {
  if (!(e instanceof ApiError)) return 'The payment could not be recorded. Please try again.';
  if (e.status === 409) return `This invoice is already paid, so nothing was paid again. ${e.detail}`;
  if (e.status === 400) return `The payment cannot be recorded: ${e.detail}`;
  if (e.status === 403) return 'Only an administrator can record a payment.';
  if (e.status === 0) return `${e.detail} Retrying is safe: the payment is recorded at most once.`;
  return e.detail;
}

interface Props {
  invoice: { id: string; invoice_number?: string | null; total_amount?: string | null; amount_due?: string | null; currency?: string | null };
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onPaid: (p: PaymentRecorded) => void;
  pay?: PayFn;
}

export function RecordPaymentDialog({ open, onOpenChange, ...rest }: Props) {
  return (
    <Dialog open={open} onOpenChange={onOpenChange} title="Record payment">
      {/* Mounted only while open: each opening gets its own Idempotency-Key. */}
      {open ? <PaymentForm {...rest} /> : null}
    </Dialog>
  );
}

function PaymentForm({ invoice, onPaid, pay = recordPayment }: Omit<Props, 'open' | 'onOpenChange'>) {
  // Generated when the dialog opens and reused for every retry: one payment at most.
  const [idempotencyKey] = useState(newUuid);
  const [method, setMethod] = useState<PaymentIn['payment_method']>('ACH');
  const [reference, setReference] = useState('');
  const [date, setDate] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const inflight = useRef(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (inflight.current) return;
    inflight.current = true;
    setPending(true);
    setError(null);
    try {
      const result = await pay(
        invoice.id,
        { payment_method: method, payment_reference: reference.trim() || null, payment_date: date || null },
        idempotencyKey,
      );
      onPaid(result);
    } catch (err) {
      setError(err);
    } finally {
      inflight.current = false;
      setPending(false);
    }
  }

  return (
    <form onSubmit={(e) => void submit(e)} className="form" data-idempotency-key={idempotencyKey}>
      <p>
        Invoice <strong>{invoice.invoice_number ?? invoice.id}</strong>:{' '}
        <Money amount={invoice.amount_due ?? invoice.total_amount} currency={invoice.currency} />
      </p>
      <label className="field">
        <span>Payment method</span>
        <select value={method} onChange={(e) => setMethod(e.target.value as PaymentIn['payment_method'])}>
          <option value="ACH">ACH</option>
          <option value="WIRE">Wire</option>
          <option value="CHECK">Check</option>
        </select>
      </label>
      <label className="field">
        <span>Reference</span>
        <input value={reference} onChange={(e) => setReference(e.target.value)} maxLength={140} />
      </label>
      <label className="field">
        <span>Payment date (optional)</span>
        <input type="date" value={date} onChange={(e) => setDate(e.target.value)} />
      </label>
      {error ? (
        <div className="error" role="alert">
          <p className="error-detail">{paymentErrorText(error)}</p>
          {error instanceof ApiError && error.requestId ? <RequestId id={error.requestId} /> : null}
        </div>
      ) : null}
      <div className="dialog-actions">
        <DialogClose className="button" type="button">
          Cancel
        </DialogClose>
        <button type="submit" className="button primary" disabled={pending} aria-busy={pending}>
          {pending ? 'Recording…' : 'Confirm payment'}
        </button>
      </div>
    </form>
  );
}
