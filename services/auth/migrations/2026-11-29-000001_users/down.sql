DROP TABLE refresh_tokens;
DROP TABLE login_failures;
DROP TABLE users;
