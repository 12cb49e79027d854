import { formatDateTime } from '../../lib/format';
import { person, type BankAccount } from './model';

function kindWords(kind: string): string {
  const k = kind.toLowerCase();
  if (k === 'iban') return 'IBAN';
  if (k === 'us' || k === 'ach' || k === 'routing' || k === 'us_account') return 'US account';
  return kind;
}

/** The bank details masked (last four characters only), verified or awaiting verification. */
export function BankDetails({ bank, currentUserId }: { bank: BankAccount | null | undefined; currentUserId: string }) {
  if (!bank) return <p className="muted">No bank details on file.</p>;
  const verified = bank.status === 'verified';
  return (
    <div className="bank-details">
      <dl className="kv">
        <dt>Account</dt>
        <dd>
          <span className="visually-hidden">
            {kindWords(bank.kind)} ending in {bank.account_last4}
          </span>
          <span aria-hidden="true">
            {kindWords(bank.kind)} <code>•••• {bank.account_last4}</code>
          </span>
        </dd>
        {bank.routing_number ? (
          <>
            <dt>Routing number</dt>
            <dd>
              <code>{bank.routing_number}</code>
            </dd>
          </>
        ) : null}
        {bank.bic ? (
          <>
            <dt>BIC</dt>
            <dd>
              <code>{bank.bic}</code>
            </dd>
          </>
        ) : null}
        <dt>Status</dt>
        <dd>
          {verified ? (
            <span className="badge status-approved">Verified</span>
          ) : (
            <span className="badge risk-medium">Awaiting verification</span>
          )}
        </dd>
        <dt>Entered</dt>
        <dd>
          {formatDateTime(bank.changed_at)} by {person(bank.entered_by, bank.changed_by, currentUserId)}
        </dd>
        {verified ? (
          <>
            <dt>Verified</dt>
            <dd>
              {formatDateTime(bank.verified_at)} by {person(bank.verifier, bank.verified_by, currentUserId)}
            </dd>
          </>
        ) : null}
      </dl>
      {!verified ? (
        <p className="notice warn">
          These bank details await verification by a second person; payment runs leave them out until then.
        </p>
      ) : null}
    </div>
  );
}
