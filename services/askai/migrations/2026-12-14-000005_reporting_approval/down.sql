DROP VIEW reporting.approval_tasks;
