// The one route table and the one navigation table. A screen is a default-exported page
// component under src/pages/, loaded lazily (its own chunk, outside the initial bundle).
import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import type { Role } from './auth/AuthProvider';

export interface AppRoute {
  path: string;
  page: LazyExoticComponent<ComponentType>;
  /** Roles that may open the screen; absent: every signed-in user. */
  roles?: Role[];
}

export interface NavItem {
  to: string;
  label: string;
  roles?: Role[];
}

export const ROUTES: AppRoute[] = [
  { path: '/invoices', page: lazy(() => import('./pages/InvoicesPage')) },
  { path: '/invoices/:id', page: lazy(() => import('./pages/InvoiceDetailPage')) },
  { path: '/approvals', page: lazy(() => import('./pages/ApprovalsPage')), roles: ['APPROVER', 'ADMIN'] },
  { path: '/payments', page: lazy(() => import('./pages/PaymentsPage')), roles: ['ADMIN'] },
  // Exceptions, vendors, purchase orders: each line below points at its screen's page.
  { path: '/exceptions', page: lazy(() => import('./pages/ExceptionsPage')) },
  { path: '/vendors', page: lazy(() => import('./pages/VendorsPage')) },
  { path: '/vendors/:id', page: lazy(() => import('./pages/VendorDetailPage')) },
  { path: '/purchase-orders', page: lazy(() => import('./pages/PurchaseOrdersPage')) },
  { path: '/purchase-orders/:id', page: lazy(() => import('./pages/PurchaseOrderDetailPage')) },
];

export const NAV: NavItem[] = [
  { to: '/invoices', label: 'Invoices' },
  { to: '/exceptions', label: 'Exceptions' },
  { to: '/approvals', label: 'Approvals', roles: ['APPROVER', 'ADMIN'] },
  { to: '/vendors', label: 'Vendors' },
  { to: '/purchase-orders', label: 'Purchase orders' },
  { to: '/payments', label: 'Payments', roles: ['ADMIN'] },
];

/** Where a user lands after signing in. */
export function landingPath(role: Role): string {
  return role === 'APPROVER' ? '/approvals' : '/invoices';
}
