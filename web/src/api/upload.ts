import type { components } from './schema';
import { ApiError, defaultDetail } from './errors';
import { getAccessToken, refresh } from '../auth/session';

export type Invoice = components['schemas']['InvoiceOut'];
export type UploadFn = (file: File, onProgress: (fraction: number) => void) => Promise<Invoice>;

function once(file: File, onProgress: (fraction: number) => void): Promise<{ status: number; body: unknown; requestId: string | null }> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/invoices/upload');
    const token = getAccessToken();
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.responseType = 'text';
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: unknown;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        body = null;
      }
      resolve({ status: xhr.status, body, requestId: xhr.getResponseHeader('x-request-id') });
    };
    xhr.onerror = () => resolve({ status: 0, body: null, requestId: null });
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

/** Uploads one document as multipart `file`, reporting upload progress (0..1). */
export const uploadInvoice: UploadFn = async (file, onProgress) => {
  let r = await once(file, onProgress);
  if (r.status === 401 && (await refresh())) r = await once(file, onProgress);
  if (r.status >= 200 && r.status < 300) {
    onProgress(1);
    return r.body as Invoice;
  }
  const body = (r.body && typeof r.body === 'object' ? r.body : { detail: defaultDetail(r.status) }) as Record<string, unknown>;
  throw new ApiError(r.status, body, r.requestId);
};
