import { words } from '../lib/format';

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${status}`}>{words(status)}</span>;
}

/** Risk in words with the score: low < 30 ≤ medium < 60 ≤ high. */
export function RiskBadge({ score }: { score: number | null | undefined }) {
  if (score == null) return null;
  const level = score >= 60 ? 'high' : score >= 30 ? 'medium' : 'low';
  return (
    <span className={`badge risk-${level}`} title={`Risk score ${score} of 100`}>
      {level === 'high' ? 'High risk' : level === 'medium' ? 'Medium risk' : 'Low risk'}
    </span>
  );
}
