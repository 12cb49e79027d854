DROP TABLE mail_outbox;
DROP TABLE email_tokens;
DROP TABLE notifications;
DROP TABLE delegations;
DROP TABLE approval_tasks;
DROP TABLE approval_requests;
DROP TABLE matrix_rules;
