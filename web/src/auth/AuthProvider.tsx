import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { components } from '../api/schema';
import { api, call } from '../api/client';
import * as session from './session';

export type User = components['schemas']['UserOut'];
export type Role = components['schemas']['RoleName'];

type Status = 'loading' | 'signedIn' | 'signedOut';

interface AuthValue {
  status: Status;
  user: User | null;
  /** True after the user signed out here (no "return to" page then). */
  signedOutByUser: boolean;
  signIn: (email: string, password: string) => Promise<void>;
  signOut: () => Promise<void>;
}

const AuthContext = createContext<AuthValue | null>(null);

async function loadMe(): Promise<User> {
  return call(api.GET('/api/v1/auth/me'));
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<Status>('loading');
  const [user, setUser] = useState<User | null>(null);
  const [signedOutByUser, setSignedOutByUser] = useState(false);
  const queryClient = useQueryClient();

  // On start: a silent refresh through the cookie keeps a reload signed in.
  useEffect(() => {
    let alive = true;
    void (async () => {
      const ok = session.getAccessToken() !== null || (await session.refresh());
      if (!alive) return;
      if (!ok) {
        setStatus('signedOut');
        return;
      }
      try {
        const me = await loadMe();
        if (!alive) return;
        setUser(me);
        setStatus('signedIn');
      } catch {
        if (alive) setStatus('signedOut');
      }
    })();
    return () => {
      alive = false;
    };
  }, []);

  // The session ended elsewhere (refresh failed after a 401): back to sign-in.
  useEffect(
    () =>
      session.onSessionChange((signedIn) => {
        if (!signedIn) {
          setUser(null);
          setStatus('signedOut');
          queryClient.clear();
        }
      }),
    [queryClient],
  );

  const signIn = useCallback(async (email: string, password: string) => {
    await session.signIn(email, password);
    const me = await loadMe();
    setSignedOutByUser(false);
    setUser(me);
    setStatus('signedIn');
  }, []);

  const signOut = useCallback(async () => {
    setSignedOutByUser(true);
    await session.signOut();
    queryClient.clear();
    setUser(null);
    setStatus('signedOut');
  }, [queryClient]);

  const value = useMemo(
    () => ({ status, user, signedOutByUser, signIn, signOut }),
    [status, user, signedOutByUser, signIn, signOut],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const v = useContext(AuthContext);
  if (!v) throw new Error('useAuth outside AuthProvider');
  return v;
}

/** The signed-in user; only for screens behind RequireAuth. */
export function useUser(): User {
  const { user } = useAuth();
  if (!user) throw new Error('no signed-in user');
  return user;
}

export function hasRole(user: User | null, ...roles: Role[]): boolean {
  return !!user && roles.includes(user.role);
}
