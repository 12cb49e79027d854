import { Suspense, type ReactNode } from 'react';
import { NavLink, Outlet, useLocation } from 'react-router';
import * as Menu from '@radix-ui/react-dropdown-menu';
import { useAuth, useUser, type Role } from '../auth/AuthProvider';
import { NAV } from '../routes';
import { words } from '../lib/format';
import { ErrorBoundary } from './ErrorBoundary';
import { Loading } from './States';
import { NotificationBell } from './NotificationBell';

export function Shell() {
  const user = useUser();
  const { signOut } = useAuth();
  const location = useLocation();
  const items = NAV.filter((n) => !n.roles || n.roles.includes(user.role));
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">AP</span>
        <nav aria-label="Main" className="nav">
          <ul>
            {items.map((n) => (
              <li key={n.to}>
                <NavLink to={n.to} className={({ isActive }) => (isActive ? 'nav-link active' : 'nav-link')}>
                  {n.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="topbar-actions">
          <NotificationBell />
          <Menu.Root modal={false}>
            <Menu.Trigger className="user-button" aria-label={`Account: ${user.name || user.email}`}>
              <span className="avatar" aria-hidden="true">
                {(user.name || user.email).slice(0, 1).toUpperCase()}
              </span>
              <span className="user-name">{user.name || user.email}</span>
            </Menu.Trigger>
            <Menu.Portal>
              <Menu.Content className="menu" align="end" sideOffset={6}>
                <Menu.Label className="menu-label">
                  {user.email}
                  <br />
                  <span className="muted">{words(user.role)}</span>
                </Menu.Label>
                <Menu.Separator className="menu-separator" />
                <Menu.Item className="menu-item" onSelect={() => void signOut()}>
                  Sign out
                </Menu.Item>
              </Menu.Content>
            </Menu.Portal>
          </Menu.Root>
        </div>
      </header>
      <main id="main" className="main" tabIndex={-1}>
        <ErrorBoundary resetKey={location.pathname}>
          <Suspense fallback={<Loading />}>
            <Outlet />
          </Suspense>
        </ErrorBoundary>
      </main>
    </div>
  );
}

/** Screens a role may not open say so instead of failing with a 403 per request. */
export function RoleGate({ roles, children }: { roles?: Role[]; children: ReactNode }) {
  const user = useUser();
  if (roles && !roles.includes(user.role)) {
    return (
      <section className="panel">
        <h1>Not available for your role</h1>
        <p>This screen is for {roles.map(words).join(' or ')} users.</p>
      </section>
    );
  }
  return <>{children}</>;
}
