//! `apctl audit verify`: walks the hash chain of every service schema.

use std::process::ExitCode;

use diesel_async::{AsyncConnection, AsyncPgConnection};

use crate::serve::SCHEMAS;

pub async fn verify(database_url: &str) -> anyhow::Result<ExitCode> {
    let mut intact = true;
    for schema in SCHEMAS {
        let url = ap_kit::db::url_with_schema(database_url, schema)?;
        let mut conn = AsyncPgConnection::establish(&url).await?;
        let report = ap_kit::audit::verify_chain(&mut conn).await?;
        match report.first_broken {
            None => println!("{schema}: intact ({} rows)", report.rows_checked),
            Some(broken) => {
                intact = false;
                println!(
                    "{schema}: BROKEN at row {} (id {}): {} — {} rows before it verified",
                    broken.seq, broken.id, broken.reason, report.rows_checked
                );
            }
        }
    }
    Ok(if intact {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
