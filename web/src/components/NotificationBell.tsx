import { useQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import * as Menu from '@radix-ui/react-dropdown-menu';
import { useNavigate } from 'react-router';
import { api, call } from '../api/client';
import { formatDateTime } from '../lib/format';

export function NotificationBell() {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const q = useQuery({
    queryKey: ['notifications'],
    queryFn: () => call(api.GET('/api/v1/notifications', { params: { query: { limit: 20 } } })),
    refetchInterval: 60_000,
  });
  const markRead = useMutation({
    mutationFn: (id: string) =>
      call(api.POST('/api/v1/notifications/{id}/read', { params: { path: { id } } })),
    onSettled: () => qc.invalidateQueries({ queryKey: ['notifications'] }),
  });
  const unread = q.data?.unread ?? 0;
  const label = unread > 0 ? `Notifications, ${unread} unread` : 'Notifications';
  return (
    <Menu.Root modal={false}>
      <Menu.Trigger className="bell" aria-label={label}>
        <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
          <path
            fill="currentColor"
            d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"
          />
        </svg>
        {unread > 0 ? (
          <span className="bell-count" aria-hidden="true">
            {unread > 99 ? '99+' : unread}
          </span>
        ) : null}
      </Menu.Trigger>
      <Menu.Portal>
        <Menu.Content className="menu notifications" align="end" sideOffset={6}>
          <Menu.Label className="menu-label">Notifications</Menu.Label>
          <Menu.Separator className="menu-separator" />
          {q.isPending ? (
            <p className="menu-note">Loading…</p>
          ) : q.error ? (
            <p className="menu-note">Notifications could not be loaded.</p>
          ) : q.data.items.length === 0 ? (
            <p className="menu-note">Nothing new.</p>
          ) : (
            q.data.items.map((n) => (
              <Menu.Item
                key={n.id}
                className={n.read_at ? 'menu-item notification' : 'menu-item notification unread'}
                onSelect={() => {
                  if (!n.read_at) markRead.mutate(n.id);
                  if (n.task_id) void navigate('/approvals');
                  else if (n.invoice_id) void navigate(`/invoices/${n.invoice_id}`);
                }}
              >
                <span className="notification-title">
                  {n.read_at ? null : <span className="visually-hidden">Unread: </span>}
                  {n.title}
                </span>
                <span className="notification-body">{n.body}</span>
                <span className="muted small">{formatDateTime(n.created_at)}</span>
              </Menu.Item>
            ))
          )}
        </Menu.Content>
      </Menu.Portal>
    </Menu.Root>
  );
}
