import { useMemo } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call } from '../api/client';
import { useUser } from '../auth/AuthProvider';
import { StatusBadge } from '../components/Badges';
import { ErrorMessage } from '../components/ErrorMessage';
import { Money } from '../components/Money';
import { Empty, Loading } from '../components/States';
import { formatDateTime, words } from '../lib/format';
import { ExceptionDetail } from './exceptions/ExceptionDetail';
import {
  CODE_WORDS,
  SEVERITIES,
  SLA_CHOICES,
  STATUS_CHOICES,
  codeWords,
  matchesSla,
  personName,
  severityClass,
  slaState,
  type ExceptionItem,
  type ExceptionSeverity,
  type SlaFilter,
} from './exceptions/model';
import './exceptions/exceptions.css';

const PAGE = 50;

export default function ExceptionsPage() {
  const user = useUser();
  const qc = useQueryClient();
  const [params, setParams] = useSearchParams();
  const assigned = params.get('assigned') ?? '';
  const code = params.get('code') ?? '';
  const severity = params.get('severity') ?? '';
  const status = params.get('status') ?? 'active';
  const sla = (params.get('sla') ?? '') as SlaFilter;
  const invoiceId = params.get('invoice') ?? '';
  const selectedId = params.get('id');

  const filters = {
    // `active` is the three statuses still to be worked (the API takes a comma list).
    status: status === 'all' ? undefined : status === 'active' ? 'open,in_progress,escalated' : status,
    code: code || undefined,
    severity: (SEVERITIES as string[]).includes(severity) ? (severity as ExceptionSeverity) : undefined,
    assigned_to: assigned === 'me' || assigned === 'none' ? assigned : undefined,
    invoice_id: invoiceId || undefined,
  };

  const list = useInfiniteQuery({
    queryKey: ['exceptions', filters],
    queryFn: ({ pageParam }) =>
      call(
        api.GET('/api/v1/exceptions', {
          params: {
            query: {
              ...filters,
              // A comma list of statuses: typed loosely (the generated type names one status).
              status: filters.status as never,
              limit: PAGE,
              cursor: pageParam ?? undefined,
            },
          },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });

  const now = Date.now();
  const loaded = useMemo(() => (list.data?.pages.flatMap((p) => p.items) ?? []) as ExceptionItem[], [list.data]);
  const items = loaded.filter((e) => matchesSla(e, sla, now));
  const currentId = selectedId ?? items[0]?.id ?? null;
  const fromList = loaded.find((e) => e.id === currentId);

  const one = useQuery({
    queryKey: ['exception', currentId],
    queryFn: () => call(api.GET('/api/v1/exceptions/{id}', { params: { path: { id: currentId ?? '' } } })) as Promise<ExceptionItem>,
    enabled: currentId !== null && !fromList,
  });
  const selected = fromList ?? one.data ?? null;

  function setParam(name: string, value: string) {
    setParams(
      (p) => {
        const next = new URLSearchParams(p);
        if (value) next.set(name, value);
        else next.delete(name);
        if (name !== 'id') next.delete('id');
        return next;
      },
      { replace: true },
    );
  }

  const filtered = Boolean(assigned || code || severity || sla || invoiceId || status !== 'active');

  return (
    <section aria-labelledby="exceptions-title" className="page">
      <div className="page-head">
        <h1 id="exceptions-title">Exceptions</h1>
      </div>
      <div className="filters" role="search" aria-label="Filter exceptions">
        <label className="field inline">
          <span>Assigned</span>
          <select value={assigned} onChange={(e) => setParam('assigned', e.target.value)}>
            <option value="">Anyone</option>
            <option value="me">Mine</option>
            <option value="none">Unassigned</option>
          </select>
        </label>
        <label className="field inline">
          <span>Status</span>
          <select value={status} onChange={(e) => setParam('status', e.target.value === 'active' ? '' : e.target.value)}>
            {STATUS_CHOICES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <label className="field inline">
          <span>Code</span>
          <select value={code} onChange={(e) => setParam('code', e.target.value)}>
            <option value="">Any code</option>
            {Object.keys(CODE_WORDS).map((c) => (
              <option key={c} value={c}>
                {CODE_WORDS[c]}
              </option>
            ))}
            {code && !(code in CODE_WORDS) ? <option value={code}>{codeWords(code)}</option> : null}
          </select>
        </label>
        <label className="field inline">
          <span>Severity</span>
          <select value={severity} onChange={(e) => setParam('severity', e.target.value)}>
            <option value="">Any severity</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {words(s)}
              </option>
            ))}
          </select>
        </label>
        <label className="field inline">
          <span>SLA</span>
          <select value={sla} onChange={(e) => setParam('sla', e.target.value)}>
            {SLA_CHOICES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        {invoiceId ? (
          <span className="badge subtle">
            One invoice{' '}
            <button type="button" className="link-button" onClick={() => setParam('invoice', '')}>
              Show all invoices
            </button>
          </span>
        ) : null}
        {filtered ? (
          <button type="button" className="link-button" onClick={() => setParams({}, { replace: true })}>
            Clear filters
          </button>
        ) : null}
      </div>

      {list.error && !list.data ? (
        <ErrorMessage error={list.error} title="Exceptions could not be loaded" />
      ) : !list.data ? (
        <Loading label="Loading exceptions…" />
      ) : items.length === 0 && !selected ? (
        <>
          <Empty>{filtered ? 'No exception matches these filters.' : 'No exceptions to work. Well done.'}</Empty>
          <LoadMore list={list} />
        </>
      ) : (
        <div className="split">
          <div>
            {items.length === 0 ? (
              <Empty>{filtered ? 'No exception matches these filters.' : 'No exceptions to work. Well done.'}</Empty>
            ) : (
              <table className="table">
                <caption className="visually-hidden">Exceptions, newest first; choose one to work it</caption>
                <thead>
                  <tr>
                    <th scope="col">Exception</th>
                    <th scope="col">Invoice</th>
                    <th scope="col">Vendor</th>
                    <th scope="col" className="num">
                      Amount
                    </th>
                    <th scope="col">Status</th>
                    <th scope="col">Assigned</th>
                    <th scope="col">SLA due</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((e) => {
                    const s = slaState(e, now);
                    const isSelected = e.id === currentId;
                    return (
                      <tr key={e.id} aria-current={isSelected ? 'true' : undefined} className={isSelected ? 'selected' : undefined}>
                        <td>
                          <button
                            type="button"
                            className="link-button row-link"
                            aria-pressed={isSelected}
                            onClick={() => setParam('id', e.id)}
                          >
                            {codeWords(e.code)}
                          </button>{' '}
                          <span className={`badge ${severityClass(e.severity)}`}>{words(e.severity)}</span>
                        </td>
                        <td>
                          <Link to={`/invoices/${e.invoice_id}`}>{e.invoice_number ?? 'Invoice'}</Link>
                        </td>
                        <td>{e.vendor?.name ?? '—'}</td>
                        <td className="num">{e.amount ? <Money amount={e.amount} currency={e.currency} /> : '—'}</td>
                        <td>
                          <StatusBadge status={e.status} />
                        </td>
                        <td>{e.assigned_to ? (e.assigned_to === user.id ? 'You' : personName(e.assignee, e.assigned_to)) : 'Unassigned'}</td>
                        <td className={s === 'overdue' ? 'inbox-due overdue' : undefined}>
                          {e.due_at ? `${s === 'overdue' ? 'Overdue: ' : ''}${formatDateTime(e.due_at)}` : '—'}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
            {sla && loaded.length !== items.length ? (
              <p className="muted small">
                {items.length} of the {loaded.length} loaded exceptions match the SLA filter.
              </p>
            ) : null}
            <LoadMore list={list} count={loaded.length} />
          </div>
          <div>
            {selected ? (
              <ExceptionDetail
                key={selected.id}
                exception={selected}
                onChanged={(x) => {
                  qc.setQueryData(['exception', x.id], x);
                  void qc.invalidateQueries({ queryKey: ['exceptions'] });
                  void qc.invalidateQueries({ queryKey: ['invoice', x.invoice_id] });
                }}
              />
            ) : one.error ? (
              <ErrorMessage error={one.error} title="The exception could not be loaded" />
            ) : one.isFetching ? (
              <Loading label="Loading the exception…" />
            ) : (
              <Empty>Choose an exception to work it.</Empty>
            )}
          </div>
        </div>
      )}
    </section>
  );
}

function LoadMore({
  list,
  count,
}: {
  list: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown; isFetchNextPageError: boolean; error: unknown };
  count?: number;
}) {
  return (
    <div className="list-foot">
      {list.hasNextPage ? (
        <button type="button" className="button" disabled={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
          {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      ) : count ? (
        <span className="muted small">All {count} loaded</span>
      ) : null}
      {list.isFetchNextPageError ? <ErrorMessage error={list.error} /> : null}
    </div>
  );
}
