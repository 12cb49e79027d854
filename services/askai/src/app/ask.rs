//! The question pipeline: check the question, ask the model for SQL, guard it, run it
//! read-only, write the answer. Every question that passes authorization and is not empty is
//! logged in `askai.questions` with an audit row, whatever its outcome.

use std::time::Instant;

use ap_kit::audit::{self, AuditEvent};
use ap_kit::db;
use diesel_async::AsyncConnection;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{ASK, AppError, AskAiApp, Caller, model};
use crate::domain::guard::{self, MAX_ROWS};
use crate::domain::question::{Question, QuestionError};
use crate::domain::rows::cell_to_json;
use crate::store::{catalog, query, questions};

/// A question answered.
#[derive(Debug, Clone)]
pub struct Answer {
    pub question: String,
    pub answer: String,
    pub sql: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    pub row_count: usize,
    pub truncated: bool,
}

/// What the question log records about one question.
struct LogEntry<'a> {
    question: &'a str,
    sql: Option<&'a str>,
    outcome: &'static str,
    reason: Option<String>,
    row_count: Option<usize>,
    truncated: bool,
}

impl<'a> LogEntry<'a> {
    fn new(question: &'a str, outcome: &'static str) -> Self {
        Self {
            question,
            sql: None,
            outcome,
            reason: None,
            row_count: None,
            truncated: false,
        }
    }
}

impl AskAiApp {
    #[tracing::instrument(skip_all, fields(user.id = %caller.principal.user_id))]
    pub async fn ask(&self, caller: &Caller, raw: &str) -> Result<Answer, AppError> {
        caller.require(ASK)?;
        let started = Instant::now();
        let question = match Question::parse(raw) {
            Ok(q) => q,
            Err(QuestionError::Empty) => {
                return Err(AppError::InvalidQuestion("Question must not be empty."));
            }
            Err(e) => {
                let message = match e {
                    QuestionError::TooLong => "Question is too long (at most 1000 characters).",
                    QuestionError::Empty | QuestionError::ChangesData(_) => {
                        "Ask AI only reads data; questions asking to change data are refused."
                    }
                };
                let mut entry = LogEntry::new(raw.trim(), "refused_question");
                entry.reason = Some(e.to_string());
                tracing::info!(reason = %e, "question refused");
                self.log(caller, entry, started).await?;
                return Err(AppError::InvalidQuestion(message));
            }
        };
        let Some(llm) = self.llm() else {
            self.log(
                caller,
                LogEntry::new(question.as_str(), "not_configured"),
                started,
            )
            .await?;
            return Err(AppError::NotConfigured);
        };

        let views = {
            let mut conn = db::conn(self.pool()).await?;
            catalog::load_view_catalog(&mut conn).await?
        };
        let sql = match model::generate_sql(llm, &views, &question).await {
            Ok(sql) => sql,
            Err(e) => {
                let mut entry = LogEntry::new(question.as_str(), "model_error");
                entry.reason = Some(e.to_string());
                self.log(caller, entry, started).await?;
                return Err(AppError::ModelUnavailable(anyhow::anyhow!(e)));
            }
        };
        if sql.trim_end_matches(';').trim() == model::UNANSWERABLE {
            self.log(
                caller,
                LogEntry::new(question.as_str(), "unanswerable"),
                started,
            )
            .await?;
            return Err(AppError::Unanswerable);
        }
        let guarded = match guard::check(&sql, &views) {
            Ok(g) => g,
            Err(refusal) => {
                tracing::warn!(reason = %refusal, "generated SQL refused by the guard");
                let mut entry = LogEntry::new(question.as_str(), "refused_sql");
                entry.sql = Some(&sql);
                entry.reason = Some(refusal.to_string());
                self.log(caller, entry, started).await?;
                return Err(AppError::Refused);
            }
        };

        let result = {
            let mut conn = db::conn(self.pool()).await?;
            query::run_read_only(
                &mut conn,
                &guarded.wrapped,
                query::Limits {
                    timeout: self.settings().statement_timeout,
                    work_mem_kb: self.settings().work_mem_kb,
                },
            )
            .await
        };
        let raw_rows = match result {
            Ok(rows) => rows,
            Err(e) if db::is_connection_error(&e) => return Err(db::DbError::Query(e).into()),
            Err(e) => {
                let timeout = query::is_statement_timeout(&e);
                let mut entry = LogEntry::new(
                    question.as_str(),
                    if timeout { "timeout" } else { "failed" },
                );
                entry.sql = Some(&guarded.sql);
                entry.reason = Some(e.to_string());
                tracing::warn!(error = %e, timeout, "generated query failed");
                self.log(caller, entry, started).await?;
                return Err(if timeout {
                    AppError::Timeout
                } else {
                    AppError::QueryFailed
                });
            }
        };

        let truncated = raw_rows.rows.len() > MAX_ROWS;
        let rows: Vec<Vec<Value>> = raw_rows
            .rows
            .iter()
            .take(MAX_ROWS)
            .map(|row| row.iter().map(cell_to_json).collect())
            .collect();
        let row_count = rows.len();
        let columns = raw_rows.columns;
        let answer = if self.settings().summaries {
            match model::summarise(llm, &question, &columns, &rows, row_count, truncated).await {
                Ok(text) if !text.is_empty() => text,
                Ok(_) => model::count_sentence(row_count, truncated),
                Err(e) => {
                    tracing::warn!(error = %e, "summary failed; answering with the row count");
                    model::count_sentence(row_count, truncated)
                }
            }
        } else {
            model::count_sentence(row_count, truncated)
        };
        let mut entry = LogEntry::new(question.as_str(), "answered");
        entry.sql = Some(&guarded.sql);
        entry.row_count = Some(row_count);
        entry.truncated = truncated;
        self.log(caller, entry, started).await?;
        Ok(Answer {
            question: question.as_str().to_owned(),
            answer,
            sql: guarded.sql,
            columns,
            rows,
            row_count,
            truncated,
        })
    }

    /// Writes the question log row and its audit row in one transaction.
    async fn log(
        &self,
        caller: &Caller,
        entry: LogEntry<'_>,
        started: Instant,
    ) -> Result<(), AppError> {
        let id = Uuid::now_v7();
        let duration_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
        let row_count = entry
            .row_count
            .map(|n| i32::try_from(n).unwrap_or(i32::MAX));
        let question: String = entry.question.chars().take(4_000).collect();
        let row = questions::NewQuestionRow {
            id,
            user_id: caller.principal.user_id.as_uuid(),
            user_email: &caller.principal.email,
            question: &question,
            sql: entry.sql,
            outcome: entry.outcome,
            reason: entry.reason.as_deref(),
            duration_ms,
            row_count,
            truncated: entry.truncated,
        };
        let event = AuditEvent::new(
            caller.actor(),
            "askai_question_asked",
            "askai_question",
            Some(id.to_string()),
        )
        .after(json!({
            "outcome": entry.outcome,
            "row_count": row_count,
            "truncated": entry.truncated,
            "duration_ms": duration_ms,
        }));
        let mut conn = db::conn(self.pool()).await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            questions::insert_question(conn, &row).await?;
            audit::record(conn, &caller.ctx, event).await?;
            Ok(())
        })
        .await
    }
}
