import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';
import { getAccessToken, refresh } from '../auth/session';
import { toApiError, networkError, ApiError } from './errors';

const auth: Middleware = {
  onRequest({ request }) {
    const token = getAccessToken();
    if (token) request.headers.set('Authorization', `Bearer ${token}`);
    return request;
  },
  onResponse({ response }) {
    // An expired access token: refresh once (single flight); when that fails the session is
    // cleared and the router sends the user to sign-in and back.
    if (response.status === 401) void refresh();
    return response;
  },
};

// Absolute same-origin base: a `Request` needs an absolute URL outside browsers (tests).
export const api = createClient<paths>({
  baseUrl: globalThis.location?.origin ?? '',
  credentials: 'same-origin',
  // Looked up per call, not captured once.
  fetch: (request) => globalThis.fetch(request),
});
api.use(auth);

/**
 * Unwraps an openapi-fetch result: the data, or a thrown ApiError with the gateway's detail.
 * Network failures become an ApiError with status 0.
 */
export async function call<T>(
  p: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let r: { data?: T; error?: unknown; response: Response };
  try {
    r = await p;
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw networkError(e);
  }
  if (!r.response.ok) throw toApiError(r.response, r.error);
  return r.data as T;
}

/** Plain authorised fetch for what the typed client does not cover (document bytes, uploads). */
export async function authFetch(input: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const token = getAccessToken();
  if (token) headers.set('Authorization', `Bearer ${token}`);
  let res: Response;
  try {
    res = await fetch(input, { ...init, headers, credentials: 'same-origin' });
  } catch (e) {
    throw networkError(e);
  }
  if (res.status === 401) void refresh();
  return res;
}
