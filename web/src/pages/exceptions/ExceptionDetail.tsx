import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call } from '../../api/client';
import { hasRole, useUser } from '../../auth/AuthProvider';
import { StatusBadge } from '../../components/Badges';
import { ErrorMessage } from '../../components/ErrorMessage';
import { Money } from '../../components/Money';
import { Empty, QueryState } from '../../components/States';
import { formatDateTime, words } from '../../lib/format';
import { updateException } from './api';
import { WaiveDialog } from './WaiveDialog';
import {
  codeWords,
  isActive,
  personName,
  severityClass,
  slaState,
  type Comment,
  type ExceptionItem,
} from './model';

/** One exception: what was found, on which invoice, who holds it, and the actions on it. */
export function ExceptionDetail({ exception: e, onChanged }: { exception: ExceptionItem; onChanged: (e: ExceptionItem) => void }) {
  const user = useUser();
  const canWork = hasRole(user, 'AP_ANALYST', 'ADMIN');
  const isAdmin = hasRole(user, 'ADMIN');
  const active = isActive(e.status);
  const mine = e.assigned_to === user.id;
  const canTake = canWork && active && !mine && (!e.assigned_to || isAdmin);
  const [note, setNote] = useState('');
  const [waiving, setWaiving] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  const take = useMutation({
    mutationFn: () =>
      updateException(e.id, {
        assigned_to: user.id,
        ...(e.status === 'open' || e.status === 'escalated' ? { status: 'in_progress' as const } : {}),
      }),
    onMutate: () => setNotice(null),
    onSuccess: (x) => {
      setNotice('Assigned to you.');
      onChanged(x);
    },
  });
  const resolve = useMutation({
    mutationFn: () => updateException(e.id, { status: 'resolved', resolution_note: note.trim() || null }),
    onMutate: () => setNotice(null),
    onSuccess: (x) => {
      setNote('');
      setNotice('Resolved. Matching runs again on the invoice when no blocking exception is left.');
      onChanged(x);
    },
  });

  const sla = slaState(e, Date.now());
  const details = (e.details ?? {}) as Record<string, unknown>;
  const detailRows = Object.entries(details).filter(([, v]) => v !== null && v !== undefined && v !== '');

  return (
    <article className="inbox-detail" aria-labelledby="exception-title">
      <h2 id="exception-title">
        {codeWords(e.code)} <span className={`badge ${severityClass(e.severity)}`}>{words(e.severity)} severity</span>
        <StatusBadge status={e.status} />
      </h2>
      <p>{e.message}</p>
      <dl className="kv">
        <dt>Invoice</dt>
        <dd>
          <Link to={`/invoices/${e.invoice_id}`}>{e.invoice_number ? `Invoice ${e.invoice_number}` : 'Open the invoice'}</Link>
          {e.vendor ? <> · {e.vendor.name}</> : null}
          {e.amount ? (
            <>
              {' '}
              · <Money amount={e.amount} currency={e.currency} />
            </>
          ) : null}
        </dd>
        <dt>Code</dt>
        <dd>
          <code>{e.code}</code> (raised by {e.source === 'extraction' ? 'extraction' : e.source === 'matching' ? 'matching' : words(e.source)})
        </dd>
        <dt>Assigned to</dt>
        <dd>
          {e.assigned_to ? (mine ? 'You' : personName(e.assignee, e.assigned_to)) : e.assigned_role ? `${words(e.assigned_role)} queue` : 'Nobody'}
        </dd>
        <dt>SLA</dt>
        <dd className={sla === 'overdue' ? 'inbox-due overdue' : undefined}>
          {e.due_at ? `${sla === 'overdue' ? 'Overdue since' : 'Due'} ${formatDateTime(e.due_at)}` : '—'}
        </dd>
        <dt>Raised</dt>
        <dd>{formatDateTime(e.created_at)}</dd>
        {e.resolved_at ? (
          <>
            <dt>{e.status === 'waived' ? 'Waived' : 'Resolved'}</dt>
            <dd>
              {formatDateTime(e.resolved_at)} by {e.resolved_by ? personName(e.resolver, e.resolved_by) : 'the system'}
            </dd>
          </>
        ) : null}
        {e.resolution_note ? (
          <>
            <dt>{e.status === 'waived' ? 'Reason' : 'Note'}</dt>
            <dd>{e.resolution_note}</dd>
          </>
        ) : null}
        {detailRows.map(([k, v]) => (
          <DetailRow key={k} name={k} value={v} />
        ))}
      </dl>

      <p className="sr-status notice" role="status">
        {notice}
      </p>
      {canWork && active ? (
        <div className="card">
          <h3 className="h3">Work this exception</h3>
          {canTake ? (
            <p>
              <button type="button" className="button" disabled={take.isPending} onClick={() => take.mutate()}>
                {e.assigned_to ? 'Take over (assign to me)' : 'Take (assign to me)'}
              </button>
            </p>
          ) : null}
          {take.error ? <ErrorMessage error={take.error} /> : null}
          <form
            className="form"
            onSubmit={(ev: FormEvent) => {
              ev.preventDefault();
              if (!resolve.isPending) resolve.mutate();
            }}
          >
            <label className="field">
              <span>Resolution note (optional)</span>
              <textarea rows={2} value={note} onChange={(ev) => setNote(ev.target.value)} />
            </label>
            {resolve.error ? <ErrorMessage error={resolve.error} /> : null}
            <div className="row">
              <button type="submit" className="button primary" disabled={resolve.isPending}>
                {resolve.isPending ? 'Resolving…' : 'Resolve'}
              </button>
              <button type="button" className="button danger" onClick={() => setWaiving(true)}>
                Waive…
              </button>
            </div>
          </form>
          <WaiveDialog
            exception={e}
            open={waiving}
            onOpenChange={setWaiving}
            onDone={(x) => {
              setWaiving(false);
              setNotice('Waived.');
              onChanged(x);
            }}
          />
        </div>
      ) : null}

      <Comments exceptionId={e.id} canPost={hasRole(user, 'AP_CLERK', 'AP_ANALYST', 'ADMIN')} />
    </article>
  );
}

function DetailRow({ name, value }: { name: string; value: unknown }) {
  let text: string;
  if (Array.isArray(value)) {
    text = value
      .map((v) =>
        v && typeof v === 'object'
          ? String((v as { reason?: unknown; code?: unknown }).reason ?? (v as { code?: unknown }).code ?? '')
          : String(v),
      )
      .filter(Boolean)
      .join('; ');
  } else if (typeof value === 'object') {
    text = JSON.stringify(value);
  } else {
    text = String(value);
  }
  const label = name === 'line' ? 'Invoice line' : name === 'invoice_id' ? 'Earlier invoice' : words(name);
  return (
    <>
      <dt>{label}</dt>
      <dd>{name === 'invoice_id' && typeof value === 'string' ? <Link to={`/invoices/${value}`}>Open the earlier invoice</Link> : text || '—'}</dd>
    </>
  );
}

function Comments({ exceptionId, canPost }: { exceptionId: string; canPost: boolean }) {
  const qc = useQueryClient();
  const key = ['exception-comments', exceptionId];
  const q = useQuery({
    queryKey: key,
    queryFn: () => call(api.GET('/api/v1/exceptions/{id}/comments', { params: { path: { id: exceptionId } } })),
  });
  const [body, setBody] = useState('');
  const post = useMutation({
    mutationFn: () =>
      call(api.POST('/api/v1/exceptions/{id}/comments', { params: { path: { id: exceptionId } }, body: { body: body.trim() } })),
    onSuccess: () => {
      setBody('');
      void qc.invalidateQueries({ queryKey: key });
    },
  });
  const items = (q.data?.items ?? []) as Comment[];
  return (
    <section aria-labelledby="comments-h">
      <h3 className="h3" id="comments-h">
        Comments
      </h3>
      <QueryState isPending={q.isPending} error={q.error} loadingLabel="Loading comments…">
        {items.length === 0 ? <Empty>No comments yet.</Empty> : null}
        <ul className="messages" aria-label="Comments">
          {items.map((c) => (
            <li key={c.id} className="message">
              <p className="muted small">
                {c.author?.name || c.author?.email || c.author_email || 'A user'} · {formatDateTime(c.created_at)}
              </p>
              <p className="message-body">{c.body}</p>
            </li>
          ))}
        </ul>
      </QueryState>
      {canPost ? (
        <form
          className="form"
          onSubmit={(ev) => {
            ev.preventDefault();
            if (body.trim() && !post.isPending) post.mutate();
          }}
        >
          <label className="field">
            <span>Comment</span>
            <textarea rows={2} value={body} onChange={(ev) => setBody(ev.target.value)} />
          </label>
          {post.error ? <ErrorMessage error={post.error} /> : null}
          <div className="row">
            <button type="submit" className="button" disabled={post.isPending || !body.trim()}>
              Add comment
            </button>
          </div>
        </form>
      ) : null}
    </section>
  );
}
