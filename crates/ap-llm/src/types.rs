//! Wire types for the subset of the Anthropic Messages API this crate uses.
use serde::{Deserialize, Serialize};

/// Body of `POST /v1/messages`.
#[derive(Clone, Debug, Serialize)]
pub struct MessagesRequest {
    pub model: String,
    pub max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    pub messages: Vec<Message>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    /// Low values make extraction repeatable; `None` keeps the API default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

/// One conversation turn; plain text is all our use cases need.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: content.into(),
        }
    }

    pub fn assistant(content: impl Into<String>) -> Self {
        Self {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

/// A tool the model may call; `input_schema` is a JSON Schema object.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Tool {
    pub name: String,
    pub description: String,
    pub input_schema: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolChoice {
    Auto,
    Any,
    /// Forces exactly this tool, which is how structured output is obtained.
    Tool {
        name: String,
    },
    None,
}

/// Successful response of `POST /v1/messages`.
#[derive(Clone, Debug, Deserialize)]
pub struct MessagesResponse {
    pub id: String,
    pub model: String,
    pub role: Role,
    pub content: Vec<ContentBlock>,
    pub stop_reason: Option<StopReason>,
    #[serde(default)]
    pub usage: Usage,
}

impl MessagesResponse {
    /// All text blocks joined, or `None` when the model produced no text.
    pub fn text(&self) -> Option<String> {
        let parts: Vec<&str> = self
            .content
            .iter()
            .filter_map(|block| match block {
                ContentBlock::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        (!parts.is_empty()).then(|| parts.concat())
    }

    /// The first call of the named tool.
    pub fn tool_use(&self, tool_name: &str) -> Option<(&str, &serde_json::Value)> {
        self.content.iter().find_map(|block| match block {
            ContentBlock::ToolUse { id, name, input } if name == tool_name => {
                Some((id.as_str(), input))
            }
            _ => None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    Text {
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        input: serde_json::Value,
    },
    /// Block types we do not use (thinking, server tools, ...) must not fail the whole parse.
    #[serde(other)]
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    EndTurn,
    MaxTokens,
    StopSequence,
    ToolUse,
    PauseTurn,
    Refusal,
    /// New reasons appear over time; treat them as data rather than a parse failure.
    #[serde(other)]
    Other,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Usage {
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
}

/// Body of a non-2xx response: `{"type":"error","error":{"type":..,"message":..}}`.
#[derive(Debug, Deserialize)]
pub(crate) struct ErrorEnvelope {
    pub(crate) error: ErrorBody,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ErrorBody {
    #[serde(rename = "type")]
    pub(crate) kind: Option<String>,
    pub(crate) message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_block_types_and_stop_reasons_are_tolerated() {
        let body = serde_json::json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "m",
            "content": [
                {"type": "thinking", "thinking": "hmm", "signature": "x"},
                {"type": "text", "text": "hi"}
            ],
            "stop_reason": "something_new",
            "usage": {"input_tokens": 3, "output_tokens": 4, "cache_read_input_tokens": 0}
        });
        let parsed: MessagesResponse = serde_json::from_value(body).expect("valid test input");
        assert_eq!(parsed.content[0], ContentBlock::Other);
        assert_eq!(parsed.text().as_deref(), Some("hi"));
        assert_eq!(parsed.stop_reason, Some(StopReason::Other));
        assert_eq!(parsed.usage.output_tokens, 4);
    }

    #[test]
    fn forced_tool_choice_serialises_as_the_api_expects() {
        let choice = ToolChoice::Tool { name: "x".into() };
        assert_eq!(
            serde_json::to_value(choice).expect("valid test input"),
            serde_json::json!({"type": "tool", "name": "x"})
        );
    }
}
