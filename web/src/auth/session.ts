// The session lives in this module only: the access token in memory, the refresh token in the
// gateway's HttpOnly `ap_refresh` cookie (requests carry `X-Client: web`). Nothing is written
// to localStorage or sessionStorage. A refresh runs ~60 s before the access token expires.

import { errorFromResponse, networkError, type ApiError } from '../api/errors';

export interface TokenResponse {
  access_token: string;
  expires_in: number;
  refresh_token?: string;
}

type Listener = (signedIn: boolean) => void;

const REFRESH_EARLY_MS = 60_000;
const WEB_HEADERS = { 'X-Client': 'web', 'Content-Type': 'application/json' };

let accessToken: string | null = null;
// Only when a gateway answers the JSON form (refresh token in the body): kept in memory too.
let fallbackRefreshToken: string | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let inflight: Promise<boolean> | null = null;
const listeners = new Set<Listener>();

export function getAccessToken(): string | null {
  return accessToken;
}

export function onSessionChange(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

function emit(): void {
  for (const l of listeners) l(accessToken !== null);
}

function accept(t: TokenResponse): void {
  accessToken = t.access_token;
  if (t.refresh_token) fallbackRefreshToken = t.refresh_token;
  clearTimeout(refreshTimer);
  const ms = Math.max(5_000, t.expires_in * 1000 - REFRESH_EARLY_MS);
  refreshTimer = setTimeout(() => void refresh(), ms);
  emit();
}

/** Forgets the session locally (the access token and any scheduled refresh). */
export function clearSession(): void {
  const had = accessToken !== null;
  accessToken = null;
  fallbackRefreshToken = null;
  clearTimeout(refreshTimer);
  if (had) emit();
}

export async function signIn(email: string, password: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch('/api/v1/auth/login', {
      method: 'POST',
      headers: WEB_HEADERS,
      credentials: 'same-origin',
      body: JSON.stringify({ email, password }),
    });
  } catch (e) {
    throw networkError(e);
  }
  if (!res.ok) throw await errorFromResponse(res);
  accept((await res.json()) as TokenResponse);
}

/** Exchanges the refresh cookie for a new access token; false when there is no session. */
export function refresh(): Promise<boolean> {
  inflight ??= (async () => {
    try {
      const res = await fetch('/api/v1/auth/refresh', {
        method: 'POST',
        headers: WEB_HEADERS,
        credentials: 'same-origin',
        body: JSON.stringify(fallbackRefreshToken ? { refresh_token: fallbackRefreshToken } : {}),
      });
      if (!res.ok) {
        clearSession();
        return false;
      }
      accept((await res.json()) as TokenResponse);
      return true;
    } catch {
      return accessToken !== null;
    } finally {
      inflight = null;
    }
  })();
  return inflight;
}

/** Revokes the session on the server (which clears the cookie), then forgets it here. */
export async function signOut(): Promise<void> {
  const token = accessToken;
  const body = fallbackRefreshToken ? { refresh_token: fallbackRefreshToken } : {};
  clearTimeout(refreshTimer);
  try {
    await fetch('/api/v1/auth/logout', {
      method: 'POST',
      headers: { ...WEB_HEADERS, ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      credentials: 'same-origin',
      body: JSON.stringify(body),
    });
  } catch {
    // Signed out locally either way.
  } finally {
    clearSession();
  }
}

export type { ApiError };
