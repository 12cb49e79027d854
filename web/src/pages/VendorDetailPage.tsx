import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call } from '../api/client';
import { hasRole, useUser } from '../auth/AuthProvider';
import { ErrorMessage } from '../components/ErrorMessage';
import { Money } from '../components/Money';
import { Empty, Loading, QueryState } from '../components/States';
import { formatDate } from '../lib/format';
import { PoStatusBadge } from './purchase-orders/PoStatusBadge';
import { BankDetails } from './vendors/BankDetails';
import { BankFields, VendorForm } from './vendors/VendorForm';
import type { BankAccountIn, Vendor, VendorPatch } from './vendors/model';

export default function VendorDetailPage() {
  const { id = '' } = useParams();
  const q = useQuery({
    queryKey: ['vendor', id],
    queryFn: () => call(api.GET('/api/v1/vendors/{id}', { params: { path: { id } } })) as Promise<Vendor>,
  });
  if (q.error) return <ErrorMessage error={q.error} title="The vendor could not be loaded" />;
  if (q.isPending) return <Loading label="Loading the vendor…" />;
  return <VendorDetail vendor={q.data} />;
}

function VendorDetail({ vendor: v }: { vendor: Vendor }) {
  const user = useUser();
  const qc = useQueryClient();
  const canWrite = hasRole(user, 'AP_ANALYST', 'ADMIN');
  const [editing, setEditing] = useState(false);
  const [changingBank, setChangingBank] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const saved = (x: Vendor, message: string) => {
    qc.setQueryData(['vendor', v.id], x);
    void qc.invalidateQueries({ queryKey: ['vendors'] });
    setNotice(message);
  };

  const update = useMutation({
    mutationFn: (patch: VendorPatch) =>
      call(api.PATCH('/api/v1/vendors/{id}', { params: { path: { id: v.id } }, body: patch })) as Promise<Vendor>,
    onSuccess: (x) => {
      setEditing(false);
      saved(x, 'Vendor saved.');
    },
  });
  const verify = useMutation({
    mutationFn: () =>
      call(api.POST('/api/v1/vendors/{id}/bank-account/verify', { params: { path: { id: v.id } } })) as Promise<Vendor>,
    onMutate: () => setNotice(null),
    onSuccess: (x) => saved(x, 'Bank details verified.'),
  });

  const bank = v.bank_account ?? null;
  const enteredByMe = !!bank && bank.changed_by === user.id;

  return (
    <article className="page" aria-labelledby="vendor-title">
      <div className="page-head">
        <div>
          <p className="crumbs">
            <Link to="/vendors">Vendors</Link> /
          </p>
          <h1 id="vendor-title">{v.name}</h1>
          <p className="subtitle">
            {v.legal_name ?? v.name} · {v.currency} · {v.is_active ? 'Active' : 'Inactive'}
            {v.po_required ? '' : ' · no purchase order needed'}
          </p>
        </div>
        {canWrite && !editing ? (
          <div className="actions">
            <button type="button" className="button" onClick={() => setEditing(true)}>
              Edit vendor
            </button>
          </div>
        ) : null}
      </div>
      <p className="sr-status notice" role="status">
        {notice}
      </p>
      <div className="two-col">
        <section className="card" aria-labelledby="vendor-details-h">
          <h2 id="vendor-details-h">Details</h2>
          {editing ? (
            <VendorForm
              vendor={v}
              withBank={false}
              pending={update.isPending}
              error={update.error}
              submitLabel="Save vendor"
              onSubmit={({ patch }) => (Object.keys(patch).length ? update.mutate(patch) : setEditing(false))}
              onCancel={() => setEditing(false)}
            />
          ) : (
            <dl className="kv">
              <dt>Legal name</dt>
              <dd>{v.legal_name ?? '—'}</dd>
              <dt>Tax id</dt>
              <dd>{v.tax_id ?? '—'}</dd>
              <dt>Billing e-mail</dt>
              <dd>{v.email ?? '—'}</dd>
              <dt>Address</dt>
              <dd>{v.address ?? '—'}</dd>
              <dt>Country</dt>
              <dd>{v.country ?? '—'}</dd>
              <dt>Currency</dt>
              <dd>{v.currency}</dd>
              <dt>Payment terms</dt>
              <dd>
                {v.payment_terms ?? '—'}
                {v.payment_terms_days != null ? ` (${v.payment_terms_days} days)` : ''}
              </dd>
              <dt>Category</dt>
              <dd>{v.category ?? '—'}</dd>
              <dt>Other names</dt>
              <dd>{v.aliases.length ? v.aliases.join(', ') : '—'}</dd>
              <dt>Purchase orders</dt>
              <dd>{v.po_required ? 'Required: invoices are matched to a PO' : 'Not required: invoices skip matching'}</dd>
            </dl>
          )}
        </section>
        <section className="card" aria-labelledby="bank-h">
          <h2 id="bank-h">Bank details</h2>
          <BankDetails bank={bank} currentUserId={user.id} />
          {canWrite && bank && bank.status !== 'verified' ? (
            <>
              {enteredByMe ? (
                <p className="muted small">You entered these details: a different person must verify them.</p>
              ) : null}
              <button type="button" className="button primary" disabled={verify.isPending} onClick={() => verify.mutate()}>
                {verify.isPending ? 'Verifying…' : 'Verify bank details'}
              </button>
            </>
          ) : null}
          {verify.error ? <ErrorMessage error={verify.error} title="The bank details were not verified" /> : null}
          {canWrite ? (
            changingBank ? (
              <ChangeBankForm
                vendorId={v.id}
                onCancel={() => setChangingBank(false)}
                onSaved={(x) => {
                  setChangingBank(false);
                  verify.reset();
                  saved(x, 'Bank details changed: they now await verification by a different person.');
                }}
              />
            ) : (
              <p>
                <button type="button" className="button" onClick={() => setChangingBank(true)}>
                  {bank ? 'Change bank details' : 'Add bank details'}
                </button>
              </p>
            )
          ) : null}
        </section>
      </div>
      <VendorOrders vendorId={v.id} />
    </article>
  );
}

function ChangeBankForm({ vendorId, onSaved, onCancel }: { vendorId: string; onSaved: (v: Vendor) => void; onCancel: () => void }) {
  const [kind, setKind] = useState<'none' | 'iban' | 'us'>('iban');
  const [bank, setBank] = useState<BankAccountIn>({});
  const m = useMutation({
    mutationFn: () =>
      call(api.PUT('/api/v1/vendors/{id}/bank-account', { params: { path: { id: vendorId } }, body: bank })) as Promise<Vendor>,
    onSuccess: (x) => onSaved(x),
  });
  function submit(e: FormEvent) {
    e.preventDefault();
    if (!m.isPending) m.mutate();
  }
  return (
    <form className="form card" onSubmit={submit} aria-labelledby="bank-change-h">
      <h3 className="h3" id="bank-change-h">
        New bank details
      </h3>
      <p className="muted small">A change stays unverified until a different person verifies it.</p>
      <BankFields kind={kind} onKind={setKind} value={bank} onChange={setBank} allowNone={false} />
      {m.error ? <ErrorMessage error={m.error} /> : null}
      <div className="row">
        <button type="submit" className="button primary" disabled={m.isPending}>
          {m.isPending ? 'Saving…' : 'Save bank details'}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function VendorOrders({ vendorId }: { vendorId: string }) {
  const q = useQuery({
    queryKey: ['purchase-orders', { vendor_id: vendorId }],
    queryFn: () => call(api.GET('/api/v1/purchase-orders', { params: { query: { vendor_id: vendorId, limit: 50 } } })),
  });
  return (
    <section className="card" aria-labelledby="vendor-pos-h">
      <h2 id="vendor-pos-h">Purchase orders</h2>
      <QueryState isPending={q.isPending} error={q.error} loadingLabel="Loading purchase orders…">
        {q.data && q.data.items.length === 0 ? (
          <Empty>No purchase orders for this vendor.</Empty>
        ) : (
          <table className="table compact">
            <caption className="visually-hidden">Purchase orders of this vendor</caption>
            <thead>
              <tr>
                <th scope="col">PO</th>
                <th scope="col">Ordered</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Total
                </th>
              </tr>
            </thead>
            <tbody>
              {q.data?.items.map((po) => (
                <tr key={po.id}>
                  <td>
                    <Link to={`/purchase-orders/${po.id}`}>{po.po_number}</Link>
                  </td>
                  <td>{formatDate(po.order_date)}</td>
                  <td>
                    <PoStatusBadge status={po.status} />
                  </td>
                  <td className="num">
                    <Money amount={po.total_amount} currency={po.currency} />
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
