import { describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '../../api/errors';
import { renderWithProviders } from '../../test/render';
import type { UpdateFn } from './api';
import type { ExceptionItem } from './model';
import { WaiveDialog } from './WaiveDialog';

const exception = { id: 'exc-1', code: 'GRN_NOT_FOUND', invoice_number: 'ACME-1003' };

function open(update: UpdateFn, onDone = vi.fn()) {
  renderWithProviders(<WaiveDialog exception={exception} open onOpenChange={() => {}} onDone={onDone} update={update} />);
  return { dialog: screen.getByRole('dialog', { name: 'Waive exception' }), onDone };
}

describe('Waive dialog', () => {
  it('requires a reason: without one nothing is sent and the field says why', async () => {
    const update = vi.fn<UpdateFn>();
    const { dialog } = open(update);
    const user = userEvent.setup();
    expect(within(dialog).getByText(/Goods not received/)).toBeInTheDocument();
    await user.click(within(dialog).getByRole('button', { name: 'Waive' }));
    const reason = within(dialog).getByLabelText('Reason');
    expect(reason).toHaveAttribute('aria-invalid', 'true');
    expect(within(dialog).getByText('A reason is required to waive an exception.')).toBeInTheDocument();
    // Blank space is no reason either.
    await user.type(reason, '   ');
    await user.click(within(dialog).getByRole('button', { name: 'Waive' }));
    expect(update).not.toHaveBeenCalled();
  });

  it('sends status waived with the trimmed reason as the resolution note', async () => {
    const waived = { ...exception, status: 'waived' } as unknown as ExceptionItem;
    const update = vi.fn<UpdateFn>().mockResolvedValue(waived);
    const { dialog, onDone } = open(update);
    const user = userEvent.setup();
    await user.type(within(dialog).getByLabelText('Reason'), '  Received by phone; GRN follows.  ');
    await user.click(within(dialog).getByRole('button', { name: 'Waive' }));
    await waitFor(() => expect(onDone).toHaveBeenCalledWith(waived));
    expect(update).toHaveBeenCalledWith('exc-1', { status: 'waived', resolution_note: 'Received by phone; GRN follows.' });
  });

  it("shows the gateway's detail and request id when waiving is refused", async () => {
    const update = vi
      .fn<UpdateFn>()
      .mockRejectedValue(new ApiError(403, { detail: 'Only an administrator may waive this exception.', request_id: 'req-403' }, null));
    const { dialog, onDone } = open(update);
    const user = userEvent.setup();
    await user.type(within(dialog).getByLabelText('Reason'), 'Known supplier');
    await user.click(within(dialog).getByRole('button', { name: 'Waive' }));
    const alert = await within(dialog).findByRole('alert');
    expect(alert).toHaveTextContent('Only an administrator may waive this exception.');
    expect(alert).toHaveTextContent('req-403');
    expect(onDone).not.toHaveBeenCalled();
  });
});
