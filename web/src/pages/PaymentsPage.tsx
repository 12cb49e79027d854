import { Link } from 'react-router';
import { useInfiniteQuery } from '@tanstack/react-query';
import { api, call } from '../api/client';
import { ErrorMessage } from '../components/ErrorMessage';
import { Money } from '../components/Money';
import { StatusBadge } from '../components/Badges';
import { Empty, Loading } from '../components/States';
import { PAYMENT_METHOD_WORDS, formatDate } from '../lib/format';

export default function PaymentsPage() {
  const list = useInfiniteQuery({
    queryKey: ['payments'],
    queryFn: ({ pageParam }) =>
      call(api.GET('/api/v1/payments', { params: { query: { limit: 50, cursor: pageParam ?? undefined } } })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section className="page" aria-labelledby="payments-title">
      <div className="page-head">
        <h1 id="payments-title">Payments</h1>
      </div>
      {list.error && !list.data ? (
        <ErrorMessage error={list.error} title="Payments could not be loaded" />
      ) : !list.data ? (
        <Loading label="Loading payments…" />
      ) : items.length === 0 ? (
        <Empty>No payments yet.</Empty>
      ) : (
        <>
          <table className="table">
            <caption className="visually-hidden">Payments, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Invoice</th>
                <th scope="col">Vendor</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col">Method</th>
                <th scope="col">Reference</th>
                <th scope="col">Date</th>
              </tr>
            </thead>
            <tbody>
              {items.map((p) => (
                <tr key={p.id}>
                  <td>
                    <Link to={`/invoices/${p.invoice_id}`}>{p.invoice_number ?? 'Invoice'}</Link>
                  </td>
                  <td>{p.vendor_name ?? '—'}</td>
                  <td>
                    <StatusBadge status={p.status} />
                  </td>
                  <td className="num">
                    <Money amount={p.amount} currency={p.currency} />
                  </td>
                  <td>{PAYMENT_METHOD_WORDS[p.payment_method]}</td>
                  <td>{p.payment_reference ?? '—'}</td>
                  <td>{formatDate(p.payment_date)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="list-foot">
            {list.hasNextPage ? (
              <button type="button" className="button" disabled={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
                {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
              </button>
            ) : null}
            {list.isFetchNextPageError ? <ErrorMessage error={list.error} /> : null}
          </div>
        </>
      )}
    </section>
  );
}
