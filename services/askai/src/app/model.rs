//! The two model calls: question → SQL (with the reporting schema in the system prompt) and,
//! when summaries are on, result → a sentence or two. The question and the rows are
//! untrusted data inside delimited blocks; nothing the model writes runs unguarded.

use ap_llm::prompt;
use serde_json::Value;

use crate::domain::catalog::ViewCatalog;
use crate::domain::guard::MAX_ROWS;
use crate::domain::question::Question;

/// What the model answers when the views cannot answer the question.
pub const UNANSWERABLE: &str = "UNANSWERABLE";
/// Rows shown to the model for the summary.
pub const SUMMARY_ROWS: usize = 20;
/// Longest summary kept, in characters.
const MAX_SUMMARY_CHARS: usize = 1_000;

/// The system prompt of the SQL call.
pub fn sql_system_prompt(catalog: &ViewCatalog) -> String {
    format!(
        "You translate questions about accounts-payable data into one PostgreSQL query.\n\
         These read-only views of schema `reporting` are the only data available:\n\n{}\
         Rules:\n\
         - Reply with the SQL only: no explanation, no comments, no code fences.\n\
         - Exactly one SELECT statement (WITH is allowed); never change data.\n\
         - Use only the views above, written as reporting.<view>; no system catalogs.\n\
         - Use only standard aggregate, window, date/time, string, math and conditional \
           functions.\n\
         - Amounts are NUMERIC: keep them exact, never cast them to float.\n\
         - At most {MAX_ROWS} rows are shown; order results meaningfully.\n\
         - If the views cannot answer the question, reply with the single word {UNANSWERABLE}.\n\
         {}",
        catalog.describe(),
        prompt::untrusted_notice(&["question"]),
    )
}

/// The SQL in the model's reply: code fences and a trailing semicolon are tolerated.
pub fn sql_from_reply(reply: &str) -> String {
    let text = reply.trim();
    let text = match text.find("```") {
        Some(start) => {
            let after = &text[start + 3..];
            let after = after.find('\n').map_or(after, |nl| &after[nl + 1..]);
            after.find("```").map_or(after, |end| &after[..end])
        }
        None => text,
    };
    text.trim().to_owned()
}

pub async fn generate_sql(
    llm: &ap_llm::Client,
    catalog: &ViewCatalog,
    question: &Question,
) -> ap_llm::Result<String> {
    let reply = llm
        .complete_text(
            &sql_system_prompt(catalog),
            &prompt::question(question.as_str()),
        )
        .await?;
    Ok(sql_from_reply(&reply.text))
}

/// A sentence or two about the first rows, written by the model.
pub async fn summarise(
    llm: &ap_llm::Client,
    question: &Question,
    columns: &[String],
    rows: &[Vec<Value>],
    row_count: usize,
    truncated: bool,
) -> ap_llm::Result<String> {
    let shown: Vec<&Vec<Value>> = rows.iter().take(SUMMARY_ROWS).collect();
    let data = serde_json::json!({
        "columns": columns,
        "rows": shown,
        "row_count": row_count,
        "truncated": truncated,
    });
    let system = format!(
        "You answer an accounts-payable analyst's question from the result of a database \
         query, in at most two short sentences. Use only the data given; quote amounts exactly \
         as given. If only some rows are shown, say so. {}",
        prompt::untrusted_notice(&["question", "document"]),
    );
    let user = format!(
        "{}\n{}",
        prompt::question(question.as_str()),
        prompt::document(&data.to_string())
    );
    let reply = llm.complete_text(&system, &user).await?;
    Ok(reply.text.trim().chars().take(MAX_SUMMARY_CHARS).collect())
}

/// The answer when summaries are off or the summary call fails.
pub fn count_sentence(row_count: usize, truncated: bool) -> String {
    match (row_count, truncated) {
        (_, true) => format!(
            "The query returned more than {row_count} rows; the first {row_count} are shown."
        ),
        (0, false) => "The query returned no rows.".to_owned(),
        (1, false) => "The query returned 1 row.".to_owned(),
        (n, false) => format!("The query returned {n} rows."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_fences_and_prose_around_them_are_stripped() {
        assert_eq!(
            sql_from_reply("Here you go:\n```sql\nSELECT 1\n```\nEnjoy"),
            "SELECT 1"
        );
        assert_eq!(sql_from_reply("  SELECT 2;  "), "SELECT 2;");
    }

    #[test]
    fn count_sentences_read_naturally() {
        assert_eq!(count_sentence(0, false), "The query returned no rows.");
        assert_eq!(count_sentence(1, false), "The query returned 1 row.");
        assert_eq!(count_sentence(7, false), "The query returned 7 rows.");
        assert!(count_sentence(1000, true).contains("more than 1000"));
    }
}
