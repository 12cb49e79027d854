import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { components } from '../api/schema';
import { api, call } from '../api/client';
import { hasRole, useUser } from '../auth/AuthProvider';
import { StatusBadge, RiskBadge } from '../components/Badges';
import { DocumentViewer } from '../components/DocumentViewer';
import { ErrorMessage } from '../components/ErrorMessage';
import { Money } from '../components/Money';
import { Dialog, DialogClose } from '../components/Dialog';
import { Empty, Loading, QueryState } from '../components/States';
import { PAYMENT_METHOD_WORDS, formatDate, formatDateTime, percent, sourceWords, words } from '../lib/format';
import { FieldCorrection, type CorrectableField } from './invoices/FieldCorrection';
import { RecordPaymentDialog } from './invoices/RecordPaymentDialog';

type Invoice = components['schemas']['InvoiceOut'];
type Match = components['schemas']['MatchOut'];

/** An approval task as the invoice detail lists it. */
interface InvoiceTask {
  id: string;
  level: number;
  status: string;
  due_at?: string | null;
  assignee?: { email: string } | null;
  decided_by?: { email: string } | null;
  decided_at?: string | null;
  channel?: string | null;
}

const FIELDS: { key: CorrectableField; label: string; kind: 'text' | 'date' | 'money' }[] = [
  { key: 'invoice_number', label: 'Invoice number', kind: 'text' },
  { key: 'invoice_date', label: 'Invoice date', kind: 'date' },
  { key: 'due_date', label: 'Due date', kind: 'date' },
  { key: 'po_number', label: 'PO number', kind: 'text' },
  { key: 'payment_terms', label: 'Payment terms', kind: 'text' },
  { key: 'currency', label: 'Currency', kind: 'text' },
  { key: 'subtotal', label: 'Subtotal', kind: 'money' },
  { key: 'tax_amount', label: 'Tax', kind: 'money' },
  { key: 'total_amount', label: 'Total', kind: 'money' },
  { key: 'amount_due', label: 'Amount due', kind: 'money' },
];

/** Once approved, an invoice's fields are fixed. */
const CORRECTABLE_STATUSES = ['received', 'extracted', 'exception', 'pending_approval', 'matching', 'extracting'];

export default function InvoiceDetailPage() {
  const { id = '' } = useParams();
  const qc = useQueryClient();
  const q = useQuery({
    queryKey: ['invoice', id],
    queryFn: () => call(api.GET('/api/v1/invoices/{id}', { params: { path: { id } } })),
    // Extraction and matching run in the background: follow them while they do.
    refetchInterval: (query) =>
      ['received', 'extracting', 'matching'].includes(query.state.data?.status ?? '') ? 2_000 : false,
  });
  if (q.error) return <ErrorMessage error={q.error} title="The invoice could not be loaded" />;
  if (q.isPending) return <Loading label="Loading the invoice…" />;
  return <InvoiceDetail invoice={q.data} reload={() => void qc.invalidateQueries({ queryKey: ['invoice', id] })} />;
}

function InvoiceDetail({ invoice, reload }: { invoice: Invoice; reload: () => void }) {
  const user = useUser();
  const qc = useQueryClient();
  const [editing, setEditing] = useState<CorrectableField | null>(null);
  const [paying, setPaying] = useState(false);
  const [cancelling, setCancelling] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const canCorrect = hasRole(user, 'AP_ANALYST', 'ADMIN') && CORRECTABLE_STATUSES.includes(invoice.status);
  const canWork = hasRole(user, 'AP_ANALYST', 'ADMIN');
  const canPay = hasRole(user, 'ADMIN') && invoice.status === 'approved';
  const canCancel = hasRole(user, 'ADMIN') && !['paid', 'cancelled', 'scheduled'].includes(invoice.status);

  const action = useMutation({
    mutationFn: async (kind: 'extract' | 'match') => {
      const params = { params: { path: { id: invoice.id } } };
      return kind === 'extract'
        ? call(api.POST('/api/v1/invoices/{id}/extract', params))
        : call(api.POST('/api/v1/invoices/{id}/match', params));
    },
    onMutate: () => setNotice(null),
    onSuccess: (_d, kind) => {
      setNotice(kind === 'extract' ? 'Extraction queued: the fields update when it is done.' : 'Matching ran again.');
      reload();
    },
  });

  const paid = invoice.status === 'paid' || invoice.payment_status === 'completed';

  return (
    <article className="page invoice-detail" aria-labelledby="invoice-title">
      <div className="page-head">
        <div>
          <p className="crumbs">
            <Link to="/invoices">Invoices</Link> /
          </p>
          <h1 id="invoice-title">
            Invoice {invoice.invoice_number ?? <span className="muted">(number not read yet)</span>}
          </h1>
          <p className="subtitle">
            {invoice.vendor ? invoice.vendor.name : (invoice.vendor_name_raw ?? 'Vendor not identified')} ·{' '}
            <Money amount={invoice.total_amount} currency={invoice.currency} /> · <StatusBadge status={invoice.status} />
            {invoice.match ? <RiskBadge score={invoice.match.risk_score} /> : null}
            {invoice.touchless ? <span className="badge subtle">Touchless</span> : null}
          </p>
        </div>
        <div className="actions" role="group" aria-label="Invoice actions">
          {canWork ? (
            <>
              <button type="button" className="button" disabled={action.isPending} onClick={() => action.mutate('extract')}>
                Re-extract
              </button>
              <button type="button" className="button" disabled={action.isPending} onClick={() => action.mutate('match')}>
                Re-match
              </button>
            </>
          ) : null}
          {canCancel ? (
            <button type="button" className="button danger" onClick={() => setCancelling(true)}>
              Cancel invoice
            </button>
          ) : null}
          {canPay ? (
            <button type="button" className="button primary" onClick={() => setPaying(true)}>
              Record payment
            </button>
          ) : null}
        </div>
      </div>
      {action.error ? <ErrorMessage error={action.error} /> : null}
      <p className="sr-status notice" role="status">
        {notice}
      </p>
      {invoice.failure_reason ? (
        <p className="notice warn" role="status">
          {invoice.failure_reason}
        </p>
      ) : null}
      {paid ? (
        <section className="paid-banner" aria-label="Payment">
          <strong>Paid</strong>
          <span>on {formatDate(invoice.payment_date)}</span>
          {invoice.payment_method ? <span>by {PAYMENT_METHOD_WORDS[invoice.payment_method]}</span> : null}
          {invoice.payment_reference ? (
            <span>
              reference <code>{invoice.payment_reference}</code>
            </span>
          ) : null}
        </section>
      ) : null}

      <div className="split">
        <div className="split-doc">
          {invoice.document ? (
            <DocumentViewer invoiceId={invoice.id} document={invoice.document} />
          ) : (
            <Empty>No document is stored for this invoice.</Empty>
          )}
        </div>
        <div className="split-fields">
          <section aria-labelledby="fields-h" className="card">
            <h2 id="fields-h">Extracted fields</h2>
            <dl className="fields">
              {FIELDS.map((f) => {
                const raw = (invoice[f.key] ?? null) as string | null;
                const meta = invoice.fields[f.key];
                return (
                  <div key={f.key} className="field-row">
                    <dt>{f.label}</dt>
                    <dd>
                      {editing === f.key ? (
                        <FieldCorrection
                          invoiceId={invoice.id}
                          version={invoice.version}
                          field={f.key}
                          label={f.label}
                          initial={raw ?? ''}
                          onSaved={(saved) => {
                            qc.setQueryData(['invoice', invoice.id], (old: Invoice | undefined) => (old ? { ...old, ...saved } : saved));
                            setEditing(null);
                            reload();
                          }}
                          onCancel={() => setEditing(null)}
                          onReload={() => {
                            setEditing(null);
                            reload();
                          }}
                        />
                      ) : (
                        <>
                          <span className="field-value">
                            {f.kind === 'money' ? (
                              <Money amount={raw} currency={invoice.currency} />
                            ) : f.kind === 'date' ? (
                              formatDate(raw)
                            ) : (
                              (raw ?? '—')
                            )}
                          </span>
                          {meta ? (
                            <span className={meta.confidence < 0.8 ? 'field-meta low' : 'field-meta'}>
                              {sourceWords(meta.source)}, {percent(meta.confidence)}
                              {meta.confidence < 0.8 ? ' — check' : ''}
                            </span>
                          ) : null}
                          {canCorrect ? (
                            <button
                              type="button"
                              className="link-button"
                              aria-label={`Correct ${f.label}`}
                              onClick={() => setEditing(f.key)}
                            >
                              Correct
                            </button>
                          ) : null}
                        </>
                      )}
                    </dd>
                  </div>
                );
              })}
            </dl>
            <p className="muted small">
              Version {invoice.version} · received {formatDateTime(invoice.created_at)} · source {words(invoice.source)}
            </p>
          </section>
          <Lines invoice={invoice} />
        </div>
      </div>

      <MatchSection match={invoice.match ?? null} currency={invoice.currency ?? null} />
      <ExceptionsSection invoice={invoice} />
      <TasksSection tasks={(invoice.approval_tasks ?? []) as unknown as InvoiceTask[]} />
      <div className="two-col">
        <MessagesSection invoiceId={invoice.id} canPost={hasRole(user, 'AP_ANALYST', 'ADMIN')} />
        <AuditSection invoiceId={invoice.id} />
      </div>

      {canPay || paying ? (
        <RecordPaymentDialog
          invoice={invoice}
          open={paying}
          onOpenChange={setPaying}
          onPaid={(p) => {
            qc.setQueryData(['invoice', invoice.id], (old: Invoice | undefined) =>
              old
                ? {
                    ...old,
                    status: 'paid' as const,
                    payment_status: 'completed' as const,
                    payment_date: p.payment_date,
                    payment_method: p.payment_method,
                    payment_reference: p.payment_reference ?? null,
                  }
                : old,
            );
            setPaying(false);
            reload();
            void qc.invalidateQueries({ queryKey: ['invoices'] });
          }}
        />
      ) : null}
      <CancelDialog invoiceId={invoice.id} open={cancelling} onOpenChange={setCancelling} onDone={reload} />
    </article>
  );
}

function Lines({ invoice }: { invoice: Invoice }) {
  const lines = invoice.lines ?? [];
  return (
    <section aria-labelledby="lines-h" className="card">
      <h2 id="lines-h">Lines</h2>
      {lines.length === 0 ? (
        <Empty>No lines were read.</Empty>
      ) : (
        <table className="table compact">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Description</th>
              <th scope="col" className="num">
                Qty
              </th>
              <th scope="col" className="num">
                Unit price
              </th>
              <th scope="col" className="num">
                Total
              </th>
              <th scope="col">PO line</th>
            </tr>
          </thead>
          <tbody>
            {lines.map((l) => (
              <tr key={l.line_number}>
                <td>{l.line_number}</td>
                <td>{l.description ?? '—'}</td>
                <td className="num">
                  {l.quantity ?? '—'} {l.unit ?? ''}
                </td>
                <td className="num">
                  <Money amount={l.unit_price} currency={invoice.currency} unitPrice />
                </td>
                <td className="num">
                  <Money amount={l.line_total} currency={invoice.currency} />
                </td>
                <td>{l.po_line_number ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

interface Finding {
  code?: string;
  severity?: string;
  line?: number | null;
  message?: string;
}

function MatchSection({ match, currency }: { match: Match | null; currency: string | null }) {
  if (!match) {
    return (
      <section aria-labelledby="match-h" className="card">
        <h2 id="match-h">Match</h2>
        <Empty>Not matched yet.</Empty>
      </section>
    );
  }
  const header = match.header as { subtotal?: string; expected_subtotal?: string; variance?: string; findings?: Finding[] };
  const tol = match.tolerance;
  const reasons = match.risk_reasons as { code?: string; weight?: number; reason?: string }[];
  return (
    <section aria-labelledby="match-h" className="card">
      <h2 id="match-h">Match</h2>
      <dl className="kv">
        <dt>Result</dt>
        <dd>
          {words(match.status)} ({match.type === 'non_po' ? 'no PO' : match.type === '3way' ? '3-way' : '2-way'}
          {match.po_number ? ` against ${match.po_number}` : ''}) → {words(match.outcome)}
        </dd>
        <dt>Tolerance used</dt>
        <dd>
          price ±{tol.price_tolerance_pct || '?'}% or ±{tol.price_abs || '?'}, quantity ±{tol.qty_tolerance_pct || '?'}% (rules version{' '}
          {match.rule_version}
          {tol.vendor_override ? ', vendor override' : ''})
        </dd>
        <dt>Subtotal</dt>
        <dd>
          <Money amount={header.subtotal} currency={currency} /> against expected{' '}
          <Money amount={header.expected_subtotal} currency={currency} />
          {header.variance ? (
            <>
              {' '}
              (variance <Money amount={header.variance} currency={currency} />)
            </>
          ) : null}
        </dd>
        <dt>Risk</dt>
        <dd>
          {match.risk_score} of 100 <RiskBadge score={match.risk_score} />
          {reasons.length > 0 ? (
            <ul className="plain">
              {reasons.map((r, i) => (
                <li key={i}>{r.reason ?? words(r.code)}</li>
              ))}
            </ul>
          ) : null}
        </dd>
        <dt>Matched</dt>
        <dd>
          {formatDateTime(match.matched_at)} (run {match.runs})
        </dd>
      </dl>
      {header.findings && header.findings.length > 0 ? (
        <>
          <h3 className="h3">Findings</h3>
          <ul className="findings">
            {header.findings.map((f, i) => (
              <li key={i} className={`finding sev-${f.severity ?? 'info'}`}>
                <strong>{words(f.code)}</strong>
                {f.line ? ` (line ${f.line})` : ''}: {f.message}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {match.lines.length > 0 ? (
        <table className="table compact">
          <caption className="visually-hidden">Per-line match</caption>
          <thead>
            <tr>
              <th scope="col">Invoice line</th>
              <th scope="col">PO line</th>
              <th scope="col" className="num">
                Qty
              </th>
              <th scope="col" className="num">
                Price / PO price
              </th>
              <th scope="col" className="num">
                Price variance
              </th>
              <th scope="col" className="num">
                Qty variance
              </th>
              <th scope="col">Matched</th>
            </tr>
          </thead>
          <tbody>
            {match.lines.map((l) => (
              <tr key={l.invoice_line}>
                <td>{l.invoice_line}</td>
                <td>{l.po_line ?? '—'}</td>
                <td className="num">{l.quantity ?? '—'}</td>
                <td className="num">
                  <Money amount={l.unit_price} currency={currency} unitPrice /> /{' '}
                  <Money amount={l.po_unit_price} currency={currency} unitPrice />
                </td>
                <td className="num">{l.price_variance ?? '—'}</td>
                <td className="num">{l.qty_variance ?? '—'}</td>
                <td>{l.matched ? 'Yes' : 'No'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function ExceptionsSection({ invoice }: { invoice: Invoice }) {
  const list = invoice.exceptions ?? [];
  return (
    <section aria-labelledby="exc-h" className="card">
      <h2 id="exc-h">Exceptions</h2>
      {list.length === 0 ? (
        <Empty>No exceptions.</Empty>
      ) : (
        <ul className="exceptions">
          {list.map((e) => (
            <li key={e.id} className={`exception sev-${e.severity}`}>
              <span className="badge">{words(e.severity)}</span> <strong>{words(e.code)}</strong> — {e.message}{' '}
              <StatusBadge status={e.status} />
              {e.resolution_note ? <span className="muted"> · {e.resolution_note}</span> : null}{' '}
              <Link to={`/exceptions?invoice=${invoice.id}&id=${e.id}`}>Open in exceptions</Link>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function TasksSection({ tasks }: { tasks: InvoiceTask[] }) {
  return (
    <section aria-labelledby="tasks-h" className="card">
      <h2 id="tasks-h">Approvals</h2>
      {tasks.length === 0 ? (
        <Empty>No approval tasks.</Empty>
      ) : (
        <ol className="tasks">
          {tasks.map((t) => (
            <li key={t.id}>
              Level {t.level}: <StatusBadge status={t.status} />{' '}
              {t.assignee ? <span>assigned to {t.assignee.email}</span> : null}
              {t.decided_by ? (
                <span>
                  {' '}
                  · decided by {t.decided_by.email} {formatDateTime(t.decided_at)}
                  {t.channel ? ` (${t.channel === 'email' ? 'by e-mail' : 'on the web'})` : ''}
                </span>
              ) : t.due_at ? (
                <span className="muted"> · due {formatDateTime(t.due_at)}</span>
              ) : null}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function MessagesSection({ invoiceId, canPost }: { invoiceId: string; canPost: boolean }) {
  const qc = useQueryClient();
  const q = useQuery({
    queryKey: ['invoice-messages', invoiceId],
    queryFn: () => call(api.GET('/api/v1/invoices/{id}/messages', { params: { path: { id: invoiceId } } })),
  });
  const [body, setBody] = useState('');
  const [internal, setInternal] = useState(true);
  const post = useMutation({
    mutationFn: () =>
      call(api.POST('/api/v1/invoices/{id}/messages', { params: { path: { id: invoiceId } }, body: { body, internal } })),
    onSuccess: () => {
      setBody('');
      void qc.invalidateQueries({ queryKey: ['invoice-messages', invoiceId] });
    },
  });
  function submit(e: FormEvent) {
    e.preventDefault();
    if (body.trim()) post.mutate();
  }
  return (
    <section aria-labelledby="msg-h" className="card">
      <h2 id="msg-h">Messages</h2>
      <QueryState isPending={q.isPending} error={q.error}>
        {q.data && q.data.items.length === 0 ? <Empty>No messages.</Empty> : null}
        <ul className="messages">
          {q.data?.items.map((m) => (
            <li key={m.id} className={`message ${m.direction} ${m.internal ? 'internal' : ''}`}>
              <p className="muted small">
                {m.author} · {formatDateTime(m.created_at)}
                {m.internal ? ' · internal note' : m.direction === 'inbound' ? ' · from the vendor' : ' · to the vendor'}
              </p>
              <p className="message-body">{m.body}</p>
            </li>
          ))}
        </ul>
      </QueryState>
      {canPost ? (
        <form className="form" onSubmit={submit}>
          <label className="field">
            <span>Message</span>
            <textarea rows={3} value={body} onChange={(e) => setBody(e.target.value)} />
          </label>
          <label className="check">
            <input type="checkbox" checked={internal} onChange={(e) => setInternal(e.target.checked)} /> Internal note (the
            vendor never sees it)
          </label>
          {post.error ? <ErrorMessage error={post.error} /> : null}
          <button type="submit" className="button" disabled={post.isPending || !body.trim()}>
            {internal ? 'Add note' : 'Send to vendor'}
          </button>
        </form>
      ) : null}
    </section>
  );
}

function AuditSection({ invoiceId }: { invoiceId: string }) {
  const q = useQuery({
    queryKey: ['invoice-audit', invoiceId],
    queryFn: () => call(api.GET('/api/v1/invoices/{id}/audit', { params: { path: { id: invoiceId } } })),
  });
  return (
    <section aria-labelledby="audit-h" className="card">
      <h2 id="audit-h">Timeline</h2>
      <QueryState isPending={q.isPending} error={q.error}>
        {q.data && q.data.items.length === 0 ? <Empty>No events yet.</Empty> : null}
        <ol className="timeline">
          {q.data?.items.map((a) => (
            <li key={a.id}>
              <span className="muted small">{formatDateTime(a.occurred_at)}</span> <strong>{words(a.action)}</strong>{' '}
              <span className="muted">by {a.actor}</span>
            </li>
          ))}
        </ol>
      </QueryState>
    </section>
  );
}

function CancelDialog({
  invoiceId,
  open,
  onOpenChange,
  onDone,
}: {
  invoiceId: string;
  open: boolean;
  onOpenChange: (o: boolean) => void;
  onDone: () => void;
}) {
  const [reason, setReason] = useState('');
  const m = useMutation({
    mutationFn: () => call(api.POST('/api/v1/invoices/{id}/cancel', { params: { path: { id: invoiceId } }, body: { reason } })),
    onSuccess: () => {
      onOpenChange(false);
      onDone();
    },
  });
  return (
    <Dialog open={open} onOpenChange={onOpenChange} title="Cancel invoice">
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          if (reason.trim()) m.mutate();
        }}
      >
        <label className="field">
          <span>Reason</span>
          <textarea required rows={3} value={reason} onChange={(e) => setReason(e.target.value)} />
        </label>
        {m.error ? <ErrorMessage error={m.error} /> : null}
        <div className="dialog-actions">
          <DialogClose className="button" type="button">
            Keep invoice
          </DialogClose>
          <button type="submit" className="button danger" disabled={m.isPending || !reason.trim()}>
            Cancel invoice
          </button>
        </div>
      </form>
    </Dialog>
  );
}
