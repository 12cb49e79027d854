import { useState } from 'react';
import { ApiError } from '../api/errors';

/** The gateway's `detail` in plain words, plus the request id (small, copyable). */
export function ErrorMessage({ error, title }: { error: unknown; title?: string }) {
  const api = error instanceof ApiError ? error : null;
  const detail = api ? api.detail : 'Something went wrong. Please try again.';
  return (
    <div className="error" role="alert">
      {title ? <strong className="error-title">{title}</strong> : null}
      <p className="error-detail">{detail}</p>
      {api && api.fieldErrors.length > 0 ? (
        <ul className="error-fields">
          {api.fieldErrors.map((f) => (
            <li key={f.field}>
              <code>{f.field}</code> {f.message}
            </li>
          ))}
        </ul>
      ) : null}
      {api?.requestId ? <RequestId id={api.requestId} /> : null}
    </div>
  );
}

export function RequestId({ id }: { id: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <p className="request-id">
      Request id <code>{id}</code>{' '}
      <button
        type="button"
        className="link-button"
        onClick={() => {
          void navigator.clipboard?.writeText(id).then(
            () => setCopied(true),
            () => setCopied(false),
          );
        }}
        aria-label={`Copy request id ${id}`}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </p>
  );
}
