-- Separation of duties as written (issue 14): everyone barred from approving an invoice (its
-- uploader and every person who ever corrected it, as the invoice service lists them when the
-- round starts), one approval per person per round, and held mail that belongs to its
-- recipient.

ALTER TABLE approval_requests ADD COLUMN barred_users UUID[] NOT NULL DEFAULT '{}';

-- One person approves at most one level of a round (the per-level index stays: it names the
-- older rule and costs nothing).
CREATE UNIQUE INDEX approval_tasks_one_approval_per_person
    ON approval_tasks (request_id, decided_by) WHERE status = 'approved';

-- The user a mail is for (NULL: not a user of the platform, e.g. a vendor). Held mail is shown
-- in full only to this user.
ALTER TABLE mail_outbox ADD COLUMN to_user_id UUID;
CREATE INDEX mail_outbox_held_to ON mail_outbox (to_user_id, created_at DESC) WHERE status = 'held';
