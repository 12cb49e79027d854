import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import type { components } from '../api/schema';
import { api, call } from '../api/client';
import { hasRole, useUser } from '../auth/AuthProvider';
import { ErrorMessage } from '../components/ErrorMessage';
import { SelectFilter, VendorFilter, useVendorChoices } from '../components/Filters';
import { Money } from '../components/Money';
import { Empty, Loading } from '../components/States';
import { formatDate } from '../lib/format';
import { PoStatusBadge } from './purchase-orders/PoStatusBadge';
import { CsvImport } from './purchase-orders/CsvImport';
import { PoForm, type PurchaseOrderIn } from './purchase-orders/PoForm';
import { PO_STATUS_WORDS, isPositiveDecimal, matchTypeWords, subtractDecimal, type PurchaseOrder } from './purchase-orders/model';

type PoStatus = components['schemas']['PurchaseOrderStatus'];
const STATUSES = Object.keys(PO_STATUS_WORDS) as PoStatus[];

export default function PurchaseOrdersPage() {
  const user = useUser();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? '';
  const vendorId = params.get('vendor') ?? '';
  const [creating, setCreating] = useState(false);
  const canWrite = hasRole(user, 'AP_ANALYST', 'ADMIN');

  const filters = {
    status: (STATUSES as string[]).includes(status) ? (status as PoStatus) : undefined,
    vendor_id: vendorId || undefined,
  };
  const list = useInfiniteQuery({
    queryKey: ['purchase-orders', 'list', filters],
    queryFn: ({ pageParam }) =>
      call(
        api.GET('/api/v1/purchase-orders', {
          params: { query: { ...filters, status: filters.status as never, limit: 50, cursor: pageParam ?? undefined } },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const vendors = useVendorChoices();
  const vendorName = (po: PurchaseOrder) =>
    po.vendor?.name ?? vendors.data?.items.find((v) => v.id === po.vendor_id)?.name ?? '—';

  const create = useMutation({
    mutationFn: (body: PurchaseOrderIn) => call(api.POST('/api/v1/purchase-orders', { body })),
    onSuccess: (po) => {
      void qc.invalidateQueries({ queryKey: ['purchase-orders'] });
      void navigate(`/purchase-orders/${po.id}`);
    },
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

  const items = (list.data?.pages.flatMap((p) => p.items) ?? []) as PurchaseOrder[];
  const filtered = Boolean(filters.status || filters.vendor_id);

  return (
    <section className="page" aria-labelledby="pos-title">
      <div className="page-head">
        <h1 id="pos-title">Purchase orders</h1>
        {canWrite && !creating ? (
          <div className="actions">
            <button type="button" className="button primary" onClick={() => setCreating(true)}>
              New purchase order
            </button>
          </div>
        ) : null}
      </div>
      {creating ? (
        <section className="card" aria-labelledby="new-po-h">
          <h2 id="new-po-h">New purchase order</h2>
          <PoForm
            pending={create.isPending}
            error={create.error}
            onSubmit={(po) => create.mutate(po)}
            onCancel={() => {
              create.reset();
              setCreating(false);
            }}
          />
        </section>
      ) : null}
      {canWrite ? <CsvImport onImported={() => void qc.invalidateQueries({ queryKey: ['purchase-orders'] })} /> : null}

      <div className="filters" role="search" aria-label="Filter purchase orders">
        <SelectFilter
          label="Status"
          value={filters.status ?? ''}
          anyLabel="Any status"
          options={STATUSES.map((s) => [s, PO_STATUS_WORDS[s]] as const)}
          onChange={(v) => setParam('status', v)}
        />
        <VendorFilter value={vendorId} onChange={(v) => setParam('vendor', v)} />
        {filtered ? (
          <button type="button" className="link-button" onClick={() => setParams({}, { replace: true })}>
            Clear filters
          </button>
        ) : null}
      </div>

      {list.error && !list.data ? (
        <ErrorMessage error={list.error} title="Purchase orders could not be loaded" />
      ) : !list.data ? (
        <Loading label="Loading purchase orders…" />
      ) : items.length === 0 ? (
        <Empty>{filtered ? 'No purchase order matches these filters.' : 'No purchase orders yet.'}</Empty>
      ) : (
        <>
          <table className="table">
            <caption className="visually-hidden">Purchase orders</caption>
            <thead>
              <tr>
                <th scope="col">PO</th>
                <th scope="col">Vendor</th>
                <th scope="col">Ordered</th>
                <th scope="col">Status</th>
                <th scope="col">Matching</th>
                <th scope="col" className="num">
                  Lines received
                </th>
                <th scope="col" className="num">
                  Total
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((po) => {
                const received = po.lines.filter((l) => !isPositiveDecimal(subtractDecimal(l.quantity, l.received_quantity))).length;
                return (
                  <tr key={po.id}>
                    <td>
                      <Link to={`/purchase-orders/${po.id}`} className="row-link">
                        {po.po_number}
                      </Link>
                    </td>
                    <td>{vendorName(po)}</td>
                    <td>{formatDate(po.order_date)}</td>
                    <td>
                      <PoStatusBadge status={po.status} />
                    </td>
                    <td>{matchTypeWords(po.match_type)}</td>
                    <td className="num">
                      {received} of {po.lines.length}
                    </td>
                    <td className="num">
                      <Money amount={po.total_amount} currency={po.currency} />
                    </td>
                  </tr>
                );
              })}
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
    </section>
  );
}
