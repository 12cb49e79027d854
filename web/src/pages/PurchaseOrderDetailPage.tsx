import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call } from '../api/client';
import { hasRole, useUser } from '../auth/AuthProvider';
import { ErrorMessage } from '../components/ErrorMessage';
import { Money } from '../components/Money';
import { Empty, Loading, QueryState } from '../components/States';
import { formatDate } from '../lib/format';
import { PoStatusBadge } from './purchase-orders/PoStatusBadge';
import { matchTypeWords, subtractDecimal, type GoodsReceipt, type PurchaseOrder } from './purchase-orders/model';
import { ReceiptForm, type GoodsReceiptIn } from './purchase-orders/ReceiptForm';

export default function PurchaseOrderDetailPage() {
  const { id = '' } = useParams();
  const q = useQuery({
    queryKey: ['purchase-order', id],
    queryFn: () => call(api.GET('/api/v1/purchase-orders/{id}', { params: { path: { id } } })) as Promise<PurchaseOrder>,
  });
  if (q.error) return <ErrorMessage error={q.error} title="The purchase order could not be loaded" />;
  if (q.isPending) return <Loading label="Loading the purchase order…" />;
  return <PoDetail po={q.data} />;
}

function PoDetail({ po }: { po: PurchaseOrder }) {
  const user = useUser();
  const qc = useQueryClient();
  const canWrite = hasRole(user, 'AP_ANALYST', 'ADMIN');
  const [receiving, setReceiving] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const vendor = useQuery({
    queryKey: ['vendor', po.vendor_id],
    queryFn: () => call(api.GET('/api/v1/vendors/{id}', { params: { path: { id: po.vendor_id } } })),
    enabled: !po.vendor,
  });
  const vendorName = po.vendor?.name ?? vendor.data?.name ?? null;

  const receive = useMutation({
    mutationFn: (body: GoodsReceiptIn) => call(api.POST('/api/v1/goods-receipts', { body })),
    onMutate: () => setNotice(null),
    onSuccess: (r) => {
      setReceiving(false);
      setNotice(`Goods receipt ${r.receipt_number} recorded.`);
      void qc.invalidateQueries({ queryKey: ['purchase-order', po.id] });
      void qc.invalidateQueries({ queryKey: ['purchase-orders'] });
      void qc.invalidateQueries({ queryKey: ['goods-receipts'] });
    },
  });

  return (
    <article className="page" aria-labelledby="po-title">
      <div className="page-head">
        <div>
          <p className="crumbs">
            <Link to="/purchase-orders">Purchase orders</Link> /
          </p>
          <h1 id="po-title">Purchase order {po.po_number}</h1>
          <p className="subtitle">
            {vendorName ? <Link to={`/vendors/${po.vendor_id}`}>{vendorName}</Link> : 'Vendor'} · ordered {formatDate(po.order_date)} ·{' '}
            <Money amount={po.total_amount} currency={po.currency} /> · <PoStatusBadge status={po.status} /> ·{' '}
            {matchTypeWords(po.match_type)} matching
          </p>
        </div>
        {canWrite && po.status === 'open' && !receiving ? (
          <div className="actions">
            <button type="button" className="button primary" onClick={() => setReceiving(true)}>
              Record goods receipt
            </button>
          </div>
        ) : null}
      </div>
      <p className="sr-status notice" role="status">
        {notice}
      </p>
      {receiving ? (
        <section className="card" aria-labelledby="new-grn-h">
          <h2 id="new-grn-h">New goods receipt</h2>
          <ReceiptForm
            po={po}
            pending={receive.isPending}
            error={receive.error}
            onSubmit={(r) => receive.mutate(r)}
            onCancel={() => {
              receive.reset();
              setReceiving(false);
            }}
          />
        </section>
      ) : null}
      <section className="card" aria-labelledby="po-lines-h">
        <h2 id="po-lines-h">Lines</h2>
        {po.lines.length === 0 ? (
          <Empty>This purchase order has no lines.</Empty>
        ) : (
          <table className="table compact">
            <thead>
              <tr>
                <th scope="col">Line</th>
                <th scope="col">Description</th>
                <th scope="col" className="num">
                  Ordered
                </th>
                <th scope="col" className="num">
                  Received
                </th>
                <th scope="col" className="num">
                  Still to receive
                </th>
                <th scope="col" className="num">
                  Unit price
                </th>
                <th scope="col" className="num">
                  Line total
                </th>
                <th scope="col">GL account</th>
                <th scope="col">Cost centre</th>
              </tr>
            </thead>
            <tbody>
              {po.lines.map((l) => (
                <tr key={l.id}>
                  <td>{l.line_number}</td>
                  <td>{l.description}</td>
                  <td className="num">
                    {l.quantity} {l.unit ?? ''}
                  </td>
                  <td className="num">{l.received_quantity}</td>
                  <td className="num">{subtractDecimal(l.quantity, l.received_quantity) ?? '—'}</td>
                  <td className="num">
                    <Money amount={l.unit_price} currency={po.currency} />
                  </td>
                  <td className="num">
                    <Money amount={l.line_total} currency={po.currency} />
                  </td>
                  <td>{l.gl_account ?? '—'}</td>
                  <td>{l.cost_centre ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <Receipts po={po} />
    </article>
  );
}

/** The PO's goods receipts (the list API has no PO filter: the latest 200, filtered here). */
function Receipts({ po }: { po: PurchaseOrder }) {
  const q = useQuery({
    queryKey: ['goods-receipts', 'latest'],
    queryFn: () => call(api.GET('/api/v1/goods-receipts', { params: { query: { limit: 200 } } })),
  });
  const items = ((q.data?.items ?? []) as GoodsReceipt[]).filter((r) => r.po_id === po.id);
  const lineNo = new Map(po.lines.map((l) => [l.id, l]));
  return (
    <section className="card" aria-labelledby="grn-h">
      <h2 id="grn-h">Goods receipts</h2>
      <QueryState isPending={q.isPending} error={q.error} loadingLabel="Loading goods receipts…">
        {items.length === 0 ? (
          <Empty>No goods received against this order yet.</Empty>
        ) : (
          <table className="table compact">
            <thead>
              <tr>
                <th scope="col">Receipt</th>
                <th scope="col">Received on</th>
                <th scope="col">Quantities</th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.id}>
                  <td>{r.receipt_number}</td>
                  <td>{formatDate((r.received_on ?? r.received_at).slice(0, 10))}</td>
                  <td>
                    {r.lines
                      .map((l) => {
                        const pl = lineNo.get(l.po_line_id);
                        return `line ${l.po_line_number}${pl ? ` (${pl.description})` : ''}: ${l.quantity}${pl?.unit ? ` ${pl.unit}` : ''}`;
                      })
                      .join('; ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryState>
    </section>
  );
}
