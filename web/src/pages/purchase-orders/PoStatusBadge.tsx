import { PO_STATUS_WORDS } from './model';

/** A PO's status in words; an open order is the normal state, so it is not styled as an alert. */
export function PoStatusBadge({ status }: { status: string }) {
  const known = (PO_STATUS_WORDS as Record<string, string>)[status];
  return <span className={status === 'open' ? 'badge subtle' : `badge status-${status}`}>{known ?? status}</span>;
}
