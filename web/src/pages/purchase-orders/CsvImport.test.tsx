import { describe, expect, it, vi } from 'vitest';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '../../api/errors';
import { renderWithProviders } from '../../test/render';
import { CsvImport, type ImportFn, type ImportReport } from './CsvImport';

const csv = (name = 'orders.csv') =>
  new File(['po_number,vendor,currency\nPO-1,Acme,USD\n'], name, { type: 'text/csv' });

describe('CSV import', () => {
  it('lists each refused row with its column and the reason', async () => {
    const report: ImportReport = {
      kind: 'purchase_orders',
      rows: 4,
      created: 1,
      updated: 1,
      unchanged: 0,
      failed: 2,
      errors: [
        { row: 2, field: 'vendor', message: 'no vendor with this id, tax id or name' },
        { row: 4, field: 'quantity', message: 'not a decimal number' },
      ],
    };
    const run = vi.fn<ImportFn>().mockResolvedValue(report);
    const onImported = vi.fn();
    renderWithProviders(<CsvImport run={run} onImported={onImported} />);
    const user = userEvent.setup();
    const importButton = screen.getByRole('button', { name: 'Import' });
    expect(importButton).toBeDisabled();
    await user.upload(screen.getByLabelText('CSV file'), csv());
    await user.click(importButton);
    expect(run).toHaveBeenCalledWith('purchase-orders', expect.any(File));
    expect(await screen.findByText(/4 rows read — 1 purchase order created, 1 updated, 0 unchanged, 2 rows refused/)).toBeInTheDocument();
    const table = screen.getByRole('table', { name: /Rows refused/ });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('2vendorno vendor with this id, tax id or name');
    expect(rows[1]).toHaveTextContent('4quantitynot a decimal number');
    expect(onImported).toHaveBeenCalledWith(report);
  });

  it('imports goods receipts when chosen, and shows no table when every row passed', async () => {
    const run = vi
      .fn<ImportFn>()
      .mockResolvedValue({ kind: 'goods_receipts', rows: 1, created: 1, updated: 0, unchanged: 0, failed: 0, errors: [] });
    renderWithProviders(<CsvImport run={run} />);
    const user = userEvent.setup();
    await user.selectOptions(screen.getByLabelText('Import'), 'goods-receipts');
    expect(screen.getByText(/receipt_number, po_number, received_on/)).toBeInTheDocument();
    await user.upload(screen.getByLabelText('CSV file'), csv('grn.csv'));
    await user.click(screen.getByRole('button', { name: 'Import' }));
    expect(await screen.findByText(/1 row read — 1 goods receipt created/)).toBeInTheDocument();
    expect(run.mock.calls[0]?.[0]).toBe('goods-receipts');
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
  });

  it('shows a refused file (bad header) with the detail and request id', async () => {
    const run = vi
      .fn<ImportFn>()
      .mockRejectedValue(
        new ApiError(400, { detail: 'cannot read the header row', request_id: 'req-csv', errors: [{ field: 'file', message: 'missing column po_number' }] }, null),
      );
    renderWithProviders(<CsvImport run={run} />);
    const user = userEvent.setup();
    await user.upload(screen.getByLabelText('CSV file'), csv());
    await user.click(screen.getByRole('button', { name: 'Import' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The file was not imported');
    expect(alert).toHaveTextContent('cannot read the header row');
    expect(alert).toHaveTextContent('missing column po_number');
    expect(alert).toHaveTextContent('req-csv');
  });
});
