import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { App, makeQueryClient } from './App';
import { clearSession } from './auth/session';

type Handler = (req: Request) => Response | Promise<Response>;
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', 'x-request-id': 'req-test' } });

let routes: Record<string, Handler>;
let seen: Request[];

beforeEach(() => {
  seen = [];
  clearSession();
  window.history.replaceState(null, '', '/');
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const req = input instanceof Request ? input : new Request(new URL(String(input), 'http://localhost'), init);
      seen.push(req);
      const path = new URL(req.url, 'http://localhost').pathname;
      const h = routes[`${req.method} ${path}`];
      return h ? h(req) : json(404, { detail: 'Not found.', code: 'not_found', errors: [] });
    }),
  );
});
afterEach(() => vi.unstubAllGlobals());

const me = {
  id: '00000000-0000-0000-0000-000000000001',
  email: 'clerk@example.com',
  name: 'Clerk',
  role: 'AP_CLERK',
  is_active: true,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
};

describe('sign-in', () => {
  it('explains a lockout (429) in words', async () => {
    routes = {
      'POST /api/v1/auth/refresh': () => json(401, { detail: 'Not authenticated.', code: 'unauthorized', errors: [] }),
      'POST /api/v1/auth/login': () =>
        json(429, { detail: 'Too many failed login attempts. Try again later.', code: 'rate_limited', errors: [], request_id: 'req-429' }),
    };
    render(<App queryClient={makeQueryClient()} />);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText('Email'), 'clerk@example.com');
    await user.type(screen.getByLabelText('Password'), 'wrong');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('temporarily locked');
    expect(alert).toHaveTextContent('Wait a few minutes');
    expect(alert).toHaveTextContent('req-429');
  });

  it('signs in with X-Client: web, keeps the token in memory only and lands on the invoices', async () => {
    routes = {
      'POST /api/v1/auth/refresh': () => json(401, { detail: 'Not authenticated.', code: 'unauthorized', errors: [] }),
      'POST /api/v1/auth/login': () => json(200, { access_token: 'tok-1', token_type: 'Bearer', expires_in: 900 }),
      'GET /api/v1/auth/me': (r) =>
        r.headers.get('Authorization') === 'Bearer tok-1' ? json(200, me) : json(401, { detail: 'no', code: 'x', errors: [] }),
      'GET /api/v1/invoices': () => json(200, { items: [], next_cursor: null }),
      'GET /api/v1/vendors': () => json(200, { items: [], next_cursor: null }),
      'GET /api/v1/notifications': () => json(200, { items: [], unread: 0 }),
    };
    render(<App queryClient={makeQueryClient()} />);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText('Email'), 'clerk@example.com');
    await user.type(screen.getByLabelText('Password'), 'demo-password');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('heading', { name: 'Invoices' })).toBeInTheDocument();
    expect(await screen.findByText('No invoices yet. Upload the first one above.')).toBeInTheDocument();
    expect(window.location.pathname).toBe('/invoices');
    const login = seen.find((r) => r.url.endsWith('/api/v1/auth/login'));
    expect(login?.headers.get('X-Client')).toBe('web');
    expect(localStorage.length + sessionStorage.length).toBe(0);
    // A clerk's navigation: no Approvals, no Payments.
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(Array.from(nav.querySelectorAll('a')).map((a) => a.textContent)).toEqual([
      'Invoices',
      'Exceptions',
      'Vendors',
      'Purchase orders',
    ]);
  });

  it('shows a list error as the gateway detail with its request id, never a blank screen', async () => {
    routes = {
      'POST /api/v1/auth/refresh': () => json(200, { access_token: 'tok-2', token_type: 'Bearer', expires_in: 900 }),
      'GET /api/v1/auth/me': () => json(200, me),
      'GET /api/v1/invoices': () =>
        json(400, { detail: 'due_before must be a date (YYYY-MM-DD).', code: 'bad_request', errors: [], request_id: 'req-400' }),
      'GET /api/v1/vendors': () => json(200, { items: [], next_cursor: null }),
      'GET /api/v1/notifications': () => json(200, { items: [], unread: 2 }),
    };
    window.history.replaceState(null, '', '/invoices?due_before=x');
    render(<App queryClient={makeQueryClient()} />);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('due_before must be a date (YYYY-MM-DD).');
    expect(alert).toHaveTextContent('req-400');
    expect(await screen.findByRole('button', { name: 'Notifications, 2 unread' })).toBeInTheDocument();
  });

  it('pages the invoice list with Load more (keyset cursor) and formats each currency', async () => {
    const inv = (n: number, currency: string, total: string) => ({
      id: `00000000-0000-0000-0000-00000000000${n}`,
      invoice_number: `INV-${n}`,
      status: 'pending_approval',
      fields: {},
      touchless: false,
      source: 'upload',
      version: 1,
      created_at: '2026-12-01T10:00:00Z',
      updated_at: '2026-12-01T10:00:00Z',
      currency,
      total_amount: total,
      unread_messages: n === 1 ? 2 : 0,
    });
    const cursors: (string | null)[] = [];
    routes = {
      'POST /api/v1/auth/refresh': () => json(200, { access_token: 'tok-3', token_type: 'Bearer', expires_in: 900 }),
      'GET /api/v1/auth/me': () => json(200, me),
      'GET /api/v1/invoices': (r) => {
        const cursor = new URL(r.url).searchParams.get('cursor');
        cursors.push(cursor);
        return cursor === 'c2'
          ? json(200, { items: [inv(3, 'BHD', '1.5')], next_cursor: null })
          : json(200, { items: [inv(1, 'USD', '1234.5'), inv(2, 'JPY', '5000')], next_cursor: 'c2' });
      },
      'GET /api/v1/vendors': () => json(200, { items: [], next_cursor: null }),
      'GET /api/v1/notifications': () => json(200, { items: [], unread: 0 }),
    };
    window.history.replaceState(null, '', '/invoices');
    render(<App queryClient={makeQueryClient()} />);
    expect(await screen.findByRole('link', { name: 'INV-1' })).toBeInTheDocument();
    expect(screen.getByText('$1,234.50')).toBeInTheDocument();
    expect(screen.getByText('¥5,000')).toBeInTheDocument();
    expect(screen.getByText('2 unread vendor messages')).toBeInTheDocument();
    expect(screen.getAllByText('Pending approval').length).toBeGreaterThan(0);
    await userEvent.setup().click(screen.getByRole('button', { name: 'Load more' }));
    expect(await screen.findByRole('link', { name: 'INV-3' })).toBeInTheDocument();
    expect(screen.getByText(/BHD\s1\.500/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
    expect(screen.getByText('All 3 shown')).toBeInTheDocument();
    expect(cursors).toEqual([null, 'c2']);

    // Filters and order go to the URL and to the API (status as a repeated parameter).
    const user = userEvent.setup();
    await user.selectOptions(screen.getByLabelText('Status'), 'approved');
    await user.selectOptions(screen.getByLabelText('Order'), 'due_date');
    expect(window.location.search).toContain('status=approved');
    expect(window.location.search).toContain('sort=due_date');
    await screen.findByRole('link', { name: 'INV-1' });
    const last = seen.filter((r) => r.url.includes('/api/v1/invoices')).pop();
    const query = new URL(last?.url ?? 'http://x').searchParams;
    expect(query.getAll('status')).toEqual(['approved']);
    expect(query.get('sort')).toBe('due_date');
  });
});
