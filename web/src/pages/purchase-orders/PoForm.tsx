import { useState, type FormEvent } from 'react';
import { useQuery } from '@tanstack/react-query';
import type { components } from '../../api/schema';
import { api, call } from '../../api/client';
import { ErrorMessage } from '../../components/ErrorMessage';
import { formatMoney } from '../../lib/money';

export type PurchaseOrderIn = components['schemas']['PurchaseOrderIn'];

interface Line {
  description: string;
  quantity: string;
  unit_price: string;
  unit: string;
}

const DECIMAL = /^\d+(\.\d+)?$/;
const emptyLine = (): Line => ({ description: '', quantity: '', unit_price: '', unit: '' });

/** quantity × unit price as an exact decimal string (BigInt, never a float). */
export function lineTotal(quantity: string, unitPrice: string): string | null {
  if (!DECIMAL.test(quantity) || !DECIMAL.test(unitPrice)) return null;
  const [qi = '0', qf = ''] = quantity.split('.');
  const [pi = '0', pf = ''] = unitPrice.split('.');
  const scale = qf.length + pf.length;
  const units = BigInt(qi + qf) * BigInt(pi + pf);
  const s = units.toString().padStart(scale + 1, '0');
  return scale ? `${s.slice(0, -scale)}.${s.slice(-scale)}` : s;
}

/** A new purchase order with its lines. */
export function PoForm({
  pending,
  error,
  onSubmit,
  onCancel,
}: {
  pending: boolean;
  error: unknown;
  onSubmit: (po: PurchaseOrderIn) => void;
  onCancel: () => void;
}) {
  const vendors = useQuery({
    queryKey: ['vendors', 'filter'],
    queryFn: () => call(api.GET('/api/v1/vendors', { params: { query: { limit: 200 } } })),
    staleTime: 5 * 60_000,
  });
  const [poNumber, setPoNumber] = useState('');
  const [vendorId, setVendorId] = useState('');
  const [currency, setCurrency] = useState('');
  const [orderDate, setOrderDate] = useState('');
  const [matchType, setMatchType] = useState<'3way' | '2way'>('3way');
  const [lines, setLines] = useState<Line[]>([emptyLine()]);
  const [invalid, setInvalid] = useState<string | null>(null);
  const vendor = vendors.data?.items.find((v) => v.id === vendorId);
  const cur = (currency || vendor?.currency || 'USD').toUpperCase();

  function setLine(i: number, patch: Partial<Line>) {
    setLines((ls) => ls.map((l, j) => (j === i ? { ...l, ...patch } : l)));
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    if (pending) return;
    const bad = lines.findIndex((l) => !l.description.trim() || !DECIMAL.test(l.quantity.trim()) || !DECIMAL.test(l.unit_price.trim()));
    if (bad >= 0) {
      setInvalid(`Line ${bad + 1} needs a description, a quantity and a unit price (numbers such as 10 or 74.50).`);
      return;
    }
    setInvalid(null);
    onSubmit({
      po_number: poNumber.trim(),
      vendor_id: vendorId,
      currency: cur,
      order_date: orderDate || undefined,
      match_type: matchType,
      status: 'open',
      lines: lines.map((l, i) => ({
        line_number: i + 1,
        description: l.description.trim(),
        quantity: l.quantity.trim(),
        unit_price: l.unit_price.trim(),
        ...(l.unit.trim() ? { unit: l.unit.trim() } : {}),
      })),
    });
  }

  return (
    <form className="form" onSubmit={submit}>
      <div className="form grid-3">
        <label className="field">
          <span>PO number</span>
          <input required value={poNumber} onChange={(e) => setPoNumber(e.target.value)} />
        </label>
        <label className="field">
          <span>Vendor</span>
          <select required value={vendorId} onChange={(e) => setVendorId(e.target.value)}>
            <option value="">Choose a vendor</option>
            {vendors.data?.items.map((v) => (
              <option key={v.id} value={v.id}>
                {v.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Currency</span>
          <input value={currency} placeholder={vendor?.currency ?? 'USD'} maxLength={3} onChange={(e) => setCurrency(e.target.value)} />
        </label>
        <label className="field">
          <span>Order date</span>
          <input type="date" value={orderDate} onChange={(e) => setOrderDate(e.target.value)} />
        </label>
        <label className="field">
          <span>Matching</span>
          <select value={matchType} onChange={(e) => setMatchType(e.target.value as '3way' | '2way')}>
            <option value="3way">3-way (goods must be received)</option>
            <option value="2way">2-way (services)</option>
          </select>
        </label>
      </div>
      {vendors.error ? <ErrorMessage error={vendors.error} title="Vendors could not be loaded" /> : null}
      <table className="table compact">
        <caption>Lines</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Description</th>
            <th scope="col">Quantity</th>
            <th scope="col">Unit</th>
            <th scope="col">Unit price</th>
            <th scope="col" className="num">
              Total
            </th>
            <th scope="col">
              <span className="visually-hidden">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {lines.map((l, i) => {
            const total = lineTotal(l.quantity.trim(), l.unit_price.trim());
            return (
              <tr key={i}>
                <td>{i + 1}</td>
                <td>
                  <input aria-label={`Line ${i + 1} description`} value={l.description} onChange={(e) => setLine(i, { description: e.target.value })} />
                </td>
                <td>
                  <input
                    aria-label={`Line ${i + 1} quantity`}
                    inputMode="decimal"
                    size={6}
                    value={l.quantity}
                    onChange={(e) => setLine(i, { quantity: e.target.value })}
                  />
                </td>
                <td>
                  <input aria-label={`Line ${i + 1} unit`} size={4} value={l.unit} onChange={(e) => setLine(i, { unit: e.target.value })} />
                </td>
                <td>
                  <input
                    aria-label={`Line ${i + 1} unit price`}
                    inputMode="decimal"
                    size={8}
                    value={l.unit_price}
                    onChange={(e) => setLine(i, { unit_price: e.target.value })}
                  />
                </td>
                <td className="num">{total ? formatMoney(total, cur) : '—'}</td>
                <td>
                  {lines.length > 1 ? (
                    <button
                      type="button"
                      className="link-button"
                      aria-label={`Remove line ${i + 1}`}
                      onClick={() => setLines((ls) => ls.filter((_, j) => j !== i))}
                    >
                      Remove
                    </button>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p>
        <button type="button" className="button small" onClick={() => setLines((ls) => [...ls, emptyLine()])}>
          Add line
        </button>
      </p>
      {invalid ? (
        <p className="error" role="alert">
          {invalid}
        </p>
      ) : null}
      {error ? <ErrorMessage error={error} /> : null}
      <div className="row">
        <button type="submit" className="button primary" disabled={pending} aria-busy={pending}>
          {pending ? 'Creating…' : 'Create purchase order'}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
