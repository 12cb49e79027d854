import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call } from '../../api/client';
import { ApiError } from '../../api/errors';
import { hasRole, useUser } from '../../auth/AuthProvider';
import { ErrorMessage } from '../../components/ErrorMessage';
import { Loading } from '../../components/States';
import { formatDateTime } from '../../lib/format';

/** Who may decide my tasks while I am away (GET/PUT/DELETE /users/{id}/delegation). */
export function DelegationSettings() {
  const user = useUser();
  const qc = useQueryClient();
  const key = ['delegation', user.id];
  const current = useQuery({
    queryKey: key,
    queryFn: async () => {
      try {
        return await call(api.GET('/api/v1/users/{id}/delegation', { params: { path: { id: user.id } } }));
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      }
    },
  });
  const isAdmin = hasRole(user, 'ADMIN');
  const people = useQuery({
    queryKey: ['users', 'deciders'],
    enabled: isAdmin,
    queryFn: () => call(api.GET('/api/v1/admin/users', { params: { query: { limit: 200, is_active: true } } })),
  });
  const [delegate, setDelegate] = useState('');
  const [ends, setEnds] = useState('');
  const [reason, setReason] = useState('');
  const save = useMutation({
    mutationFn: () =>
      call(
        api.PUT('/api/v1/users/{id}/delegation', {
          params: { path: { id: user.id } },
          body: { delegate_id: delegate.trim(), ends_at: ends, reason: reason.trim() || null },
        }),
      ),
    onSuccess: () => void qc.invalidateQueries({ queryKey: key }),
  });
  const end = useMutation({
    mutationFn: () => call(api.DELETE('/api/v1/users/{id}/delegation', { params: { path: { id: user.id } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: key }),
  });

  function submit(e: FormEvent) {
    e.preventDefault();
    save.mutate();
  }

  const d = current.data;
  return (
    <details className="card delegation">
      <summary>
        <h2 className="inline-h">Delegation</h2>
        <span className="muted small">
          {d && d.active ? ` — delegated to ${d.delegate?.email ?? 'someone'} until ${formatDateTime(d.ends_at)}` : ''}
        </span>
      </summary>
      {current.isPending ? <Loading /> : current.error ? <ErrorMessage error={current.error} /> : null}
      {d ? (
        <div className="row">
          <p>
            {d.active ? 'In force' : 'Scheduled'}: {d.delegate?.email ?? 'delegate'} decides your tasks from{' '}
            {formatDateTime(d.starts_at)} until {formatDateTime(d.ends_at)}
            {d.reason ? ` (${d.reason})` : ''}.
          </p>
          <button type="button" className="button" disabled={end.isPending} onClick={() => end.mutate()}>
            End delegation
          </button>
        </div>
      ) : current.data === null ? (
        <p className="muted">No delegation: only you decide your tasks.</p>
      ) : null}
      {end.error ? <ErrorMessage error={end.error} /> : null}
      <form className="form grid-3" onSubmit={submit}>
        {isAdmin && people.data ? (
          <label className="field">
            <span>Delegate</span>
            <select required value={delegate} onChange={(e) => setDelegate(e.target.value)}>
              <option value="">Choose an approver</option>
              {people.data.items
                .filter((u) => (u.role === 'APPROVER' || u.role === 'ADMIN') && u.id !== user.id)
                .map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.name || u.email} ({u.email})
                  </option>
                ))}
            </select>
          </label>
        ) : (
          <label className="field">
            <span>Delegate user id</span>
            <input
              required
              value={delegate}
              onChange={(e) => setDelegate(e.target.value)}
              pattern="[0-9a-fA-F-]{36}"
              aria-describedby="delegate-hint"
            />
            <span id="delegate-hint" className="muted small">
              An active approver&apos;s or administrator&apos;s user id (an administrator can look it up).
            </span>
          </label>
        )}
        <label className="field">
          <span>Until (inclusive)</span>
          <input type="date" required value={ends} onChange={(e) => setEnds(e.target.value)} />
        </label>
        <label className="field">
          <span>Reason (optional)</span>
          <input value={reason} onChange={(e) => setReason(e.target.value)} />
        </label>
        {save.error ? <ErrorMessage error={save.error} /> : null}
        <button type="submit" className="button" disabled={save.isPending}>
          Save delegation
        </button>
      </form>
    </details>
  );
}
