import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { api, call } from '../api/client';
import { hasRole, useUser } from '../auth/AuthProvider';
import { Dialog } from '../components/Dialog';
import { ErrorMessage } from '../components/ErrorMessage';
import { Empty, Loading } from '../components/States';
import { VendorForm } from './vendors/VendorForm';
import type { Vendor, VendorIn } from './vendors/model';

export default function VendorsPage() {
  const user = useUser();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const inactive = params.get('inactive') === '1';
  const [search, setSearch] = useState(q);
  useEffect(() => setSearch(q), [q]);
  const [creating, setCreating] = useState(false);
  const canWrite = hasRole(user, 'AP_ANALYST', 'ADMIN');

  const filters = { q: q || undefined, is_active: inactive ? undefined : true };
  const list = useInfiniteQuery({
    queryKey: ['vendors', 'list', filters],
    queryFn: ({ pageParam }) =>
      call(api.GET('/api/v1/vendors', { params: { query: { ...filters, limit: 50, cursor: pageParam ?? undefined } } })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const items = (list.data?.pages.flatMap((p) => p.items) ?? []) as Vendor[];

  function setParam(name: string, value: string) {
    setParams(
      (p) => {
        const next = new URLSearchParams(p);
        if (value) next.set(name, value);
        else next.delete(name);
        return next;
      },
      { replace: true },
    );
  }
  function submitSearch(e: FormEvent) {
    e.preventDefault();
    setParam('q', search.trim());
  }

  return (
    <section className="page" aria-labelledby="vendors-title">
      <div className="page-head">
        <h1 id="vendors-title">Vendors</h1>
        {canWrite ? (
          <div className="actions">
            <button type="button" className="button primary" onClick={() => setCreating(true)}>
              New vendor
            </button>
          </div>
        ) : null}
      </div>
      <div className="filters" role="search" aria-label="Filter vendors">
        <form onSubmit={submitSearch} className="filter-search">
          <label className="field inline">
            <span>Search</span>
            <input type="search" value={search} placeholder="Name or tax id" onChange={(e) => setSearch(e.target.value)} />
          </label>
          <button type="submit" className="button">
            Search
          </button>
        </form>
        <label className="check">
          <input type="checkbox" checked={inactive} onChange={(e) => setParam('inactive', e.target.checked ? '1' : '')} /> Include
          inactive vendors
        </label>
      </div>
      {list.error && !list.data ? (
        <ErrorMessage error={list.error} title="Vendors could not be loaded" />
      ) : !list.data ? (
        <Loading label="Loading vendors…" />
      ) : items.length === 0 ? (
        <Empty>{q ? 'No vendor matches this search.' : 'No vendors yet.'}</Empty>
      ) : (
        <>
          <table className="table">
            <caption className="visually-hidden">Vendors</caption>
            <thead>
              <tr>
                <th scope="col">Vendor</th>
                <th scope="col">Tax id</th>
                <th scope="col">Country</th>
                <th scope="col">Currency</th>
                <th scope="col">Payment terms</th>
                <th scope="col">Bank details</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {items.map((v) => (
                <tr key={v.id}>
                  <td>
                    <Link to={`/vendors/${v.id}`} className="row-link">
                      {v.name}
                    </Link>
                  </td>
                  <td>{v.tax_id ?? '—'}</td>
                  <td>{v.country ?? '—'}</td>
                  <td>{v.currency}</td>
                  <td>{v.payment_terms ?? '—'}</td>
                  <td>
                    {v.bank_account ? (
                      <>
                        <code aria-hidden="true">•••• {v.bank_account.account_last4}</code>
                        <span className="visually-hidden">Account ending in {v.bank_account.account_last4}</span>{' '}
                        {v.bank_account.status === 'verified' ? (
                          <span className="badge status-approved">Verified</span>
                        ) : (
                          <span className="badge risk-medium">Awaiting verification</span>
                        )}
                      </>
                    ) : (
                      <span className="muted">None</span>
                    )}
                  </td>
                  <td>{v.is_active ? 'Active' : 'Inactive'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="list-foot">
            {list.hasNextPage ? (
              <button type="button" className="button" disabled={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
                {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
              </button>
            ) : (
              <span className="muted small">All {items.length} shown</span>
            )}
            {list.isFetchNextPageError ? <ErrorMessage error={list.error} /> : null}
          </div>
        </>
      )}
      {canWrite ? <CreateVendorDialog open={creating} onOpenChange={setCreating} /> : null}
    </section>
  );
}

function CreateVendorDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (o: boolean) => void }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const m = useMutation({
    mutationFn: (body: VendorIn) => call(api.POST('/api/v1/vendors', { body })),
    onSuccess: (v) => {
      void qc.invalidateQueries({ queryKey: ['vendors'] });
      onOpenChange(false);
      void navigate(`/vendors/${v.id}`);
    },
  });
  return (
    <Dialog open={open} onOpenChange={onOpenChange} title="New vendor">
      {open ? (
        <VendorForm
          withBank
          pending={m.isPending}
          error={m.error}
          submitLabel="Create vendor"
          onSubmit={({ create }) => m.mutate(create)}
          onCancel={() => onOpenChange(false)}
        />
      ) : null}
    </Dialog>
  );
}
