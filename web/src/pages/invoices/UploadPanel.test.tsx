import { describe, expect, it, vi } from 'vitest';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '../../api/errors';
import type { Invoice, UploadFn } from '../../api/upload';
import { renderWithProviders } from '../../test/render';
import { UploadPanel } from './UploadPanel';

const file = (name: string, type = 'application/pdf') => new File(['%PDF-1.4 test'], name, { type });

describe('Upload list', () => {
  it('uploads several files and explains each failure on its own row', async () => {
    const upload = vi.fn<UploadFn>(async (f, onProgress) => {
      onProgress(0.5);
      switch (f.name) {
        case 'ok.pdf':
          return { id: 'new-1' } as Invoice;
        case 'dup.pdf':
          throw new ApiError(
            409,
            { detail: 'This document was already uploaded.', code: 'conflict', existing_invoice_id: 'old-9', request_id: 'r-409' },
            null,
          );
        case 'big.pdf':
          throw new ApiError(413, { detail: 'The file is larger than 20 MiB.', code: 'payload_too_large' }, null);
        case 'notes.docx':
          throw new ApiError(415, { detail: 'Unsupported file type.', code: 'unsupported_media_type' }, null);
        default:
          throw new ApiError(400, { detail: 'The file is empty.', code: 'bad_request' }, null);
      }
    });
    const onUploaded = vi.fn();
    renderWithProviders(<UploadPanel upload={upload} onUploaded={onUploaded} />);
    const user = userEvent.setup({ applyAccept: false });
    await user.upload(screen.getByLabelText('Upload invoices'), [
      file('ok.pdf'),
      file('dup.pdf'),
      file('big.pdf'),
      file('notes.docx', 'application/msword'),
      file('empty.pdf'),
    ]);
    expect(upload).toHaveBeenCalledTimes(5);
    const list = await screen.findByRole('list', { name: 'Uploads' });
    const row = (name: string) => within(list).getByText(name).closest('li') as HTMLElement;

    expect(await within(row('ok.pdf')).findByRole('link', { name: 'open invoice' })).toHaveAttribute('href', '/invoices/new-1');
    expect(onUploaded).toHaveBeenCalledTimes(1);

    const dup = row('dup.pdf');
    expect(within(dup).getByRole('alert')).toHaveTextContent('Already uploaded');
    expect(within(dup).getByRole('link', { name: 'Open the existing invoice' })).toHaveAttribute('href', '/invoices/old-9');
    expect(dup).toHaveTextContent('r-409');

    expect(within(row('big.pdf')).getByRole('alert')).toHaveTextContent('Too large: a document may be at most 20 MiB.');
    expect(within(row('notes.docx')).getByRole('alert')).toHaveTextContent(
      'Not a supported type: upload a PDF, PNG, JPEG, TIFF or UBL/CII XML file.',
    );
    expect(within(row('empty.pdf')).getByRole('alert')).toHaveTextContent('Refused: The file is empty.');
  });

  it('shows progress per file while uploading', async () => {
    let report: (f: number) => void = () => {};
    const upload = vi.fn<UploadFn>(
      (_f, onProgress) =>
        new Promise<Invoice>(() => {
          report = onProgress;
        }),
    );
    renderWithProviders(<UploadPanel upload={upload} />);
    await userEvent.setup().upload(screen.getByLabelText('Upload invoices'), file('slow.pdf'));
    const bar = screen.getByRole('progressbar', { name: 'Uploading slow.pdf' });
    expect(bar).toHaveAttribute('value', '0');
    report(0.4);
    expect(await screen.findByRole('progressbar', { name: 'Uploading slow.pdf' })).toHaveAttribute('value', '0.4');
  });
});
