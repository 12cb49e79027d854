import { describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '../../api/errors';
import { renderWithProviders } from '../../test/render';
import { RecordPaymentDialog, type PayFn, type PaymentRecorded } from './RecordPaymentDialog';

const invoice = { id: 'inv-1', invoice_number: 'ACME-1001', total_amount: '3700.00', amount_due: '3700.00', currency: 'USD' };
const recorded: PaymentRecorded = {
  invoice_id: 'inv-1',
  payment_id: 'pay-1',
  payment_status: 'completed',
  payment_date: '2026-12-07',
  payment_method: 'WIRE',
  payment_reference: 'W-1',
  amount: '3700.00',
  currency: 'USD',
};

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function open(pay: PayFn, onPaid = vi.fn()) {
  renderWithProviders(<RecordPaymentDialog invoice={invoice} open onOpenChange={() => {}} onPaid={onPaid} pay={pay} />);
  return { dialog: screen.getByRole('dialog', { name: 'Record payment' }), onPaid };
}

describe('Record payment dialog', () => {
  it('offers the labelled fields and sends method, reference and date', async () => {
    const pay = vi.fn<PayFn>().mockResolvedValue(recorded);
    const { dialog, onPaid } = open(pay);
    const user = userEvent.setup();
    const method = within(dialog).getByLabelText('Payment method');
    expect(within(method).getAllByRole('option').map((o) => o.textContent)).toEqual(['ACH', 'Wire', 'Check']);
    await user.selectOptions(method, 'WIRE');
    await user.type(within(dialog).getByLabelText('Reference'), 'W-1');
    await user.click(within(dialog).getByRole('button', { name: 'Confirm payment' }));
    await waitFor(() => expect(onPaid).toHaveBeenCalledWith(recorded));
    expect(pay).toHaveBeenCalledTimes(1);
    const [id, body, key] = pay.mock.calls[0] ?? [];
    expect(id).toBe('inv-1');
    expect(body).toEqual({ payment_method: 'WIRE', payment_reference: 'W-1', payment_date: null });
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('disables Confirm payment while pending, so a double click pays once', async () => {
    const d = deferred<PaymentRecorded>();
    const pay = vi.fn<PayFn>().mockReturnValue(d.promise);
    const { dialog } = open(pay);
    const user = userEvent.setup();
    const button = within(dialog).getByRole('button', { name: 'Confirm payment' });
    await user.dblClick(button);
    expect(pay).toHaveBeenCalledTimes(1);
    expect(within(dialog).getByRole('button', { name: 'Recording…' })).toBeDisabled();
    d.resolve(recorded);
    await waitFor(() => expect(within(dialog).getByRole('button', { name: 'Confirm payment' })).toBeEnabled());
  });

  it('shows a 409 (already paid) inside the dialog in words with the request id', async () => {
    const pay = vi
      .fn<PayFn>()
      .mockRejectedValue(new ApiError(409, { detail: 'The invoice is already paid.', code: 'conflict', request_id: 'req-409' }, null));
    const { dialog, onPaid } = open(pay);
    await userEvent.setup().click(within(dialog).getByRole('button', { name: 'Confirm payment' }));
    const alert = await within(dialog).findByRole('alert');
    expect(alert).toHaveTextContent('This invoice is already paid, so nothing was paid again.');
    expect(alert).toHaveTextContent('req-409');
    expect(onPaid).not.toHaveBeenCalled();
  });

  it('shows a 400 (not approved, blocking exception) inside the dialog', async () => {
    const pay = vi
      .fn<PayFn>()
      .mockRejectedValue(new ApiError(400, { detail: 'The invoice has a blocking exception.', code: 'bad_request' }, null));
    const { dialog } = open(pay);
    await userEvent.setup().click(within(dialog).getByRole('button', { name: 'Confirm payment' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'The payment cannot be recorded: The invoice has a blocking exception.',
    );
  });

  it('reuses the same Idempotency-Key when retrying after a failure', async () => {
    const pay = vi
      .fn<PayFn>()
      .mockRejectedValueOnce(new ApiError(0, { detail: 'The server could not be reached.' }, null))
      .mockResolvedValueOnce(recorded);
    const { dialog, onPaid } = open(pay);
    const user = userEvent.setup();
    await user.click(within(dialog).getByRole('button', { name: 'Confirm payment' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Retrying is safe');
    await user.click(within(dialog).getByRole('button', { name: 'Confirm payment' }));
    await waitFor(() => expect(onPaid).toHaveBeenCalled());
    expect(pay).toHaveBeenCalledTimes(2);
    const first = pay.mock.calls[0]?.[2];
    expect(first).toBeTruthy();
    expect(pay.mock.calls[1]?.[2]).toBe(first);
  });

  it('generates a new key each time the dialog opens', async () => {
    const pay = vi.fn<PayFn>().mockRejectedValue(new ApiError(400, { detail: 'no' }, null));
    const onOpenChange = vi.fn();
    const { rerender } = renderWithProviders(
      <RecordPaymentDialog invoice={invoice} open onOpenChange={onOpenChange} onPaid={() => {}} pay={pay} />,
    );
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Confirm payment' }));
    await screen.findByRole('alert');
    rerender(<RecordPaymentDialog invoice={invoice} open={false} onOpenChange={onOpenChange} onPaid={() => {}} pay={pay} />);
    rerender(<RecordPaymentDialog invoice={invoice} open onOpenChange={onOpenChange} onPaid={() => {}} pay={pay} />);
    await user.click(screen.getByRole('button', { name: 'Confirm payment' }));
    await waitFor(() => expect(pay).toHaveBeenCalledTimes(2));
    expect(pay.mock.calls[1]?.[2]).not.toBe(pay.mock.calls[0]?.[2]);
  });
});
