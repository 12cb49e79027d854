// @generated automatically by Diesel CLI.

diesel::table! {
    askai.questions (id) {
        id -> Uuid,
        user_id -> Uuid,
        user_email -> Text,
        question -> Text,
        sql -> Nullable<Text>,
        outcome -> Text,
        reason -> Nullable<Text>,
        duration_ms -> Int4,
        row_count -> Nullable<Int4>,
        truncated -> Bool,
        asked_at -> Timestamptz,
    }
}
