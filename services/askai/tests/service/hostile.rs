//! Hostile SQL from the model: writes, stacked statements, comment and string tricks,
//! data-modifying CTEs, sleeps, catalog and `auth` access, COPY, DO, SET ROLE, unicode-escaped
//! identifiers, functions outside the allow-list. Each one is refused with the same message,
//! quickly, and afterwards nothing has changed.

use std::time::{Duration, Instant};

use crate::{Options, running};

pub const HOSTILE: &[&str] = &[
    // writes and DDL
    "DROP TABLE public.canary",
    "DELETE FROM reporting.invoices",
    "INSERT INTO public.canary VALUES (2)",
    "UPDATE public.canary SET n = 2",
    "TRUNCATE public.canary",
    "ALTER TABLE public.canary ADD COLUMN x int",
    "GRANT SELECT ON auth.users TO ap_readonly",
    "REVOKE USAGE ON SCHEMA reporting FROM ap_readonly",
    "CREATE TABLE reporting.evil (x int)",
    "CREATE FUNCTION reporting.f() RETURNS int AS 'SELECT 1' LANGUAGE sql",
    "VACUUM",
    "PREPARE p AS SELECT 1",
    "EXPLAIN ANALYZE SELECT * FROM reporting.invoices",
    "LOCK TABLE public.canary",
    "SELECT * INTO public.stolen FROM reporting.invoices",
    // stacked statements, comments and string tricks
    "SELECT 1; DROP TABLE public.canary",
    "SELECT count(*) FROM reporting.invoices; DELETE FROM public.canary",
    "SELECT 1 /* ; */ ; UPDATE public.canary SET n = 3 --",
    "SELECT 1 -- harmless\n; DELETE FROM public.canary",
    "SELECT ';' ; DELETE FROM public.canary",
    "SELECT $$;$$; DELETE FROM public.canary",
    "SELECT E'\\x27'; DELETE FROM public.canary",
    "/* DELETE */ DELETE FROM public.canary",
    // data-modifying CTEs
    "WITH d AS (DELETE FROM public.canary RETURNING *) SELECT * FROM d",
    "WITH u AS (UPDATE public.canary SET n = 9 RETURNING n) SELECT n FROM u",
    "WITH i AS (INSERT INTO public.canary VALUES (5) RETURNING n) SELECT n FROM i",
    // time
    "SELECT pg_sleep(5)",
    "SELECT * FROM reporting.invoices WHERE pg_sleep(5) IS NOT NULL",
    "SELECT count(*) FROM reporting.invoices, pg_sleep(5)",
    "SELECT (SELECT pg_sleep(5)) AS x",
    "SELECT * FROM reporting.invoices i, LATERAL (SELECT pg_sleep(5)) s",
    "SELECT pg_catalog.pg_sleep(5)",
    "SELECT \"pg_sleep\"(5)",
    "SELECT * FROM reporting.invoices ORDER BY pg_sleep(5)",
    "SELECT count(*) FILTER (WHERE pg_sleep(5) IS NULL) FROM reporting.invoices",
    "SELECT U&\"\\0070g_sleep\"(5)",
    // catalogs
    "SELECT * FROM pg_catalog.pg_roles",
    "SELECT * FROM pg_user",
    "SELECT rolname FROM pg_roles",
    "SELECT * FROM information_schema.tables",
    "SELECT table_name FROM information_schema.columns",
    "SELECT 1 WHERE EXISTS (SELECT 1 FROM pg_stat_activity)",
    "SELECT * FROM (WITH pg_roles AS (SELECT 1) SELECT * FROM pg_roles) a",
    "SELECT 'auth.users'::regclass",
    "SELECT * FROM reporting.invoices WHERE vendor_id::text = 'x'::regclass::text",
    // other schemas
    "SELECT * FROM auth.users",
    "SELECT * FROM approval.email_tokens",
    "SELECT body_text FROM approval.mail_outbox",
    "SELECT email, password_hash FROM auth.users",
    "SELECT * FROM \"auth\".\"users\"",
    "SELECT * FROM U&\"\\0061uth\".users",
    "SELECT * FROM invoice.invoices",
    "SELECT * FROM invoice.vendor_bank_accounts",
    "SELECT * FROM askai.questions",
    "SELECT * FROM reporting.invoices JOIN auth.users u ON true",
    "SELECT (SELECT password_hash FROM auth.users LIMIT 1)",
    "SELECT * FROM reporting.invoices WHERE vendor_id IN (SELECT id FROM auth.users)",
    "SELECT * FROM reporting.invoices UNION ALL SELECT * FROM auth.users",
    "WITH x AS (SELECT 1) SELECT * FROM x, auth.users",
    "SELECT * FROM users",
    "SELECT * FROM canary",
    "SELECT * FROM other_db.reporting.invoices",
    "TABLE auth.users",
    // COPY, DO, CALL, SET
    "COPY public.canary TO '/tmp/ap-canary'",
    "COPY (SELECT 1) TO PROGRAM 'id'",
    "DO $$ BEGIN DELETE FROM public.canary; END $$",
    "CALL some_procedure()",
    "SET ROLE postgres",
    "SET search_path = auth",
    "RESET ROLE",
    // functions outside the allow-list
    "SELECT set_config('role', 'postgres', true)",
    "SELECT current_setting('data_directory')",
    "SELECT lower(current_setting('is_superuser'))",
    "SELECT pg_read_file('/etc/passwd')",
    "SELECT convert_from(pg_read_binary_file('/etc/passwd'), 'utf8')",
    "SELECT lo_import('/etc/passwd')",
    "SELECT dblink('host=localhost', 'DELETE FROM public.canary')",
    "SELECT * FROM dblink('dbname=x', 'select 1') AS t(a int)",
    "SELECT nextval('some_seq')",
    "SELECT txid_current()",
    "SELECT version()",
    "SELECT query_to_xml('select * from auth.users', true, true, '')",
    "SELECT repeat('x', 100000000)",
    "SELECT md5(vendor_name) FROM reporting.vendors",
    // locks, placeholders, custom operators
    "SELECT * FROM reporting.invoices FOR UPDATE",
    "SELECT * FROM reporting.invoices FOR SHARE",
    "SELECT $1",
    "SELECT 1 OPERATOR(pg_catalog.+) 1",
];

#[tokio::test(flavor = "multi_thread")]
async fn hostile_sql_from_the_model_is_refused_quickly_and_changes_nothing() {
    assert!(HOSTILE.len() >= 50, "{}", HOSTILE.len());
    let r = running(Options::default()).await;
    let hash_before: String =
        r.db.client()
            .await
            .query_one("SELECT password_hash FROM auth.users", &[])
            .await
            .expect("user")
            .get(0);
    let all = Instant::now();
    for sql in HOSTILE {
        let started = Instant::now();
        let err = r.ask_sql(sql).await.expect_err(sql);
        assert_eq!(err.code(), tonic::Code::InvalidArgument, "{sql}: {err:?}");
        assert_eq!(
            err.message(),
            "Query could not be answered safely.",
            "{sql} was not refused by the guard"
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{sql} took {:?}",
            started.elapsed()
        );
    }
    println!(
        "{} hostile statements refused in {:?}",
        HOSTILE.len(),
        all.elapsed()
    );

    // Nothing ran: the canary, the data, the users, the grants and the schemas are as seeded.
    assert_eq!(
        r.scalar("SELECT count(*) FROM public.canary WHERE n = 1")
            .await,
        1
    );
    assert_eq!(r.scalar("SELECT count(*) FROM public.canary").await, 1);
    assert_eq!(r.scalar("SELECT count(*) FROM invoice.invoices").await, 3);
    assert_eq!(r.scalar("SELECT count(*) FROM auth.users").await, 1);
    let hash_after: String =
        r.db.client()
            .await
            .query_one("SELECT password_hash FROM auth.users", &[])
            .await
            .expect("user")
            .get(0);
    assert_eq!(hash_before, hash_after);
    assert_eq!(
        r.scalar(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname IN ('public', 'reporting') AND c.relkind IN ('r', 'f', 'p')"
        )
        .await,
        1,
        "no table was created"
    );
    assert_eq!(
        r.scalar("SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'reporting'")
            .await,
        0
    );
    assert_eq!(
        r.scalar(
            "SELECT count(*) FROM (SELECT has_table_privilege('ap_readonly', 'auth.users', 'SELECT') AS p) x WHERE p"
        )
        .await,
        0
    );
    // Every one was logged as refused; none ran and failed.
    assert_eq!(
        r.scalar("SELECT count(*) FROM askai.questions WHERE outcome = 'refused_sql' AND reason IS NOT NULL")
            .await,
        i64::try_from(HOSTILE.len()).expect("count")
    );
    assert_eq!(
        r.scalar("SELECT count(*) FROM askai.questions WHERE outcome <> 'refused_sql'")
            .await,
        0
    );
}
