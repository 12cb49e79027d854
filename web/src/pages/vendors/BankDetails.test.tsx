import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/react';
import { BankDetails } from './BankDetails';
import type { BankAccount } from './model';

const base: BankAccount = {
  kind: 'us',
  account_last4: '6789',
  routing_number: '021000021',
  bic: null,
  status: 'unverified',
  changed_at: '2026-12-07T10:00:00Z',
  changed_by: 'user-a',
  entered_by: { id: 'user-a', email: 'admin@example.com', name: 'Ada Admin' },
  verified_by: null,
  verified_at: null,
};

describe('Bank details', () => {
  it('shows only the last four characters, and a change as awaiting verification', () => {
    const { container } = render(<BankDetails bank={base} currentUserId="user-b" />);
    expect(screen.getByText('US account ending in 6789')).toBeInTheDocument();
    expect(container).toHaveTextContent('•••• 6789');
    expect(container).not.toHaveTextContent('000123456789');
    expect(screen.getByText('Awaiting verification')).toBeInTheDocument();
    expect(container).toHaveTextContent('by Ada Admin');
    expect(screen.getByText(/payment runs leave them out/)).toBeInTheDocument();
  });

  it('names who verified verified details, and says "you" for the current user', () => {
    render(
      <BankDetails
        bank={{
          ...base,
          kind: 'iban',
          account_last4: '3000',
          routing_number: null,
          bic: 'COBADEFFXXX',
          status: 'verified',
          verified_by: 'user-b',
          verified_at: '2026-12-07T11:00:00Z',
          verifier: { id: 'user-b', email: 'admin2@example.com', name: 'Second Admin' },
        }}
        currentUserId="user-b"
      />,
    );
    expect(screen.getByText('IBAN ending in 3000')).toBeInTheDocument();
    expect(screen.getByText('Verified', { selector: '.badge' })).toBeInTheDocument();
    expect(screen.queryByText('Awaiting verification')).not.toBeInTheDocument();
    expect(screen.getByText(/by you$/)).toBeInTheDocument();
  });

  it('says so when there are none', () => {
    render(<BankDetails bank={null} currentUserId="user-b" />);
    expect(screen.getByText('No bank details on file.')).toBeInTheDocument();
  });
});
