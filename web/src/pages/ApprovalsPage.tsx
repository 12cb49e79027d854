import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { components } from '../api/schema';
import { api, call } from '../api/client';
import { ErrorMessage } from '../components/ErrorMessage';
import { Money } from '../components/Money';
import { Empty, Loading, QueryState } from '../components/States';
import { DocumentViewer } from '../components/DocumentViewer';
import { RiskBadge, StatusBadge } from '../components/Badges';
import { Dialog, DialogClose } from '../components/Dialog';
import { formatDate, formatDateTime, words } from '../lib/format';
import { DelegationSettings } from './approvals/DelegationSettings';

type Task = components['schemas']['TaskOut'];

const SHORTCUTS: [string, string][] = [
  ['j', 'Next task'],
  ['k', 'Previous task'],
  ['a', 'Approve the selected task'],
  ['r', 'Reject the selected task (asks for a reason)'],
  ['?', 'Show this help'],
];

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}

export default function ApprovalsPage() {
  const qc = useQueryClient();
  const [params, setParams] = useSearchParams();
  const list = useQuery({
    queryKey: ['approvals', 'pending'],
    queryFn: () => call(api.GET('/api/v1/approvals', { params: { query: { status: 'pending', limit: 200 } } })),
  });
  const tasks = useMemo(() => list.data?.items ?? [], [list.data]);
  const selectedId = params.get('task') ?? tasks[0]?.id ?? null;
  const index = Math.max(0, tasks.findIndex((t) => t.id === selectedId));
  const selected = tasks[index] ?? null;
  const [rejecting, setRejecting] = useState(false);
  const [help, setHelp] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const itemRefs = useRef(new Map<string, HTMLButtonElement>());

  const select = useCallback(
    (id: string, focus = true) => {
      setParams(
        (p) => {
          const n = new URLSearchParams(p);
          n.set('task', id);
          return n;
        },
        { replace: true },
      );
      if (focus) itemRefs.current.get(id)?.focus();
    },
    [setParams],
  );

  const decided = useCallback(
    (task: Task, verb: string) => {
      const next = tasks[index + 1] ?? tasks[index - 1] ?? null;
      setNotice(`${verb} ${task.invoice_number ?? 'the invoice'} (${task.vendor_name ?? 'vendor'}).`);
      if (next) select(next.id);
      else setParams({}, { replace: true });
      void qc.invalidateQueries({ queryKey: ['approvals'] });
      void qc.invalidateQueries({ queryKey: ['invoice', task.invoice_id] });
      void qc.invalidateQueries({ queryKey: ['invoices'] });
    },
    [tasks, index, select, setParams, qc],
  );

  const approve = useMutation({
    mutationFn: (task: Task) => call(api.POST('/api/v1/approvals/{id}/approve', { params: { path: { id: task.id } }, body: {} })),
    onSuccess: (_d, task) => decided(task, 'Approved'),
  });

  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      if (document.querySelector('[role="dialog"]')) return;
      if (e.key === '?') {
        e.preventDefault();
        setHelp(true);
      } else if (e.key === 'j' || e.key === 'k') {
        const to = tasks[Math.min(tasks.length - 1, Math.max(0, index + (e.key === 'j' ? 1 : -1)))];
        if (!to) return;
        e.preventDefault();
        select(to.id);
      } else if (e.key === 'a' && selected && !approve.isPending) {
        e.preventDefault();
        approve.mutate(selected);
      } else if (e.key === 'r' && selected) {
        e.preventDefault();
        setRejecting(true);
      }
    }
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [tasks, index, selected, select, approve]);

  return (
    <section className="page approvals" aria-labelledby="approvals-title">
      <div className="page-head">
        <h1 id="approvals-title">Approvals</h1>
        <div className="actions">
          <button type="button" className="button" onClick={() => setHelp(true)} aria-keyshortcuts="?">
            Keyboard shortcuts
          </button>
        </div>
      </div>
      <p className="sr-status" role="status" aria-live="polite">
        {notice}
      </p>
      {list.error ? (
        <ErrorMessage error={list.error} title="Approval tasks could not be loaded" />
      ) : list.isPending ? (
        <Loading label="Loading approval tasks…" />
      ) : tasks.length === 0 ? (
        <Empty>Nothing waits for your approval.</Empty>
      ) : (
        <div className="inbox">
          <ul className="inbox-list" aria-label="Pending approval tasks">
            {tasks.map((t) => (
              <li key={t.id}>
                <button
                  type="button"
                  ref={(el) => {
                    if (el) itemRefs.current.set(t.id, el);
                    else itemRefs.current.delete(t.id);
                  }}
                  className={t.id === selected?.id ? 'inbox-item selected' : 'inbox-item'}
                  aria-current={t.id === selected?.id ? 'true' : undefined}
                  onClick={() => select(t.id, false)}
                >
                  <span className="inbox-top">
                    <strong>{t.invoice_number ?? 'Invoice'}</strong>
                    <Money amount={t.amount} currency={t.currency} />
                  </span>
                  <span className="inbox-sub">
                    {t.vendor_name ?? '—'} · level {t.level} of {t.levels}
                    {t.delegated ? ' · delegated' : ''}
                  </span>
                  <span className={new Date(t.due_at) < new Date() ? 'inbox-due overdue' : 'inbox-due'}>
                    Due {formatDateTime(t.due_at)}
                  </span>
                </button>
              </li>
            ))}
          </ul>
          {selected ? (
            <TaskDetail
              task={selected}
              approving={approve.isPending}
              approveError={approve.error}
              onApprove={() => approve.mutate(selected)}
              onReject={() => setRejecting(true)}
            />
          ) : null}
        </div>
      )}
      {selected ? (
        <RejectDialog task={selected} open={rejecting} onOpenChange={setRejecting} onDone={() => decided(selected, 'Rejected')} />
      ) : null}
      <Dialog open={help} onOpenChange={setHelp} title="Keyboard shortcuts">
        <dl className="shortcuts">
          {SHORTCUTS.map(([k, what]) => (
            <div key={k}>
              <dt>
                <kbd>{k}</kbd>
              </dt>
              <dd>{what}</dd>
            </div>
          ))}
        </dl>
        <div className="dialog-actions">
          <DialogClose className="button">Close</DialogClose>
        </div>
      </Dialog>
      <DelegationSettings />
    </section>
  );
}

function TaskDetail({
  task,
  approving,
  approveError,
  onApprove,
  onReject,
}: {
  task: Task;
  approving: boolean;
  approveError: unknown;
  onApprove: () => void;
  onReject: () => void;
}) {
  const inv = useQuery({
    queryKey: ['invoice', task.invoice_id],
    queryFn: () => call(api.GET('/api/v1/invoices/{id}', { params: { path: { id: task.invoice_id } } })),
  });
  const m = inv.data?.match;
  return (
    <section className="inbox-detail" aria-labelledby="task-h">
      <div className="row spread">
        <h2 id="task-h">
          {task.invoice_number ?? 'Invoice'} · <Money amount={task.amount} currency={task.currency} />
        </h2>
        <div className="actions">
          <button type="button" className="button primary" onClick={onApprove} disabled={approving} aria-keyshortcuts="a">
            Approve
          </button>
          <button type="button" className="button danger" onClick={onReject} aria-keyshortcuts="r">
            Reject
          </button>
        </div>
      </div>
      {approveError ? <ErrorMessage error={approveError} /> : null}
      <dl className="kv">
        <dt>Vendor</dt>
        <dd>{task.vendor_name ?? '—'}</dd>
        <dt>Level</dt>
        <dd>
          {task.level} of {task.levels}
          {task.delegated && task.assignee ? ` (on behalf of ${task.assignee.email})` : ''}
        </dd>
        <dt>Decide by</dt>
        <dd>{formatDateTime(task.due_at)}</dd>
        <dt>Invoice due</dt>
        <dd>{formatDate(task.invoice_due_date)}</dd>
        <dt>Invoice</dt>
        <dd>
          <Link to={`/invoices/${task.invoice_id}`}>Open the invoice</Link>
        </dd>
      </dl>
      <QueryState isPending={inv.isPending} error={inv.error} loadingLabel="Loading the invoice…">
        {inv.data ? (
          <>
            <section aria-label="Match summary" className="card">
              <h3 className="h3">Match</h3>
              {m ? (
                <p>
                  <StatusBadge status={m.status} /> {m.type === 'non_po' ? 'No PO' : `Against ${m.po_number ?? 'the PO'}`} ·{' '}
                  {words(m.outcome)} <RiskBadge score={m.risk_score} />
                </p>
              ) : (
                <p className="muted">Not matched.</p>
              )}
              {(inv.data.exceptions ?? []).filter((e) => e.status === 'open' || e.status === 'in_progress').length > 0 ? (
                <p className="notice warn">This invoice has open exceptions.</p>
              ) : null}
            </section>
            {inv.data.document ? <DocumentViewer invoiceId={inv.data.id} document={inv.data.document} /> : null}
          </>
        ) : null}
      </QueryState>
    </section>
  );
}

function RejectDialog({
  task,
  open,
  onOpenChange,
  onDone,
}: {
  task: Task;
  open: boolean;
  onOpenChange: (o: boolean) => void;
  onDone: () => void;
}) {
  const [reason, setReason] = useState('');
  const m = useMutation({
    mutationFn: () => call(api.POST('/api/v1/approvals/{id}/reject', { params: { path: { id: task.id } }, body: { reason } })),
    onSuccess: () => {
      setReason('');
      onOpenChange(false);
      onDone();
    },
  });
  return (
    <Dialog open={open} onOpenChange={onOpenChange} title={`Reject ${task.invoice_number ?? 'invoice'}`}>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          if (reason.trim()) m.mutate();
        }}
      >
        <label className="field">
          <span>Reason</span>
          <textarea autoFocus required rows={3} value={reason} onChange={(e) => setReason(e.target.value)} />
        </label>
        <p className="muted small">The reason is required; the team working the invoice sees it.</p>
        {m.error ? <ErrorMessage error={m.error} /> : null}
        <div className="dialog-actions">
          <DialogClose className="button" type="button">
            Cancel
          </DialogClose>
          <button type="submit" className="button danger" disabled={m.isPending || !reason.trim()}>
            Reject
          </button>
        </div>
      </form>
    </Dialog>
  );
}
