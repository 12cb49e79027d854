import { describe, expect, it, vi } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '../../api/errors';
import { renderWithProviders } from '../../test/render';
import { FieldCorrection, type CorrectFn } from './FieldCorrection';

function setup(correct: CorrectFn) {
  const props = { onSaved: vi.fn(), onCancel: vi.fn(), onReload: vi.fn() };
  renderWithProviders(
    <FieldCorrection
      invoiceId="inv-1"
      version={7}
      field="total_amount"
      label="Total"
      initial="7400.00"
      correct={correct}
      {...props}
    />,
  );
  return props;
}

describe('Field correction', () => {
  it('sends the corrected value with the version on screen', async () => {
    const correct = vi.fn<CorrectFn>().mockResolvedValue({ id: 'inv-1', version: 8 } as never);
    const props = setup(correct);
    const user = userEvent.setup();
    const input = screen.getByLabelText('Total');
    await user.clear(input);
    await user.type(input, '7450.00');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(props.onSaved).toHaveBeenCalled());
    expect(correct).toHaveBeenCalledWith('inv-1', { total_amount: '7450.00', version: 7 });
  });

  it('on a version conflict (409) keeps the edit, explains it and offers a reload', async () => {
    const correct = vi
      .fn<CorrectFn>()
      .mockRejectedValue(
        new ApiError(409, { detail: 'The invoice was changed by someone else.', code: 'conflict', request_id: 'req-c' }, null),
      );
    const props = setup(correct);
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Save' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('This invoice changed since you opened it, so your correction was not saved.');
    expect(alert).toHaveTextContent('req-c');
    expect(screen.getByLabelText('Total')).toBeDisabled();
    expect(screen.queryByRole('button', { name: 'Save' })).toBeNull();
    expect(props.onSaved).not.toHaveBeenCalled();
    await user.click(screen.getByRole('button', { name: 'Reload' }));
    expect(props.onReload).toHaveBeenCalledTimes(1);
  });

  it('shows other refusals as the gateway detail and lets the user retry', async () => {
    const correct = vi
      .fn<CorrectFn>()
      .mockRejectedValue(new ApiError(400, { detail: 'total_amount: not a decimal', code: 'bad_request' }, null));
    setup(correct);
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('total_amount: not a decimal');
    expect(screen.getByRole('button', { name: 'Save' })).toBeEnabled();
  });
});
