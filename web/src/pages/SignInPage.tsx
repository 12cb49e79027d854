import { useState, type FormEvent } from 'react';
import { Navigate, useSearchParams } from 'react-router';
import { useAuth } from '../auth/AuthProvider';
import { ApiError } from '../api/errors';
import { ErrorMessage } from '../components/ErrorMessage';
import { Loading } from '../components/States';
import { landingPath } from '../routes';

/** Only same-site paths are followed after sign-in. */
function safeNext(next: string | null): string | null {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : null;
}

function explain(e: unknown): unknown {
  if (!(e instanceof ApiError)) return e;
  if (e.status === 429) {
    const detail = e.detail && !/^too many/i.test(e.detail) ? ` ${e.detail}` : '';
    return new ApiError(
      429,
      {
        ...e.body,
        detail: `Too many sign-in attempts: this account or address is temporarily locked to protect it. Wait a few minutes, then try again.${detail}`,
      },
      e.requestId,
    );
  }
  if (e.status === 401 && !e.body.detail) {
    return new ApiError(401, { ...e.body, detail: 'The email or password is not right.' }, e.requestId);
  }
  return e;
}

export default function SignInPage() {
  const { status, user, signIn } = useAuth();
  const [params] = useSearchParams();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);

  if (status === 'loading') return <Loading label="Signing in…" />;
  if (status === 'signedIn' && user) {
    return <Navigate to={safeNext(params.get('next')) ?? landingPath(user.role)} replace />;
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setPending(true);
    setError(null);
    try {
      await signIn(email.trim(), password);
    } catch (err) {
      setError(explain(err));
      setPending(false);
    }
  }

  return (
    <main className="sign-in" id="main">
      <form className="sign-in-card" onSubmit={(e) => void submit(e)} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Accounts payable</h1>
        <p className="muted">Sign in to your workspace.</p>
        <label className="field">
          <span>Email</span>
          <input
            type="email"
            name="email"
            autoComplete="username"
            required
            autoFocus
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <label className="field">
          <span>Password</span>
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {error ? <ErrorMessage error={error} /> : null}
        <button type="submit" className="button primary" disabled={pending}>
          {pending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
