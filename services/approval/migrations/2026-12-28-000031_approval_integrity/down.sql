DROP INDEX IF EXISTS mail_outbox_held_to;
ALTER TABLE mail_outbox DROP COLUMN IF EXISTS to_user_id;
DROP INDEX IF EXISTS approval_tasks_one_approval_per_person;
ALTER TABLE approval_requests DROP COLUMN IF EXISTS barred_users;
