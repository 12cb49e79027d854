//! Per-test databases. The first test to need a template migrates it once (guarded by an
//! advisory lock, since nextest runs tests as parallel processes); every test then gets its
//! own `CREATE DATABASE … TEMPLATE …` clone, dropped when the test ends.

use std::future::Future;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tokio_postgres::NoTls;

/// The server tests use: `TEST_DATABASE_URL`, else `DATABASE_URL`, else the local default.
pub fn base_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// `url` pointing at database `name` instead.
fn with_database(url: &str, name: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (url, None),
    };
    let scheme_end = head.find("://").map_or(0, |i| i + 3);
    let path_start = head[scheme_end..]
        .find('/')
        .map_or(head.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &head[..path_start]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// The maintenance database on the test server.
pub fn admin_url() -> String {
    with_database(&base_url(), "postgres")
}

async fn connect(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// Fingerprint of every migration in the workspace, so a changed migration gets a new template.
fn migrations_fingerprint() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for group in ["crates", "services"] {
        let Ok(members) = std::fs::read_dir(root.join(group)) else {
            continue;
        };
        for member in members.flatten() {
            collect_sql(&member.path().join("migrations"), &mut files);
        }
    }
    files.sort();
    let mut hasher = Sha256::new();
    // Two checkouts sharing one PostgreSQL (a worktree beside the main one) never share a
    // template, even while their migrations differ.
    // AP_TEST_TEMPLATE_SALT separates runs that must not share templates at all.
    hasher.update(
        std::env::var("AP_TEST_TEMPLATE_SALT")
            .unwrap_or_default()
            .as_bytes(),
    );
    hasher.update(
        std::fs::canonicalize(&root)
            .unwrap_or(root.clone())
            .to_string_lossy()
            .as_bytes(),
    );
    for file in files {
        hasher.update(file.to_string_lossy().as_bytes());
        hasher.update(std::fs::read(&file).unwrap_or_default());
    }
    hex::encode(hasher.finalize())[..12].to_owned()
}

fn collect_sql(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_sql(&path, out);
        } else if path.extension().is_some_and(|e| e == "sql") {
            out.push(path);
        }
    }
}

/// A database of this test's own, dropped (with its connections) when the value drops.
pub struct TestDb {
    name: String,
    url: String,
}

impl TestDb {
    /// Clones template `kind` (migrated by `migrate` the first time it is needed).
    pub async fn new<F, Fut>(kind: &str, migrate: F) -> TestDb
    where
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = anyhow::Result<()>>,
    {
        Self::try_new(kind, migrate).await.unwrap_or_else(|e| {
            panic!(
                "cannot create a test database on {}: {e:#}",
                redact(&base_url())
            )
        })
    }

    async fn try_new<F, Fut>(kind: &str, migrate: F) -> anyhow::Result<TestDb>
    where
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = anyhow::Result<()>>,
    {
        let base = base_url();
        let admin = connect(&admin_url()).await?;
        let template = format!("ap_tpl_{kind}_{}", migrations_fingerprint());
        // One process builds the template while the others wait; clones also happen under
        // the lock because PostgreSQL refuses to copy a database someone is connected to.
        admin
            .execute("SELECT pg_advisory_lock(727274)", &[])
            .await?;
        let result = async {
            let exists = admin
                .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&template])
                .await?
                .is_some();
            if !exists {
                let building = format!("{template}_building");
                admin
                    .execute(
                        &format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"),
                        &[],
                    )
                    .await?;
                admin
                    .execute(&format!("CREATE DATABASE {building}"), &[])
                    .await?;
                migrate(with_database(&base, &building)).await?;
                admin
                    .execute(
                        &format!("ALTER DATABASE {building} RENAME TO {template}"),
                        &[],
                    )
                    .await?;
            }
            let name = format!("ap_test_{}", uuid::Uuid::new_v4().simple());
            admin
                .execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"), &[])
                .await?;
            anyhow::Ok(name)
        }
        .await;
        admin
            .execute("SELECT pg_advisory_unlock(727274)", &[])
            .await?;
        let name = result?;
        Ok(TestDb {
            url: with_database(&base, &name),
            name,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A plain client on this database (as the test server's user, usually a superuser).
    pub async fn client(&self) -> tokio_postgres::Client {
        connect(&self.url).await.expect("connect to test database")
    }

    /// Drops the database now, terminating every connection to it: the "database is gone"
    /// outage that services must survive with 503s.
    pub async fn drop_now(&self) {
        let admin = connect(&admin_url()).await.expect("admin connection");
        admin
            .execute(
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
                &[],
            )
            .await
            .expect("drop test database");
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop may run inside or outside a runtime; a thread of its own works in both.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(admin) = connect(&admin_url()).await {
                    let _ = admin
                        .execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"), &[])
                        .await;
                }
            });
        })
        .join();
    }
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &url[..s], &url[at..]),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_swapped_in_any_url_shape() {
        assert_eq!(
            with_database("postgres://u@h:5/a", "b"),
            "postgres://u@h:5/b"
        );
        assert_eq!(with_database("postgres://u@h:5", "b"), "postgres://u@h:5/b");
        assert_eq!(
            with_database("postgres://u@h/a?x=1", "b"),
            "postgres://u@h/b?x=1"
        );
    }

    #[test]
    fn passwords_never_reach_panic_messages() {
        assert_eq!(redact("postgres://u:pw@h/db"), "postgres://***@h/db");
    }
}
