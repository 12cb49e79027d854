import { useCallback, useId, useRef, useState, type DragEvent } from 'react';
import { Link } from 'react-router';
import { ApiError } from '../../api/errors';
import { uploadInvoice, type Invoice, type UploadFn } from '../../api/upload';
import { RequestId } from '../../components/ErrorMessage';

interface Item {
  key: string;
  name: string;
  size: number;
  progress: number;
  state: 'uploading' | 'done' | 'error';
  invoice?: Invoice;
  error?: ApiError;
}

export const ACCEPT = '.pdf,.png,.jpg,.jpeg,.tif,.tiff,.xml,application/pdf,image/png,image/jpeg,image/tiff,application/xml,text/xml';

/** One file's failure in words, per status. */
export function uploadErrorText(e: ApiError): string {
  switch (e.status) {
    case 409:
      return 'Already uploaded: this exact document is on file.';
    case 413:
      return `Too large: a document may be at most 20 MiB. ${e.body.detail ? e.detail : ''}`.trim();
    case 415:
      return `Not a supported type: upload a PDF, PNG, JPEG, TIFF or UBL/CII XML file. ${e.body.detail ? e.detail : ''}`.trim();
    case 400:
      return `Refused: ${e.detail}`;
    case 429:
      return 'Too many uploads at once: wait a moment and try this file again.';
    default:
      return e.detail;
  }
}

function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function UploadPanel({ upload = uploadInvoice, onUploaded }: { upload?: UploadFn; onUploaded?: () => void }) {
  const [items, setItems] = useState<Item[]>([]);
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const inputId = useId();
  const seq = useRef(0);

  const patch = useCallback((key: string, p: Partial<Item>) => {
    setItems((all) => all.map((i) => (i.key === key ? { ...i, ...p } : i)));
  }, []);

  const start = useCallback(
    (files: FileList | File[]) => {
      const list = Array.from(files);
      const fresh = list.map((f) => ({
        key: `${++seq.current}`,
        name: f.name,
        size: f.size,
        progress: 0,
        state: 'uploading' as const,
      }));
      setItems((all) => [...fresh, ...all]);
      list.forEach((file, i) => {
        const key = fresh[i]?.key ?? '';
        upload(file, (p) => patch(key, { progress: p }))
          .then((invoice) => {
            patch(key, { state: 'done', progress: 1, invoice });
            onUploaded?.();
          })
          .catch((e: unknown) => {
            const err = e instanceof ApiError ? e : new ApiError(0, { detail: String(e) }, null);
            patch(key, { state: 'error', error: err });
          });
      });
    },
    [upload, patch, onUploaded],
  );

  function onDrop(e: DragEvent) {
    e.preventDefault();
    setDragging(false);
    if (e.dataTransfer.files.length > 0) start(e.dataTransfer.files);
  }

  return (
    <section className="upload" aria-labelledby={`${inputId}-h`}>
      <h2 id={`${inputId}-h`} className="visually-hidden">
        Upload
      </h2>
      <div
        className={dragging ? 'dropzone dragging' : 'dropzone'}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <label htmlFor={inputId} className="button">
          Upload invoices
        </label>
        <input
          id={inputId}
          ref={input}
          className="visually-hidden-input"
          type="file"
          multiple
          accept={ACCEPT}
          onChange={(e) => {
            if (e.target.files && e.target.files.length > 0) start(e.target.files);
            e.target.value = '';
          }}
        />
        <span className="muted">or drop PDF, image or e-invoice XML files here (up to 20 MiB each)</span>
      </div>
      {items.length > 0 ? (
        <ul className="upload-list" aria-label="Uploads">
          {items.map((i) => (
            <li key={i.key} className={`upload-item ${i.state}`}>
              <span className="upload-name">{i.name}</span>
              <span className="muted small">{sizeText(i.size)}</span>
              {i.state === 'uploading' ? (
                <progress max={1} value={i.progress} aria-label={`Uploading ${i.name}`}>
                  {Math.round(i.progress * 100)}%
                </progress>
              ) : null}
              {i.state === 'done' && i.invoice ? (
                <span className="upload-ok">
                  Uploaded — <Link to={`/invoices/${i.invoice.id}`}>open invoice</Link>
                </span>
              ) : null}
              {i.state === 'error' && i.error ? (
                <span className="upload-error" role="alert">
                  {uploadErrorText(i.error)}
                  {i.error.status === 409 && typeof i.error.body.existing_invoice_id === 'string' ? (
                    <>
                      {' '}
                      <Link to={`/invoices/${i.error.body.existing_invoice_id}`}>Open the existing invoice</Link>
                    </>
                  ) : null}
                  {i.error.requestId ? <RequestId id={i.error.requestId} /> : null}
                </span>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
