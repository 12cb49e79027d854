import type { ReactNode } from 'react';
import { ErrorMessage } from './ErrorMessage';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="state state-loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="state state-empty">{children}</p>;
}

/** Loading, error or content for one query. */
export function QueryState({
  isPending,
  error,
  children,
  loadingLabel,
}: {
  isPending: boolean;
  error: unknown;
  children: ReactNode;
  loadingLabel?: string;
}) {
  if (error) return <ErrorMessage error={error} />;
  if (isPending) return <Loading label={loadingLabel} />;
  return <>{children}</>;
}
