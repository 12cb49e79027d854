import { useState, type FormEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import { Dialog, DialogClose } from '../../components/Dialog';
import { ErrorMessage } from '../../components/ErrorMessage';
import { updateException, type UpdateFn } from './api';
import { codeWords, type ExceptionItem } from './model';

interface Props {
  exception: Pick<ExceptionItem, 'id' | 'code' | 'invoice_number'>;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onDone: (e: ExceptionItem) => void;
  update?: UpdateFn;
}

/** Waiving accepts the invoice as it is: the reason is required and kept as the resolution note. */
export function WaiveDialog({ open, onOpenChange, ...rest }: Props) {
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title="Waive exception"
      description="Waiving accepts the invoice despite this finding. Say why; the reason is kept in the audit trail."
    >
      {open ? <WaiveForm {...rest} /> : null}
    </Dialog>
  );
}

function WaiveForm({ exception, onDone, update = updateException }: Omit<Props, 'open' | 'onOpenChange'>) {
  const [reason, setReason] = useState('');
  const [tried, setTried] = useState(false);
  const m = useMutation({
    mutationFn: () => update(exception.id, { status: 'waived', resolution_note: reason.trim() }),
    onSuccess: (x) => onDone(x),
  });
  const missing = reason.trim() === '';
  function submit(e: FormEvent) {
    e.preventDefault();
    setTried(true);
    if (!missing && !m.isPending) m.mutate();
  }
  return (
    <form className="form" onSubmit={submit} noValidate>
      <p>
        <strong>{codeWords(exception.code)}</strong>
        {exception.invoice_number ? <> on invoice {exception.invoice_number}</> : null}
      </p>
      <label className="field">
        <span>Reason</span>
        <textarea
          rows={3}
          value={reason}
          required
          aria-required="true"
          aria-invalid={tried && missing}
          aria-describedby="waive-reason-hint"
          onChange={(e) => setReason(e.target.value)}
        />
      </label>
      <p id="waive-reason-hint" className={tried && missing ? 'upload-error small' : 'muted small'}>
        {tried && missing ? 'A reason is required to waive an exception.' : 'Required.'}
      </p>
      {m.error ? <ErrorMessage error={m.error} /> : null}
      <div className="dialog-actions">
        <DialogClose className="button" type="button">
          Keep open
        </DialogClose>
        <button type="submit" className="button danger" disabled={m.isPending} aria-busy={m.isPending}>
          {m.isPending ? 'Waiving…' : 'Waive'}
        </button>
      </div>
    </form>
  );
}
