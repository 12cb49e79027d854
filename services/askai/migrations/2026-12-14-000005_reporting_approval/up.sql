-- Reporting view over the approval service's tasks: who approves what, by when, and how it was
-- decided. People appear by user id only; no emails, client addresses, user agents, email-link
-- tokens or mail bodies.
CREATE VIEW reporting.approval_tasks AS
SELECT t.id               AS task_id,
       t.invoice_id,
       r.invoice_number,
       r.vendor_id,
       r.vendor_name,
       r.amount,
       r.currency,
       t.level,
       jsonb_array_length(r.levels) AS levels,
       t.status,
       t.assignee_id,
       t.assigned_at,
       t.due_at,
       (t.status = 'pending' AND t.due_at < now()) AS overdue,
       t.reminder_sent_at,
       t.escalated_at,
       t.decided_by       AS decided_by_id,
       t.on_behalf_of IS NOT NULL AS decided_as_delegate,
       t.decided_at,
       t.channel,
       CASE WHEN t.status = 'rejected' THEN t.notes END AS rejection_reason,
       r.status           AS round_status,
       t.created_at
FROM approval.approval_tasks t
JOIN approval.approval_requests r ON r.id = t.request_id;
COMMENT ON VIEW reporting.approval_tasks IS 'Approval tasks: one row per approver slot of an invoice approval round (levels of the approval matrix), with its assignee, due time and decision.';
COMMENT ON COLUMN reporting.approval_tasks.task_id IS 'Approval task id (UUID).';
COMMENT ON COLUMN reporting.approval_tasks.invoice_id IS 'Invoice being approved; joins invoices.invoice_id.';
COMMENT ON COLUMN reporting.approval_tasks.invoice_number IS 'Vendor invoice number.';
COMMENT ON COLUMN reporting.approval_tasks.vendor_id IS 'Vendor; joins vendors.vendor_id.';
COMMENT ON COLUMN reporting.approval_tasks.vendor_name IS 'Vendor name.';
COMMENT ON COLUMN reporting.approval_tasks.amount IS 'Invoice total being approved, in currency.';
COMMENT ON COLUMN reporting.approval_tasks.currency IS 'ISO 4217 currency code.';
COMMENT ON COLUMN reporting.approval_tasks.level IS 'Approval level of this task (1 = first).';
COMMENT ON COLUMN reporting.approval_tasks.levels IS 'Number of levels the invoice needs.';
COMMENT ON COLUMN reporting.approval_tasks.status IS 'pending, approved, rejected or cancelled.';
COMMENT ON COLUMN reporting.approval_tasks.assignee_id IS 'User id (UUID) of the approver the task is assigned to (no emails: personal data stays out of reporting).';
COMMENT ON COLUMN reporting.approval_tasks.assigned_at IS 'When it was assigned to the current assignee (UTC).';
COMMENT ON COLUMN reporting.approval_tasks.due_at IS 'When the decision is due (UTC).';
COMMENT ON COLUMN reporting.approval_tasks.overdue IS 'True for a pending task past its due time.';
COMMENT ON COLUMN reporting.approval_tasks.reminder_sent_at IS 'When the SLA reminder was sent.';
COMMENT ON COLUMN reporting.approval_tasks.escalated_at IS 'When the overdue task escalated to another approver.';
COMMENT ON COLUMN reporting.approval_tasks.decided_by_id IS 'User id (UUID) of the person who decided.';
COMMENT ON COLUMN reporting.approval_tasks.decided_as_delegate IS 'True when a delegate decided for the assignee.';
COMMENT ON COLUMN reporting.approval_tasks.decided_at IS 'When it was decided (UTC).';
COMMENT ON COLUMN reporting.approval_tasks.channel IS 'How it was decided: web or email.';
COMMENT ON COLUMN reporting.approval_tasks.rejection_reason IS 'Reason given for a rejection.';
COMMENT ON COLUMN reporting.approval_tasks.round_status IS 'Status of the whole approval round: open, approved, rejected or withdrawn.';
COMMENT ON COLUMN reporting.approval_tasks.created_at IS 'When the task was created (UTC).';
GRANT SELECT ON reporting.approval_tasks TO ap_readonly;
