import { Suspense } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { AuthProvider, useAuth } from './auth/AuthProvider';
import { ErrorBoundary } from './components/ErrorBoundary';
import { Loading } from './components/States';
import { ApiError } from './api/errors';
import { ROUTES } from './routes';
import { Shell, RoleGate } from './components/Shell';
import SignInPage from './pages/SignInPage';
import NotFoundPage from './pages/NotFoundPage';

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 15_000,
        refetchOnWindowFocus: false,
        // Retry what may pass on a second try: a 401 (the session refreshes meanwhile),
        // a network failure or a 5xx. Never a 4xx that says what is wrong.
        retry: (count, error) =>
          count < 2 && error instanceof ApiError && (error.status === 401 || error.status === 0 || error.status >= 500),
        retryDelay: (count) => 400 * (count + 1),
      },
      mutations: { retry: false },
    },
  });
}

function RequireAuth({ children }: { children: React.ReactNode }) {
  const { status, signedOutByUser } = useAuth();
  const location = useLocation();
  if (status === 'loading') return <Loading label="Signing in…" />;
  if (status === 'signedOut') {
    if (signedOutByUser) return <Navigate to="/" replace />;
    const next = location.pathname + location.search;
    return <Navigate to={`/?next=${encodeURIComponent(next)}`} replace />;
  }
  return <>{children}</>;
}

export function AppRoutes() {
  const location = useLocation();
  return (
    <ErrorBoundary resetKey={location.pathname}>
      <Routes>
        <Route path="/" element={<SignInPage />} />
        <Route path="/sign-in" element={<SignInPage />} />
        <Route
          element={
            <RequireAuth>
              <Shell />
            </RequireAuth>
          }
        >
          {ROUTES.map(({ path, page: Page, roles }) => (
            <Route
              key={path}
              path={path}
              element={
                <RoleGate roles={roles}>
                  <Suspense fallback={<Loading />}>
                    <Page />
                  </Suspense>
                </RoleGate>
              }
            />
          ))}
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Routes>
    </ErrorBoundary>
  );
}

export function App({ queryClient = makeQueryClient() }: { queryClient?: QueryClient }) {
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <AuthProvider>
          <AppRoutes />
        </AuthProvider>
      </BrowserRouter>
    </QueryClientProvider>
  );
}
