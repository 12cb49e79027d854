import { useState, type FormEvent } from 'react';
import type { components } from '../../api/schema';
import { ErrorMessage } from '../../components/ErrorMessage';
import { isPositiveDecimal, subtractDecimal, type PurchaseOrder } from './model';

export type GoodsReceiptIn = components['schemas']['GoodsReceiptIn'];

const DECIMAL = /^\d+(\.\d+)?$/;

function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** A goods receipt against the PO: a quantity per line, prefilled with what is still open. */
export function ReceiptForm({
  po,
  pending,
  error,
  onSubmit,
  onCancel,
}: {
  po: PurchaseOrder;
  pending: boolean;
  error: unknown;
  onSubmit: (r: GoodsReceiptIn) => void;
  onCancel: () => void;
}) {
  const [number, setNumber] = useState('');
  const [date, setDate] = useState(today);
  const [qty, setQty] = useState<Record<number, string>>(() =>
    Object.fromEntries(
      po.lines.map((l) => {
        const open = subtractDecimal(l.quantity, l.received_quantity);
        return [l.line_number, isPositiveDecimal(open) ? (open ?? '') : ''];
      }),
    ),
  );
  const [invalid, setInvalid] = useState<string | null>(null);

  function submit(e: FormEvent) {
    e.preventDefault();
    if (pending) return;
    const lines = po.lines
      .map((l) => ({ po_line_number: l.line_number, quantity: (qty[l.line_number] ?? '').trim() }))
      .filter((l) => l.quantity !== '' && l.quantity !== '0');
    const bad = lines.find((l) => !DECIMAL.test(l.quantity));
    if (bad) {
      setInvalid(`Line ${bad.po_line_number}: the quantity must be a number such as 10 or 2.5.`);
      return;
    }
    if (lines.length === 0) {
      setInvalid('Enter the quantity received on at least one line.');
      return;
    }
    setInvalid(null);
    onSubmit({ receipt_number: number.trim(), po_id: po.id, received_at: date, lines });
  }

  return (
    <form className="form" onSubmit={submit}>
      <div className="form grid-3">
        <label className="field">
          <span>Receipt number</span>
          <input required value={number} onChange={(e) => setNumber(e.target.value)} />
        </label>
        <label className="field">
          <span>Received on</span>
          <input type="date" required value={date} onChange={(e) => setDate(e.target.value)} />
        </label>
      </div>
      <table className="table compact">
        <caption>Quantities received</caption>
        <thead>
          <tr>
            <th scope="col">Line</th>
            <th scope="col">Description</th>
            <th scope="col" className="num">
              Still to receive
            </th>
            <th scope="col">Received now</th>
          </tr>
        </thead>
        <tbody>
          {po.lines.map((l) => (
            <tr key={l.id}>
              <td>{l.line_number}</td>
              <td>{l.description}</td>
              <td className="num">
                {subtractDecimal(l.quantity, l.received_quantity) ?? '—'} {l.unit ?? ''}
              </td>
              <td>
                <input
                  aria-label={`Line ${l.line_number} quantity received`}
                  inputMode="decimal"
                  size={8}
                  value={qty[l.line_number] ?? ''}
                  onChange={(e) => setQty({ ...qty, [l.line_number]: e.target.value })}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {invalid ? (
        <p className="error" role="alert">
          {invalid}
        </p>
      ) : null}
      {error ? <ErrorMessage error={error} /> : null}
      <div className="row">
        <button type="submit" className="button primary" disabled={pending} aria-busy={pending}>
          {pending ? 'Recording…' : 'Record goods receipt'}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
