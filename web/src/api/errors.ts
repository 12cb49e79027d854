import type { components } from './schema';

export type ErrorBody = components['schemas']['ErrorBody'];

/** A failed API call: the gateway's plain `detail` plus the request id to quote. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | null;
  readonly fieldErrors: { field: string; message: string }[];
  readonly body: Partial<ErrorBody> & Record<string, unknown>;

  constructor(status: number, body: Partial<ErrorBody> & Record<string, unknown>, requestId: string | null) {
    super(body.detail || defaultDetail(status));
    this.name = 'ApiError';
    this.status = status;
    this.code = body.code ?? `HTTP_${status}`;
    this.requestId = body.request_id ?? requestId;
    this.fieldErrors = body.errors ?? [];
    this.body = body;
  }

  get detail(): string {
    return this.message;
  }
}

export function defaultDetail(status: number): string {
  if (status === 0) return 'The server could not be reached. Check the connection and try again.';
  if (status === 401) return 'Your session has ended. Please sign in again.';
  if (status === 403) return 'Your role may not do this.';
  if (status === 404) return 'Not found.';
  if (status === 413) return 'The file is too large.';
  if (status === 415) return 'This file type is not supported.';
  if (status === 429) return 'Too many requests. Please wait a moment and try again.';
  if (status >= 500) return 'The server had a problem. Please try again.';
  return `The request failed (HTTP ${status}).`;
}

/** Builds an ApiError from a response whose body may or may not be the error shape. */
export function toApiError(response: Response, body: unknown): ApiError {
  const obj = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  return new ApiError(response.status, obj, response.headers.get('x-request-id'));
}

export async function errorFromResponse(response: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  return toApiError(response, body);
}

export function networkError(e: unknown): ApiError {
  void e;
  return new ApiError(0, { detail: defaultDetail(0), code: "NETWORK", errors: [] }, null);
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}
