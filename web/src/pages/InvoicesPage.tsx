import { useEffect, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import type { components } from '../api/schema';
import { api, call } from '../api/client';
import { hasRole, useUser } from '../auth/AuthProvider';
import { INVOICE_STATUSES, INVOICE_STATUS_WORDS, formatDate, type InvoiceStatus } from '../lib/format';
import { StatusBadge, RiskBadge } from '../components/Badges';
import { Money } from '../components/Money';
import { Empty, Loading } from '../components/States';
import { ErrorMessage } from '../components/ErrorMessage';
import { SelectFilter, VendorFilter } from '../components/Filters';
import { UploadPanel } from './invoices/UploadPanel';

const PAGE = 50;

type Sort = components['schemas']['InvoiceSortParam'];
const SORTS: [Sort, string][] = [
  ['-created_at', 'Newest first'],
  ['created_at', 'Oldest first'],
  ['due_date', 'Due soonest'],
  ['-due_date', 'Due latest'],
  ['-amount', 'Largest amount'],
  ['amount', 'Smallest amount'],
];
function isSort(s: string | null): s is Sort {
  return SORTS.some(([v]) => v === s);
}

function isStatus(s: string | null): s is InvoiceStatus {
  return !!s && (INVOICE_STATUSES as string[]).includes(s);
}

export default function InvoicesPage() {
  const user = useUser();
  const qc = useQueryClient();
  const [params, setParams] = useSearchParams();
  const status = params.get('status');
  const q = params.get('q') ?? '';
  const vendorId = params.get('vendor') ?? '';
  const dueBefore = params.get('due_before') ?? '';
  const sortParam = params.get('sort');
  const sort = isSort(sortParam) ? sortParam : undefined;
  const [search, setSearch] = useState(q);
  useEffect(() => setSearch(q), [q]);

  const filters = {
    status: isStatus(status) ? status : undefined,
    q: q || undefined,
    vendor_id: vendorId || undefined,
    due_before: dueBefore || undefined,
    sort,
  };

  const list = useInfiniteQuery({
    queryKey: ['invoices', filters],
    queryFn: ({ pageParam }) =>
      call(
        api.GET('/api/v1/invoices', {
          params: {
            query: { ...filters, status: filters.status ? [filters.status] : undefined, limit: PAGE, cursor: pageParam ?? undefined },
          },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });

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

  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  const canUpload = hasRole(user, 'AP_CLERK', 'AP_ANALYST', 'ADMIN');
  const filtered = Boolean(filters.status || filters.q || filters.vendor_id || filters.due_before);

  return (
    <section aria-labelledby="invoices-title" className="page">
      <div className="page-head">
        <h1 id="invoices-title">Invoices</h1>
      </div>
      {canUpload ? <UploadPanel onUploaded={() => void qc.invalidateQueries({ queryKey: ['invoices'] })} /> : null}

      <div className="filters" role="search" aria-label="Filter invoices">
        <form onSubmit={submitSearch} className="filter-search">
          <label className="field inline">
            <span>Search</span>
            <input
              type="search"
              value={search}
              placeholder="Invoice number or vendor"
              onChange={(e) => setSearch(e.target.value)}
            />
          </label>
          <button type="submit" className="button">
            Search
          </button>
        </form>
        <SelectFilter
          label="Status"
          value={filters.status ?? ''}
          anyLabel="Any status"
          options={INVOICE_STATUSES.map((s) => [s, INVOICE_STATUS_WORDS[s]] as const)}
          onChange={(v) => setParam('status', v)}
        />
        <VendorFilter value={vendorId} onChange={(v) => setParam('vendor', v)} />
        <label className="field inline">
          <span>Due before</span>
          <input type="date" value={dueBefore} onChange={(e) => setParam('due_before', e.target.value)} />
        </label>
        <label className="field inline">
          <span>Order</span>
          <select value={sort ?? '-created_at'} onChange={(e) => setParam('sort', e.target.value === '-created_at' ? '' : e.target.value)}>
            {SORTS.map(([v, label]) => (
              <option key={v} value={v}>
                {label}
              </option>
            ))}
          </select>
        </label>
        {filtered ? (
          <button type="button" className="link-button" onClick={() => setParams({}, { replace: true })}>
            Clear filters
          </button>
        ) : null}
      </div>

      {list.error && !list.data ? (
        <ErrorMessage error={list.error} title="Invoices could not be loaded" />
      ) : !list.data ? (
        <Loading label="Loading invoices…" />
      ) : items.length === 0 ? (
        <Empty>{filtered ? 'No invoice matches these filters.' : 'No invoices yet. Upload the first one above.'}</Empty>
      ) : (
        <>
          <table className="table invoices">
            <caption className="visually-hidden">Invoices, {(SORTS.find(([v]) => v === (sort ?? '-created_at'))?.[1] ?? 'newest first').toLowerCase()}</caption>
            <thead>
              <tr>
                <th scope="col">Invoice</th>
                <th scope="col">Vendor</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col">Due</th>
                <th scope="col">Received</th>
              </tr>
            </thead>
            <tbody>
              {items.map((inv) => (
                <tr key={inv.id}>
                  <td>
                    <Link to={`/invoices/${inv.id}`} className="row-link">
                      {inv.invoice_number ?? 'Not yet read'}
                    </Link>
                    {inv.unread_messages ? (
                      <span className="unread-dot" title={`${inv.unread_messages} unread vendor messages`}>
                        <span className="visually-hidden">{inv.unread_messages} unread vendor messages</span>
                      </span>
                    ) : null}
                  </td>
                  <td>{inv.vendor?.name ?? inv.vendor_name_raw ?? '—'}</td>
                  <td>
                    <StatusBadge status={inv.status} />
                    <RiskBadge score={inv.risk_score ?? inv.match?.risk_score} />
                    {inv.touchless ? <span className="badge subtle">Touchless</span> : null}
                  </td>
                  <td className="num">
                    <Money amount={inv.total_amount} currency={inv.currency} />
                  </td>
                  <td>{formatDate(inv.due_date)}</td>
                  <td>{formatDate(inv.created_at.slice(0, 10))}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="list-foot">
            {list.hasNextPage ? (
              <button
                type="button"
                className="button"
                disabled={list.isFetchingNextPage}
                onClick={() => void list.fetchNextPage()}
              >
                {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
              </button>
            ) : (
              <span className="muted small">All {items.length} shown</span>
            )}
            {list.isFetchNextPageError ? <ErrorMessage error={list.error} /> : null}
          </div>
        </>
      )}
    </section>
  );
}
