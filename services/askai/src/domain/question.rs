//! A question as asked: not empty, not too long, and not asking to change data. The keyword
//! check runs before any model call; it is a courtesy that fails fast, not the safety
//! boundary (that is the SQL guard plus the read-only role and transaction).

/// Longest question accepted, in characters.
pub const MAX_QUESTION_CHARS: usize = 1_000;

/// Words that ask to change data or the schema, matched as whole words, any case.
pub const DATA_CHANGING_WORDS: &[&str] = &[
    "drop", "delete", "insert", "update", "upsert", "alter", "truncate", "grant", "revoke",
    "create", "merge", "rename", "replace", "vacuum", "reindex", "remove", "modify", "copy",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuestionError {
    #[error("the question is empty")]
    Empty,
    #[error("the question is longer than {MAX_QUESTION_CHARS} characters")]
    TooLong,
    /// Carries the word that matched, for the log.
    #[error("the question asks to change data ({0})")]
    ChangesData(String),
}

/// A question that may be sent to the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question(String);

impl Question {
    pub fn parse(raw: &str) -> Result<Self, QuestionError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(QuestionError::Empty);
        }
        if text.chars().count() > MAX_QUESTION_CHARS {
            return Err(QuestionError::TooLong);
        }
        if let Some(word) = data_changing_word(text) {
            return Err(QuestionError::ChangesData(word));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The first whole word of `text` that asks to change data. Words are runs of letters,
/// digits and underscores, so `drop_table` or `updated` do not match but `DROP;` does.
fn data_changing_word(text: &str) -> Option<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .map(str::to_lowercase)
        .find(|w| DATA_CHANGING_WORDS.contains(&w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_questions_are_empty() {
        assert_eq!(Question::parse("  \n\t"), Err(QuestionError::Empty));
    }

    #[test]
    fn every_data_changing_word_is_refused_in_any_case() {
        for word in DATA_CHANGING_WORDS {
            let upper = format!("please {} the vendors table", word.to_uppercase());
            assert!(
                matches!(Question::parse(&upper), Err(QuestionError::ChangesData(_))),
                "{upper}"
            );
            let punctuated = format!("{word}; select 1");
            assert!(Question::parse(&punctuated).is_err(), "{punctuated}");
        }
    }

    #[test]
    fn words_that_merely_contain_a_keyword_are_fine() {
        for q in [
            "Which invoices were updated last week?",
            "How many vendors were created in March?",
            "Show dropped-shipment vendors by category",
            "Total amount of invoices with a deleted_flag",
        ] {
            assert!(Question::parse(q).is_ok(), "{q}");
        }
    }

    #[test]
    fn overlong_questions_are_refused() {
        assert_eq!(
            Question::parse(&"a".repeat(MAX_QUESTION_CHARS + 1)),
            Err(QuestionError::TooLong)
        );
    }
}
